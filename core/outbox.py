"""The outbox: every acknowledged write commits its rows and an event here, in the same PostgreSQL transaction.

Each PostgreSQL subgraph has one ``<schema>.outbox`` table in its own database (a subgraph may live in a database
of its own, and an event must commit with the rows it describes). An event names its ``kind`` (what happened, e.g.
``identity.ingest``), its ``aggregate`` (what it is about, e.g. ``identity``), a JSON ``payload`` and its ``size``
(units of work, such as the records of an ingest batch). A relay (:mod:`core.relay`) applies pending events to
the stores fed from PostgreSQL and records ``applied_at`` and its ``result``; a failed attempt counts in
``attempts`` and leaves ``last_error``: the error's class and the store it concerned, never a message, which could
quote personal data.

Writers wait for the result of their own events through :class:`Outcomes`: the relay of the same process hands
results over directly; a relay in another process announces applied ids with ``NOTIFY``, and a bounded poll covers
a notification lost while the listening connection reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from core.errors import SourceUnavailable
from core.postgres import UNAVAILABLE, Database

log = logging.getLogger(__name__)

TABLE = "outbox"
PENDING_CHANNEL = "c360_outbox"
"""``NOTIFY`` sent with every event: wakes the relays."""
APPLIED_CHANNEL = "c360_outbox_applied"
"""``NOTIFY`` sent when events are applied, with their ids (comma-separated): wakes the writers waiting."""
NOTIFY_IDS = 800
"""Ids per ``NOTIFY`` payload (PostgreSQL accepts 8,000 bytes)."""
ERASED = "customer.erased"
"""What an erasure step tells downstream consumers, in the outbox of the subgraph it erased (``{"job", "step",
"pseudonym", "counts"}``, no personal data); it commits with the step's changes, so it is also the step's receipt."""


def table(metadata: sa.MetaData) -> sa.Table:
    """The outbox table in a subgraph's schema (its ``models`` declare it, so migrations know it)."""
    return sa.Table(
        TABLE,
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("aggregate", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("size", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("result", JSONB, nullable=True),
        sa.Index(
            "ix_outbox_pending",
            "id",
            postgresql_where=sa.text("applied_at IS NULL AND failed_at IS NULL"),
        ),
        sa.Index(
            "ix_outbox_erasures",
            sa.text("(payload->>'job')"),
            postgresql_where=sa.text(f"kind = '{ERASED}'"),
        ),
    )


def qualified(schema: str) -> str:
    return f'"{schema}".{TABLE}'


async def emit(
    conn: asyncpg.Connection,
    schema: str,
    kind: str,
    aggregate: str,
    payload: Any,
    size: int = 1,
    stream: str | None = None,
) -> int:
    """Add an event inside the caller's transaction (it commits, or vanishes, with the caller's rows).

    With ``stream``, events of that stream are numbered in the order their transactions commit: a lock held from
    here to the caller's commit keeps a later id from becoming visible before an earlier one, so the relay, which
    applies a stream in id order, applies it in commit order. Emit last in the transaction to hold it briefly.
    """
    if stream is not None:
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"c360:emit:{schema}:{stream}")
    event_id: int = await conn.fetchval(
        f"WITH e AS (INSERT INTO {qualified(schema)} (kind, aggregate, payload, size) VALUES ($1, $2, $3, $4)"
        " RETURNING id) SELECT id FROM e, pg_notify($5, '')",
        kind,
        aggregate,
        payload,
        size,
        PENDING_CHANNEL,
    )
    return event_id


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    aggregate: str
    payload: Any
    attempts: int


@dataclass(frozen=True)
class Backlog:
    pending: int
    """Events not applied yet (failed ones aside)."""
    oldest_seconds: float
    """Age of the oldest pending event; 0 when none."""
    failed: int
    """Events given up on after repeated failures that were not outages."""


async def backlog(db: Database, schema: str) -> Backlog:
    """The backlog of one subgraph's outbox, in one statement (the partial index keeps it cheap)."""
    rows = await db.fetch(
        "SELECT count(*) FILTER (WHERE failed_at IS NULL) AS pending,"
        " coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE failed_at IS NULL)), 0) AS age,"
        " count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed"
        f" FROM {qualified(schema)} WHERE applied_at IS NULL"
    )
    row = rows[0]
    return Backlog(int(row["pending"]), float(row["age"]), int(row["failed"]))


def error_label(exc: BaseException) -> str:
    """What ``last_error`` keeps of a failure: its class, and the store for an outage; never the message."""
    if isinstance(exc, SourceUnavailable):
        return f"SourceUnavailable({exc.extensions.get('source')})"
    cause = exc.__cause__
    return type(exc).__name__ + (f" from {type(cause).__name__}" if cause is not None else "")


def applied_notices(ids: Iterable[int]) -> list[str]:
    """``NOTIFY`` payloads naming applied event ids, each under PostgreSQL's size limit."""
    ordered = sorted(ids)
    return [",".join(map(str, ordered[i : i + NOTIFY_IDS])) for i in range(0, len(ordered), NOTIFY_IDS)]


class Outcomes:
    """Where writers wait for the relay's result of their events, up to a deadline.

    ``publish`` is called by a relay running in this process; ``start`` listens for the ``NOTIFY`` of relays in
    other processes. Either way the waiter reads nothing it did not have to: the result handed over in process, or
    one statement once the event is known applied.
    """

    def __init__(self, dsn: str | None = None, poll: float = 0.5) -> None:
        self._dsn = dsn
        self._poll = poll
        self._waiting: dict[int, list[asyncio.Future[Any]]] = {}
        self._listener: asyncio.Task[None] | None = None
        self.stalled = False
        """Set by the relay of this process while its store is unreachable: writers then answer at once."""

    def publish(self, results: dict[int, Any]) -> None:
        for event_id, result in results.items():
            for future in self._waiting.pop(event_id, []):
                if not future.done():
                    future.set_result(result)

    def _applied(self, ids: Sequence[int]) -> None:
        """Events applied elsewhere: their waiters read the result themselves."""
        self.publish({i: _READ for i in ids if i in self._waiting})

    async def wait(self, db: Database, schema: str, event_id: int, seconds: float) -> Any | None:
        """The result of ``event_id`` once applied, or ``None`` if it is not applied within ``seconds``."""
        if seconds <= 0:
            return None
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.setdefault(event_id, []).append(future)
        deadline = loop.time() + seconds
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0 or self.stalled:
                    return None
                try:
                    result = await asyncio.wait_for(asyncio.shield(future), min(remaining, self._poll))
                except TimeoutError:
                    result = _READ if await _is_applied(db, schema, event_id) else None
                    if result is None:
                        continue
                if result is _READ:
                    return await _result(db, schema, event_id)
                return result
        finally:
            waiting = self._waiting.get(event_id)
            if waiting is not None:
                with contextlib.suppress(ValueError):
                    waiting.remove(future)
                if not waiting:
                    del self._waiting[event_id]

    async def start(self) -> None:
        """Listen for events applied by relays of other processes (reconnecting whenever PostgreSQL returns)."""
        if self._dsn is not None and self._listener is None:
            self._listener = asyncio.create_task(self._listen(self._dsn))

    async def _listen(self, dsn: str) -> None:
        def notified(_: object, __: int, ___: str, payload: str) -> None:
            self._applied([int(i) for i in payload.split(",") if i])

        while True:
            try:
                conn = await asyncpg.connect(dsn, timeout=5)
            except (*UNAVAILABLE, asyncpg.PostgresError) as exc:
                log.debug("outcome listener cannot connect yet: %s", type(exc).__name__)
                await asyncio.sleep(1.0)
                continue
            try:
                await listen_until_closed(conn, APPLIED_CHANNEL, notified)
            except (*UNAVAILABLE, asyncpg.PostgresError) as exc:
                log.debug("outcome listener lost its connection: %s", type(exc).__name__)
            finally:
                with contextlib.suppress(*UNAVAILABLE, asyncpg.PostgresError):
                    await conn.close(timeout=2)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None


async def listen_until_closed(conn: asyncpg.Connection, channel: str, callback: Any) -> None:
    """``LISTEN`` on ``conn`` until the connection ends (PostgreSQL went away): the caller reconnects."""
    closed = asyncio.Event()
    conn.add_termination_listener(lambda _: closed.set())
    await conn.add_listener(channel, callback)
    await closed.wait()


_READ = object()
"""The result of an event applied by another process: read it from the outbox."""


async def _is_applied(db: Database, schema: str, event_id: int) -> bool:
    try:
        return bool(
            await db.fetchval(
                f"SELECT applied_at IS NOT NULL OR failed_at IS NOT NULL FROM {qualified(schema)} WHERE id = $1",
                event_id,
            )
        )
    except SourceUnavailable:
        return False


async def _result(db: Database, schema: str, event_id: int) -> Any:
    return await db.fetchval(f"SELECT result FROM {qualified(schema)} WHERE id = $1", event_id)
