"""Per-request loaders shared by every subgraph: keys asked in the same tick go to the store in one call, and what
was found is kept for the rest of the request.

:class:`Loader` behaves as aiodataloader's DataLoader for ``load`` (one key, from a resolver called per parent), and
answers ``load_many`` (every key of a level, from a batch resolver) with one future for the whole batch instead of
one future, one callback and one gathered task per key: on a page of 200 customers that bookkeeping cost more than
the statement it waited for.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
A = TypeVar("A", bound=Hashable)


class Loader(Generic[K, V]):
    def __init__(self, fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]], default: V) -> None:
        self.fetch = fetch
        self.default = default
        self.values: dict[K, V] = {}
        self.waiting: dict[K, asyncio.Future[None]] = {}
        """Keys in a batch not answered yet → that batch's future."""
        self.queue: list[K] = []
        self.next: asyncio.Future[None] | None = None
        """The batch the keys asked in this tick join; sent on the next turn of the event loop."""

    def load(self, key: K) -> Awaitable[V]:
        """The value of ``key``: call it without awaiting anything before, so the keys of one tick share a batch."""
        if key in self.values:
            return self._found(key)
        batch = self.waiting.get(key)
        if batch is None:
            batch = self._enqueue((key,))
        return self._after((batch,), key)

    def load_many(self, keys: Sequence[K]) -> Awaitable[list[V]]:
        """The values of ``keys``, in order; one batch for those not found yet."""
        values, waiting = self.values, self.waiting
        missing = [k for k in dict.fromkeys(keys) if k not in values and k not in waiting]
        if missing:
            self._enqueue(missing)
        batches = {waiting[k] for k in keys if k in waiting}
        return self._all(batches, keys)

    def prime(self, key: K, value: V) -> Loader[K, V]:
        """Keep ``value`` for ``key`` unless one is known already (a row read by another statement)."""
        self.values.setdefault(key, value)
        return self

    def clear(self, key: K) -> Loader[K, V]:
        self.values.pop(key, None)
        return self

    async def _found(self, key: K) -> V:
        return self.values[key]

    async def _after(self, batches: tuple[asyncio.Future[None], ...], key: K) -> V:
        for batch in batches:
            await batch
        return self.values.get(key, self.default)

    async def _all(self, batches: set[asyncio.Future[None]], keys: Sequence[K]) -> list[V]:
        for batch in batches:
            await batch
        values, default = self.values, self.default
        return [values.get(k, default) for k in keys]

    def _enqueue(self, keys: Sequence[K]) -> asyncio.Future[None]:
        batch = self.next
        if batch is None:
            loop = asyncio.get_running_loop()
            batch = self.next = loop.create_future()
            loop.call_soon(self._dispatch)
        for key in keys:
            self.queue.append(key)
            self.waiting[key] = batch
        return batch

    def _dispatch(self) -> None:
        batch, keys = self.next, self.queue
        assert batch is not None
        self.next, self.queue = None, []
        task = asyncio.ensure_future(self._send(batch, keys))
        task.add_done_callback(_consumed)

    async def _send(self, batch: asyncio.Future[None], keys: list[K]) -> None:
        try:
            found = await self.fetch(keys)
        except BaseException as error:
            for key in keys:
                self.waiting.pop(key, None)
            if not batch.done():
                batch.set_exception(error)
                batch.add_done_callback(_consumed)
            if not isinstance(error, Exception):
                raise
            return
        values, waiting, default = self.values, self.waiting, self.default
        for key in keys:
            values.setdefault(key, found.get(key, default))
            waiting.pop(key, None)
        if not batch.done():
            batch.set_result(None)


def _consumed(future: asyncio.Future[Any]) -> None:
    """Mark a failure as seen: every waiter got it, or none was left to care (a cancelled request)."""
    if not future.cancelled():
        future.exception()


def keyed_loader(fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]], default: V) -> Loader[K, V]:
    """A loader whose batch function returns a mapping; keys it lacks get ``default``."""
    return Loader(fetch, default)


def grouped_loader(
    fetch: Callable[[list[Any], A], Awaitable[Mapping[Any, V]]], default: V
) -> Loader[tuple[Any, A], V]:
    """A loader keyed by ``(parent id, arguments)``: one batch call per distinct argument tuple (at once).

    A list of parents asking for the same page (same ``first``, filters, ...) is one statement.
    """

    async def batch(keys: list[tuple[Any, A]]) -> dict[tuple[Any, A], V]:
        by_args: dict[A, list[Any]] = defaultdict(list)
        for parent, args in keys:
            by_args[args].append(parent)
        groups = list(by_args.items())
        answers = await asyncio.gather(*(fetch(parents, args) for args, parents in groups))
        results: dict[tuple[Any, A], V] = {}
        for (args, parents), found in zip(groups, answers, strict=True):
            for parent in parents:
                if parent in found:
                    results[(parent, args)] = found[parent]
        return results

    return Loader(batch, default)


def group_rows(rows: Sequence[Mapping[str, Any]], key: str) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped
