"""What the tickets subgraph tells the rest of the system: each change's history row, its outbox event and its change
notice, written together in the change's own transaction (:func:`record` is the one place that does it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from core import events, outbox

SCHEMA = "tickets"
AGGREGATE = "ticket"
STREAM = "events"
OPENED = "ticket.opened"
COMMENTED = "ticket.commented"
ASSIGNED = "ticket.assigned"
STATUS_CHANGED = "ticket.status_changed"
PRIORITY_CHANGED = "ticket.priority_changed"
KINDS = (OPENED, COMMENTED, ASSIGNED, STATUS_CHANGED, PRIORITY_CHANGED)
"""Event kinds, also the ``kind`` of the history rows without their ``ticket.`` prefix."""


def keys(ticket: asyncpg.Record, event_id: int) -> dict[str, Any]:
    """What an event names: enough for a subscriber to decide whether it concerns it, and to load the rest."""
    return {
        "ticket": ticket["id"],
        "event": event_id,
        "customers": [ticket["customer_id"]],
        "businessUnit": ticket["business_unit"],
        "queue": ticket["queue"],
        "assignee": ticket["assignee"],
    }


async def record(
    conn: asyncpg.Connection,
    ticket: asyncpg.Record,
    kind: str,
    actor: str,
    at: datetime,
    data: dict[str, Any],
) -> int:
    """The change's history row, outbox event and notice, inside the caller's transaction; the history row's id."""
    event_id: int = await conn.fetchval(
        "INSERT INTO tickets.ticket_events (ticket_id, customer_id, kind, actor, at, data)"
        " VALUES ($1, $2::uuid, $3, $4, $5, $6) RETURNING id",
        ticket["id"],
        ticket["customer_id"],
        kind.removeprefix("ticket."),
        actor,
        at,
        data,
    )
    named = keys(ticket, event_id)
    outbox_id = await outbox.emit(conn, SCHEMA, kind, AGGREGATE, {**named, "actor": actor, "data": data})
    await events.publish(conn, SCHEMA, outbox_id, events.Notice(SCHEMA, kind, at, named))
    return event_id
