"""Logging an interaction: one PostgreSQL transaction with its idempotency key, the interaction and its outbox event
and change notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from core import idempotency
from core.errors import BadUserInput, Forbidden
from core.postgres import Database
from core.visibility import EVERYTHING, Visible
from subgraphs.interactions import events
from subgraphs.interactions.events import SCHEMA
from subgraphs.interactions.repository import COLUMNS

MAX_SUMMARY = 2000
MAX_PAYLOAD_BYTES = 16 * 1024
MAX_DURATION = 24 * 3600
MAX_NAME = 100


@dataclass(frozen=True)
class Logged:
    interaction: int
    replayed: bool = False
    row: asyncpg.Record | None = None


def _text(value: str, what: str, limit: int) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > limit or "\x00" in cleaned:
        raise BadUserInput(f"{what} must have 1 to {limit:,} characters (and no NUL)")
    return cleaned


async def log(
    db: Database,
    actor: str,
    key: str | None,
    *,
    customer_id: str,
    kind: str,
    channel: str,
    summary: str,
    occurred_at: datetime,
    duration_seconds: int | None,
    payload: Any,
    ticket_id: int | None,
    business_unit: str,
    now: datetime,
    rows: Visible = EVERYTHING,
) -> Logged:
    """A new interaction (``occurred_at`` when it happened, ``now`` when it is logged)."""
    summary = _text(summary, "The summary", MAX_SUMMARY)
    channel = _text(channel, "The channel", MAX_NAME)
    business_unit = _text(business_unit, "The business unit", MAX_NAME)
    if duration_seconds is not None and not 0 <= duration_seconds <= MAX_DURATION:
        raise BadUserInput(f"A duration is 0 to {MAX_DURATION:,} seconds")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict) or len(orjson.dumps(payload)) > MAX_PAYLOAD_BYTES:
        raise BadUserInput(f"The payload is a JSON object of at most {MAX_PAYLOAD_BYTES:,} bytes")
    if rows.business_units is not None and business_unit not in rows.business_units:
        raise Forbidden(f"You may not write in business unit {business_unit!r}")
    arguments = [
        customer_id,
        kind,
        channel,
        summary,
        occurred_at.isoformat(),
        duration_seconds,
        payload,
        ticket_id,
    ]
    async with db.transaction() as conn:
        claim = await idempotency.claim(
            conn, SCHEMA, actor, key, "logInteraction", [*arguments, business_unit]
        )
        if claim.is_replay:
            return Logged(claim.replayed["interaction"], replayed=True)
        row = await conn.fetchrow(
            "INSERT INTO interactions.interactions AS i (customer_id, kind, channel, occurred_at, summary, payload,"
            " business_unit, duration_seconds, ticket_id, logged_by)"
            f" VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}",
            customer_id,
            kind,
            channel,
            occurred_at,
            summary,
            payload,
            business_unit,
            duration_seconds,
            ticket_id,
            actor,
        )
        assert row is not None
        await events.record(conn, row, actor, now)
        await idempotency.remember(conn, claim, {"interaction": row["id"]})
    return Logged(row["id"], row=row)
