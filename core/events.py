"""Change notices: every write that emits an outbox event also sends a ``NOTIFY`` naming what changed, in the same
transaction, so PostgreSQL delivers it to every listening process exactly when the write commits (and never when
it rolls back).

A notice carries keys, never documents: PostgreSQL refuses a ``NOTIFY`` payload of 8,000 bytes or more, and a
listener loads what it shows fresh, under its own subscriber's policies. Listening is :mod:`core.listener`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
import orjson

T = TypeVar("T")

CHANNEL = "c360_events"
MAX_PAYLOAD = 7999
"""The largest payload PostgreSQL accepts (``NOTIFY`` refuses 8,000 bytes and more)."""


@dataclass(frozen=True)
class Notice:
    schema: str
    """The subgraph whose outbox holds the event."""
    kind: str
    """What happened: ``ticket.opened``, ``order.ingested``, ``interaction.logged``, ``identity.merged``, …"""
    at: datetime
    """When the write happened (its clock)."""
    keys: dict[str, Any] = field(default_factory=dict)
    """What it is about: ``ticket``, ``customers``, ``event``, ``businessUnit``, …; small values only."""
    _shared: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def shared(self, key: Hashable, make: Callable[[], T]) -> T:
        """One value per ``key`` for every subscriber of this process that hears this notice (a process decodes a
        notice once and hands each subscriber the same object): what subscribers who may see the same rows can
        share while they read this one event."""
        found = self._shared.get(key)
        if found is None:
            found = self._shared[key] = make()
        return found

    def encode(self) -> str:
        text = orjson.dumps(
            {"s": self.schema, "k": self.kind, "at": self.at.isoformat(), "keys": self.keys}
        ).decode()
        if len(text.encode()) > MAX_PAYLOAD:
            raise ValueError(f"a {self.kind} notice of {len(text.encode())} bytes exceeds the NOTIFY limit")
        return text

    @classmethod
    def decode(cls, payload: str) -> Notice:
        data = orjson.loads(payload)
        return cls(data["s"], data["k"], datetime.fromisoformat(data["at"]), data.get("keys") or {})


async def notify(conn: asyncpg.Connection, notice: Notice) -> None:
    """Send ``notice`` when the caller's transaction commits."""
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, notice.encode())


async def publish(conn: asyncpg.Connection, schema: str, event_id: int, notice: Notice) -> None:
    """Send ``notice`` for outbox event ``event_id`` of ``schema``, and mark the event applied, in one statement of
    the caller's transaction: for events whose one consumer so far is their notice (subscriptions), the notice *is*
    their application, delivered exactly when the write commits. No relay has to claim them afterwards, and an
    outbox backlog counts only work still owed to a store. A consumer added later (an export, a graph projection)
    would leave its kinds pending for a relay handler of its own instead."""
    await conn.execute(
        f'WITH done AS (UPDATE "{schema}".outbox SET applied_at = now() WHERE id = $1 RETURNING id)'
        " SELECT pg_notify($2, $3) FROM done",
        event_id,
        CHANNEL,
        notice.encode(),
    )
