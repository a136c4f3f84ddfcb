"""Change notices to the subscribers of this process: one ``LISTEN`` connection per database, a bounded buffer per
subscriber.

Every process listens to every database its subgraphs write to, so a change committed by any API process reaches
the subscribers of all of them (``core.events`` sends the notices). A subscriber says which notices it wants (a
predicate over the keys, no query) and reads them from its own queue. A subscriber that does not keep up fills its
buffer and is ended with :class:`SubscriberTooSlow` rather than slowing the others or growing without bound; a lost
listening connection ends every subscriber with :class:`EventsInterrupted` (notices sent meanwhile cannot be
replayed) and the listener reconnects. Either way the client subscribes again and reads what it shows afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import asyncpg

from core.errors import ClientError, SourceUnavailable
from core.events import CHANNEL, Notice
from core.postgres import UNAVAILABLE

log = logging.getLogger(__name__)
APPLICATION = "c360-listener"
"""The listening connections' ``application_name`` (``pg_stat_activity`` shows them)."""


class SubscriberTooSlow(ClientError):
    code = "SUBSCRIBER_TOO_SLOW"


class EventsInterrupted(ClientError):
    code = "EVENTS_INTERRUPTED"


class Subscription:
    """One subscriber's notices, in the order PostgreSQL delivered them."""

    def __init__(self, hub: Notices, wanted: Callable[[Notice], bool], buffer: int) -> None:
        self._hub = hub
        self.wanted = wanted
        self._queue: asyncio.Queue[Notice | ClientError] = asyncio.Queue(maxsize=buffer + 1)
        self._buffer = buffer
        self.closed = False

    def offer(self, notice: Notice) -> None:
        if self.closed:
            return
        if self._queue.qsize() >= self._buffer:
            self.fail(
                SubscriberTooSlow(
                    f"More than {self._buffer} events waited for this subscriber; subscribe again"
                )
            )
            return
        self._queue.put_nowait(notice)

    def fail(self, error: ClientError) -> None:
        """End the subscription with ``error`` once the subscriber has read what came before it."""
        if not self.closed:
            self.closed = True
            self._hub.forget(self)
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(error)

    async def notices(self) -> AsyncIterator[Notice]:
        """The notices as they come; raises the error that ended the subscription."""
        while True:
            item = await self._queue.get()
            if isinstance(item, ClientError):
                raise item
            yield item

    def close(self) -> None:
        self.closed = True
        self._hub.forget(self)


class Notices:
    """The listening connections of one process and its subscribers."""

    def __init__(
        self, dsns: Iterable[str], *, reconnect_pause: float = 1.0, ready_within: float = 5.0
    ) -> None:
        self._dsns = list(dict.fromkeys(dsns))
        self._pause = reconnect_pause
        self._ready_within = ready_within
        self._subscribers: set[Subscription] = set()
        self._ready: dict[str, asyncio.Event] = {dsn: asyncio.Event() for dsn in self._dsns}
        self._tasks: list[asyncio.Task[None]] = []
        self.delivered = 0
        self.dropped = 0
        self.backends: dict[str, int] = {}
        """Server pid of each database's listening connection, while it is up."""

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._listen(dsn)) for dsn in self._dsns]

    async def ready(self) -> None:
        """Wait until every database is listened to (at most ``ready_within`` seconds), or
        :class:`SourceUnavailable`."""
        self.start()
        try:
            async with asyncio.timeout(self._ready_within):
                for event in self._ready.values():
                    await event.wait()
        except TimeoutError:
            raise SourceUnavailable("postgres:events") from None

    @contextlib.asynccontextmanager
    async def subscribe(self, wanted: Callable[[Notice], bool], buffer: int) -> AsyncIterator[Subscription]:
        """A subscription that hears every notice committed from now on (once this returns) that ``wanted``
        accepts; it is dropped when the block exits, also by cancellation (a disconnect)."""
        await self.ready()
        subscription = Subscription(self, wanted, buffer)
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            subscription.close()

    def forget(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    def _heard(self, payload: str) -> None:
        try:
            notice = Notice.decode(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("an unreadable change notice was ignored")
            return
        for subscription in list(self._subscribers):
            try:
                if subscription.wanted(notice):
                    subscription.offer(notice)
                    self.delivered += 1
            except Exception:  # a predicate's bug must not stop the others' notices
                log.exception("a subscriber's filter failed")
                self.dropped += 1

    async def _listen(self, dsn: str) -> None:
        ready = self._ready[dsn]

        def heard(_: Any, __: int, ___: str, payload: str) -> None:
            self._heard(payload)

        while True:
            try:
                conn = await asyncpg.connect(
                    dsn, timeout=5, server_settings={"application_name": APPLICATION}
                )
            except (*UNAVAILABLE, asyncpg.PostgresError) as exc:
                log.debug("change listener cannot connect yet: %s", type(exc).__name__)
                await asyncio.sleep(self._pause)
                continue
            lost = asyncio.Event()
            try:
                conn.add_termination_listener(lambda _, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, heard)
                self.backends[dsn] = conn.get_server_pid()
                ready.set()
                while not conn.is_closed() and not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), timeout=5)
                    if not lost.is_set():
                        await conn.fetchval("SELECT 1")  # a dead connection shows itself
            except (*UNAVAILABLE, asyncpg.PostgresError) as exc:
                log.warning("change listener lost its connection: %s", type(exc).__name__)
            finally:
                ready.clear()
                self.backends.pop(dsn, None)
                with contextlib.suppress(*UNAVAILABLE, asyncpg.PostgresError):
                    await conn.close(timeout=2)
            for subscription in list(self._subscribers):
                subscription.fail(EventsInterrupted("The event stream was interrupted; subscribe again"))
            await asyncio.sleep(self._pause)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for subscription in list(self._subscribers):
            subscription.fail(EventsInterrupted("The server is shutting down"))
