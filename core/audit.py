"""The audit of personal data: one append-only record per request that showed unmasked personal data or changed
customer data. A record says who (subject and roles), which operation (its name and root fields, never its text
or arguments), which customers, which data classes, when, the request id and the endpoint; never a value.

The records live in the profiles subgraph's database (``profiles.audit_records``, created by its migrations), the
subgraph that owns customers; every process writes there, whichever subgraph it serves, through the profiles
subgraph's DSN. The API's role may only insert and read them (``core.migrations.app_grants``), and a trigger
refuses ``UPDATE``, ``DELETE`` and ``TRUNCATE`` to every role, the owner included.

Concurrent requests' records are written together (:class:`GroupCommit`), each request released once its own
record is committed.

Erasure hook: a job that must pseudonymise a customer's id in past records runs as the schemas' owner and sets
``SET LOCAL c360.audit_rewrite = 'pseudonymise'`` in its transaction; the trigger then lets its ``UPDATE``
through (and nothing else).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from dataclasses import dataclass
from typing import Literal

from core.errors import AuditUnavailable, SourceUnavailable
from core.metrics import AUDIT_GROUPS
from core.postgres import Database

log = logging.getLogger("c360.audit")

STORE = "profiles"
"""The subgraph whose database keeps the records."""
TABLE = "profiles.audit_records"
APPEND_ONLY = (TABLE,)
"""Tables the API's role may insert into and read, never change (the grants and the seed's reset skip them)."""
REWRITE_SETTING = "c360.audit_rewrite"
"""The owner's erasure hook: ``SET LOCAL c360.audit_rewrite = 'pseudonymise'`` lets an ``UPDATE`` through."""

Kind = Literal["read", "mutation"]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    request_id: str | None
    subject: str
    roles: tuple[str, ...]
    operation: str | None
    """The operation's name as the document gives it; ``None`` for an anonymous operation."""
    fields: tuple[str, ...]
    """Root fields the operation selected (names, not aliases; no arguments)."""
    kind: Kind
    customer_ids: tuple[str, ...]
    data_classes: tuple[str, ...]
    endpoint: str | None
    """The HTTP path the request came to (``/graphql``, ``/subgraphs/<name>/graphql``)."""


INSERT = (
    f"INSERT INTO {TABLE} (request_id, subject, roles, operation, fields, kind, customer_ids, data_classes,"
    " endpoint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)


async def write(db: Database, record: AuditRecord) -> None:
    """Write ``record``, durably, before returning.

    Records of concurrent requests are written together (:class:`GroupCommit`). Any failure (the table refuses
    the role, is missing, the database is down or the statement times out) raises :class:`AuditUnavailable`, so
    the caller withholds what the record was for."""
    log_of = _LOGS.get(db)
    if log_of is None:
        log_of = _LOGS[db] = GroupCommit()
    await log_of.write(db, record)


class GroupCommit:
    """The records of one database, written in groups: a record is written at once while fewer than
    :data:`WRITERS` groups are being written; records arriving while that many are wait and go together in the
    next, in one transaction (one round trip, one commit). A busy server writes a group per round trip, not a
    record, and an idle one waits no longer than before. Each writer returns once its own record is committed."""

    def __init__(self) -> None:
        self._queued: list[tuple[AuditRecord, asyncio.Future[None]]] = []
        self._flushing: set[asyncio.Task[None]] = set()

    async def write(self, db: Database, record: AuditRecord) -> None:
        loop = asyncio.get_running_loop()
        written: asyncio.Future[None] = loop.create_future()
        if any(task.get_loop() is not loop for task in self._flushing):
            self._flushing, self._queued = set(), []  # an event loop that has ended (a test's) left them
        self._queued.append((record, written))
        if len(self._flushing) < WRITERS:
            # A context of its own: the flush serves several requests, and its logs name none of them.
            self._flushing.add(loop.create_task(self._flush(db), context=contextvars.Context()))
        await written

    async def _flush(self, db: Database) -> None:
        group: list[tuple[AuditRecord, asyncio.Future[None]]] = []
        try:
            while self._queued:
                group, self._queued = self._queued, []
                await self._write(db, group)
                group = []
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._flushing.discard(task)
            # Cancelled (the process stopping): what this writer held, and what waits when no writer is left,
            # will not be written, and their writers hear so.
            left = [*group, *(self._queued if not self._flushing else ())]
            for record, written in left:
                _refuse(record, written, None)
            if not self._flushing:
                self._queued = []

    async def _write(self, db: Database, group: list[tuple[AuditRecord, asyncio.Future[None]]]) -> None:
        try:
            await db.executemany(INSERT, [_row(record) for record, _ in group])
        except Exception as exc:
            if len(group) > 1 and not isinstance(exc, SourceUnavailable):
                # Alone, so that a record the table refuses withholds no other request's data. Not when the
                # database is down or timed out: each would wait as long again, and the group may have committed.
                for one in group:
                    await self._write(db, [one])
                return
            for record, written in group:
                _refuse(record, written, exc)
            return
        AUDIT_GROUPS.observe(len(group))
        for _, written in group:
            if not written.done():
                written.set_result(None)


def _refuse(record: AuditRecord, written: asyncio.Future[None], exc: BaseException | None) -> None:
    if written.done():
        return
    log.error("the audit record of request %s could not be written", record.request_id, exc_info=exc)
    written.set_exception(
        AuditUnavailable(
            "Withheld: the audit record this personal data needs could not be written; try again later"
        )
    )


WRITERS = 2
"""Groups written at once: a record waits for a round trip only when this many are under way."""

_LOGS: weakref.WeakKeyDictionary[Database, GroupCommit] = weakref.WeakKeyDictionary()


def _row(record: AuditRecord) -> tuple[object, ...]:
    return (
        record.request_id,
        record.subject,
        list(record.roles),
        record.operation,
        list(record.fields),
        record.kind,
        list(record.customer_ids),
        list(record.data_classes),
        record.endpoint,
    )
