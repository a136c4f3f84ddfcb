"""What the interactions subgraph tells the rest of the system: a logged interaction's outbox event and change notice,
written in the write's own transaction (:func:`record` is the one place that does it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from core import events, outbox

SCHEMA = "interactions"
AGGREGATE = "interaction"
LOGGED = "interaction.logged"
KINDS = (LOGGED,)


async def record(conn: asyncpg.Connection, interaction: asyncpg.Record, actor: str, at: datetime) -> None:
    keys: dict[str, Any] = {
        "interaction": interaction["id"],
        "customers": [interaction["customer_id"]],
        "businessUnit": interaction["business_unit"],
        "ticket": interaction["ticket_id"],
    }
    outbox_id = await outbox.emit(
        conn, SCHEMA, LOGGED, AGGREGATE, {**keys, "kind": interaction["kind"], "actor": actor}
    )
    await events.publish(conn, SCHEMA, outbox_id, events.Notice(SCHEMA, LOGGED, at, keys))
