"""DataLoader construction shared by every subgraph: one batch call per tick, results mapped back by key."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
A = TypeVar("A", bound=Hashable)


def keyed_loader(fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]], default: V) -> DataLoader[K, V]:
    """A loader whose batch function returns a mapping; keys it lacks get ``default``."""

    async def batch(keys: list[K]) -> list[V]:
        found = await fetch(keys)
        return [found.get(key, default) for key in keys]

    return DataLoader(batch)


def grouped_loader(
    fetch: Callable[[list[Any], A], Awaitable[Mapping[Any, V]]], default: V
) -> DataLoader[tuple[Any, A], V]:
    """A loader keyed by ``(parent id, arguments)``: one batch call per distinct argument tuple.

    A list of parents asking for the same page (same ``first``, filters, ...) is one statement.
    """

    async def batch(keys: list[tuple[Any, A]]) -> list[V]:
        by_args: dict[A, list[Any]] = defaultdict(list)
        for parent, args in keys:
            by_args[args].append(parent)
        results: dict[tuple[Any, A], V] = {}
        for args, parents in by_args.items():
            found = await fetch(parents, args)
            for parent in parents:
                results[(parent, args)] = found.get(parent, default)
        return [results[key] for key in keys]

    return DataLoader(batch)


def group_rows(rows: Sequence[Mapping[str, Any]], key: str) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped
