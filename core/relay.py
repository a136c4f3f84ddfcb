"""The relay: applies outbox events to the stores fed from PostgreSQL, in order, at least once, idempotently.

One claim is one PostgreSQL transaction: take the stream's lock, lock the oldest pending events of the stream
(``FOR UPDATE SKIP LOCKED``), let the handler apply them (it writes the other store idempotently, then its
write-back inside this transaction), mark them applied with their results, ``NOTIFY`` the waiting writers, commit.
A relay that dies anywhere in between leaves its transaction to roll back: the events are pending again and the
next claim applies them again, which the handler's idempotence makes harmless.

Ordering. Events of one *stream* apply one claim at a time, oldest first: the claim takes a transaction-level
advisory lock named for the stream (``pg_try_advisory_xact_lock``), so several relays may run (in every API process
and as ``c360 relay`` workers) and exactly one applies a stream at any moment while the others stand by; they take
over as soon as its transaction ends, even by a crash. ``SKIP LOCKED`` keeps a claim from ever waiting on rows
another transaction holds. Throughput comes from applying many events per claim, not from parallel claims.

Failures. An outage (``SourceUnavailable``: the store did not answer, or a commit's outcome is unknown, such as
Neo4j's ``IncompleteCommit``) is retried without limit, with a growing pause. Any other error counts an attempt;
a claim of several events that fails is retried one event at a time, and an event that fails ``max_attempts``
times alone is set aside (``failed_at``) so the stream moves on; ``/metrics`` and ``/readyz`` count it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg

from core import outbox
from core.errors import SourceUnavailable
from core.metrics import RELAY_EVENTS, RELAY_RECORDS
from core.outbox import Event, Outcomes
from core.postgres import UNAVAILABLE, job_pool

log = logging.getLogger(__name__)

CLAIM_WINDOW = 500
"""Pending events one claim looks at; the handler's budget of work picks a prefix of them."""


class Handler(Protocol):
    """Applies the events of some kinds from one subgraph's outbox."""

    schema: str
    """The subgraph whose outbox it drains."""
    stream: str
    """Its ordering domain: events of one stream apply one claim at a time, in id order."""
    kinds: tuple[str, ...]

    async def reachable(self) -> bool:
        """Whether the store it feeds answers now (checked before claiming again after an outage)."""
        ...

    async def apply(self, conn: asyncpg.Connection, events: list[Event]) -> dict[int, Any]:
        """Apply ``events`` (in id order) and write what PostgreSQL keeps of them on ``conn``, inside the claim's
        transaction; return each event's result (JSON). Raise ``SourceUnavailable`` when a store is out."""
        ...


@dataclass
class _Stream:
    handler: Handler
    single: bool = False
    """After a failure that was not an outage: claim one event at a time until one applies."""
    pause: float = 0.0
    """Seconds to wait before the next claim after an outage."""
    out: bool = False


@dataclass
class StepResult:
    applied: int = 0
    records: int = 0
    busy: bool = False
    """Another relay holds the stream."""
    failed: bool = False
    results: dict[int, Any] = field(default_factory=dict)


class Relay:
    """Drains the streams of its handlers from one database: a loop woken by ``NOTIFY`` and by a poll."""

    def __init__(
        self,
        dsn: str,
        handlers: Sequence[Handler],
        *,
        budget: int = 2000,
        poll: float = 1.0,
        max_attempts: int = 10,
        max_pause: float = 5.0,
        outcomes: Outcomes | None = None,
    ) -> None:
        self._dsn = dsn
        self._streams = [_Stream(h) for h in handlers]
        self.budget = budget
        self.poll = poll
        self.max_attempts = max_attempts
        self.max_pause = max_pause
        self.outcomes = outcomes
        self._pool: asyncpg.Pool | None = None
        self._wake = asyncio.Event()

    async def _connections(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await job_pool(self._dsn, max_size=2)
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def run(self) -> None:
        """Apply events until cancelled."""
        listener = asyncio.create_task(self._listen())
        try:
            while True:
                pause = await self._round()
                if pause > 0:
                    await asyncio.sleep(pause)  # an outage: new events must not hurry the retry
                    continue
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def _round(self) -> float:
        """Claim until every stream is empty, busy elsewhere or out; the pause an outage asks for."""
        pauses = []
        for stream in self._streams:
            while True:
                step = await self._step(stream)
                if step.failed or step.busy or step.applied == 0:
                    break
            if stream.out:
                pauses.append(stream.pause)
        return min(pauses) if pauses else 0.0

    async def drain(self, max_rounds: int = 10_000) -> int:
        """Apply every pending event now (for jobs and tests); returns the events applied.

        Stops when nothing is left or a store is out; a stream busy in another relay is waited for.
        """
        applied = 0
        for _ in range(max_rounds):
            progressed = busy = False
            for stream in self._streams:
                step = await self._step(stream)
                applied += step.applied
                progressed |= step.applied > 0
                busy |= step.busy
                if step.failed and stream.out:
                    return applied
            if not progressed and not busy:
                return applied
            if busy and not progressed:
                await asyncio.sleep(0.05)
        return applied

    async def _step(self, stream: _Stream) -> StepResult:
        handler = stream.handler
        if stream.out and not await handler.reachable():
            if self.outcomes is not None:
                self.outcomes.stalled = True
            return StepResult(failed=True)
        try:
            pool = await self._connections()
            async with pool.acquire() as conn:
                result = await self._claim_and_apply(conn, stream)
        except SourceUnavailable as exc:
            return await self._outage(stream, exc)
        except UNAVAILABLE as exc:
            return await self._outage(stream, SourceUnavailable(f"postgres:{handler.schema}", exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._failure(stream, exc)
            return StepResult(failed=True)
        if not result.busy:
            self._recovered(stream)  # the store answered (checked above), or a claim went through
        if result.applied:
            stream.single = False
            RELAY_EVENTS.labels("applied").inc(result.applied)
            RELAY_RECORDS.inc(result.records)
            if self.outcomes is not None:
                self.outcomes.publish(result.results)
        return result

    async def _claim_and_apply(self, conn: asyncpg.Connection, stream: _Stream) -> StepResult:
        handler = stream.handler
        table = outbox.qualified(handler.schema)
        async with conn.transaction():
            if not await conn.fetchval(
                "SELECT pg_try_advisory_xact_lock(hashtext($1))",
                f"c360:relay:{handler.schema}:{handler.stream}",
            ):
                return StepResult(busy=True)
            window = await conn.fetch(
                f"SELECT id, size FROM {table} WHERE applied_at IS NULL AND failed_at IS NULL"
                " AND kind = ANY($1::text[]) ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
                list(handler.kinds),
                1 if stream.single else CLAIM_WINDOW,
            )
            chosen: list[int] = []
            records = 0
            for row in window:
                if chosen and records + row["size"] > self.budget:
                    break
                chosen.append(row["id"])
                records += row["size"]
            if not chosen:
                return StepResult()
            events = [
                Event(r["id"], r["kind"], r["aggregate"], r["payload"], r["attempts"])
                for r in await conn.fetch(
                    f"SELECT id, kind, aggregate, payload, attempts FROM {table} WHERE id = ANY($1::bigint[])"
                    " ORDER BY id",
                    chosen,
                )
            ]
            results = await handler.apply(conn, events)
            await conn.execute(
                f"UPDATE {table} o SET applied_at = now(), attempts = o.attempts + 1, result = r.result"
                " FROM unnest($1::bigint[], $2::jsonb[]) AS r(id, result) WHERE o.id = r.id",
                [e.id for e in events],
                [results.get(e.id) for e in events],
            )
            for notice in outbox.applied_notices(e.id for e in events):
                await conn.execute("SELECT pg_notify($1, $2)", outbox.APPLIED_CHANNEL, notice)
        return StepResult(applied=len(events), records=records, results=results)

    async def _outage(self, stream: _Stream, exc: SourceUnavailable) -> StepResult:
        """A store did not answer (or a commit's outcome is unknown): retry later, idempotently, without limit."""
        RELAY_EVENTS.labels("retried").inc()
        if not stream.out:
            log.warning("relay of %s paused: %s", stream.handler.stream, outbox.error_label(exc))
        stream.out = True
        stream.pause = min(self.max_pause, max(0.2, stream.pause * 2))
        if self.outcomes is not None and not self.outcomes.stalled:
            # Writers stop waiting only while the store is really out: an unknown commit outcome on a store that
            # answers (``IncompleteCommit``) is retried at once, and its writers get the outcome.
            self.outcomes.stalled = not await stream.handler.reachable()
        await self._count_attempt(stream, exc, give_up=False)
        return StepResult(failed=True)

    def _recovered(self, stream: _Stream) -> None:
        if stream.out:
            log.warning("relay of %s resumed", stream.handler.stream)
        stream.out = False
        stream.pause = 0.0
        if self.outcomes is not None:
            self.outcomes.stalled = any(s.out for s in self._streams)

    async def _failure(self, stream: _Stream, exc: Exception) -> None:
        """An error that is not an outage: count it; alone and past the limit, the event is set aside."""
        RELAY_EVENTS.labels("retried").inc()
        log.warning(
            "relay of %s failed to apply (%s)",
            stream.handler.stream,
            outbox.error_label(exc),
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
        await self._count_attempt(stream, exc, give_up=stream.single)
        stream.single = True

    async def _count_attempt(self, stream: _Stream, exc: BaseException, give_up: bool) -> None:
        """One more attempt on the head of the stream, the event that holds the others back."""
        handler = stream.handler
        table = outbox.qualified(handler.schema)
        try:
            pool = await self._connections()
            async with pool.acquire() as conn, conn.transaction():
                head = await conn.fetch(
                    f"SELECT id, attempts FROM {table} WHERE applied_at IS NULL AND failed_at IS NULL"
                    " AND kind = ANY($1::text[]) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                    list(handler.kinds),
                )
                if not head:
                    return
                ids = [r["id"] for r in head]
                await conn.execute(
                    f"UPDATE {table} SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])",
                    ids,
                    outbox.error_label(exc),
                )
                if give_up and head[0]["attempts"] + 1 >= self.max_attempts:
                    await conn.execute(f"UPDATE {table} SET failed_at = now() WHERE id = $1", ids[0])
                    RELAY_EVENTS.labels("failed").inc()
                    log.error("relay of %s set event %d aside after %d attempts", handler.stream, ids[0],
                              head[0]["attempts"] + 1)  # fmt: skip
                    for notice in outbox.applied_notices(ids[:1]):
                        await conn.execute("SELECT pg_notify($1, $2)", outbox.APPLIED_CHANNEL, notice)
        except (*UNAVAILABLE, asyncpg.PostgresError):
            return  # PostgreSQL itself is out: nothing to count with

    async def _listen(self) -> None:
        """Wake the loop on every new event (the poll still runs should a notification be missed)."""
        while True:
            try:
                conn = await asyncpg.connect(self._dsn, timeout=5)
            except (*UNAVAILABLE, asyncpg.PostgresError):
                await asyncio.sleep(1.0)
                continue
            try:
                self._wake.set()  # events may have arrived while no one listened
                await outbox.listen_until_closed(conn, outbox.PENDING_CHANNEL, lambda *_: self._wake.set())
            except (*UNAVAILABLE, asyncpg.PostgresError):
                pass
            finally:
                with contextlib.suppress(*UNAVAILABLE, asyncpg.PostgresError):
                    await conn.close(timeout=2)
