"""What the orders subgraph tells the rest of the system: each received order's outbox event and change notice, in
the write's own transaction (:func:`record` is the one place that does it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from core import events, outbox

SCHEMA = "orders"
AGGREGATE = "order"
INGESTED = "order.ingested"
"""An order a source system sent, new or changed."""
STATUS_CHANGED = "order.status_changed"
KINDS = (INGESTED, STATUS_CHANGED)


async def record(
    conn: asyncpg.Connection, order: asyncpg.Record, kind: str, at: datetime, data: dict[str, Any]
) -> None:
    keys: dict[str, Any] = {
        "order": order["id"],
        "customers": [order["customer_id"]],
        "businessUnit": order["business_unit"],
    }
    payload = {**keys, "system": order["source_system"], "externalId": order["external_id"], **data}
    outbox_id = await outbox.emit(conn, SCHEMA, kind, AGGREGATE, payload)
    await events.publish(conn, SCHEMA, outbox_id, events.Notice(SCHEMA, kind, at, keys))
