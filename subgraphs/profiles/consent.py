"""Consent: per customer, purpose and channel, each decision kept (the history), the latest by time in force.

PIPL asks for separate consent to sharing with third parties, cross-border transfer and processing sensitive
personal information, besides marketing (per channel) and profiling. A decision is written with one outbox event
(``consent.changed``) in the writer's transaction. A decision that comes with a source record is keyed by the
record, whose customer may not be known before the relay resolves it: it belongs to the record's current customer,
and the relay fills in ``customer_id`` when it applies the event (after the record's own ingest event).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core import outbox
from core.errors import BadUserInput, NotFound
from core.postgres import Database
from core.visibility import Visible
from subgraphs.kit.sources import DataSources
from subgraphs.profiles.events import AGGREGATE, CONSENT, SCHEMA, STREAM

PURPOSES = ("marketing", "profiling", "third_party_sharing", "cross_border", "sensitive_pi")
CHANNELS = ("sms", "email", "wechat", "phone")
"""Marketing is consented per channel; every other purpose has the one channel ``any``."""
ANY = "any"
STATUSES = ("granted", "denied", "withdrawn")


@dataclass(frozen=True)
class Decision:
    purpose: str
    channel: str
    status: str
    source: str
    decided_at: datetime
    evidence: str | None = None

    def checked(self) -> Decision:
        """The decision, or ``BadUserInput`` naming what is wrong (marketing needs a channel, others none)."""
        if self.purpose not in PURPOSES or self.status not in STATUSES:
            raise BadUserInput("Unknown consent purpose or status")
        if self.purpose == "marketing" and self.channel not in CHANNELS:
            raise BadUserInput("Marketing consent needs a channel: SMS, EMAIL, WECHAT or PHONE")
        if self.purpose != "marketing" and self.channel != ANY:
            raise BadUserInput(f"Consent to {self.purpose} has no channel: use ANY")
        if self.decided_at.tzinfo is None:
            raise BadUserInput("decidedAt needs a time zone")
        if "\x00" in self.source or "\x00" in (self.evidence or ""):
            raise BadUserInput("A consent's source and evidence cannot hold NUL characters")
        if not self.source.strip():
            raise BadUserInput("A consent needs its source system")
        return self


def _event(decision: Decision, customer: str | None, record: str | None) -> dict[str, Any]:
    """What the event carries: no evidence (it may quote personal data), the decision and whose it is."""
    return {
        "customer": customer,
        "record": record,
        "purpose": decision.purpose,
        "channel": decision.channel,
        "status": decision.status,
        "source": decision.source,
        "decidedAt": decision.decided_at.isoformat(),
    }


async def record(
    conn: asyncpg.Connection,
    decisions: Sequence[tuple[str | None, tuple[str, str] | None, Decision]],
) -> int | None:
    """Write ``(customer, record key, decision)`` rows and their one event in the caller's transaction; the event id."""
    if not decisions:
        return None
    event_id = await outbox.emit(
        conn,
        SCHEMA,
        CONSENT,
        AGGREGATE,
        {"decisions": [_event(d, c, f"{r[0]}:{r[1]}" if r else None) for c, r, d in decisions]},
        size=len(decisions),
        stream=STREAM,
    )
    await conn.executemany(
        "INSERT INTO profiles.consent_records (customer_id, system, external_id, purpose, channel, status, source,"
        " decided_at, evidence, event_id) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [
            (
                c,
                r[0] if r else None,
                r[1] if r else None,
                d.purpose,
                d.channel,
                d.status,
                d.source,
                d.decided_at,
                d.evidence,
                event_id,
            )
            for c, r, d in decisions
        ],
    )
    return event_id


async def set_consent(
    sources: DataSources, customer_id: str, decision: Decision, rows: Visible
) -> tuple[str, int]:
    """Record ``decision`` for a customer (a merged-away id: for its survivor); the customer and the event id.
    A customer out of the caller's ``rows`` is refused as one that does not exist."""
    if not rows.sees_customer(customer_id):
        raise NotFound("customer", customer_id)
    async with sources.postgres.db(SCHEMA).transaction() as conn:
        found = await conn.fetchval(
            "SELECT coalesce((SELECT customer_id FROM profiles.customer_aliases WHERE alias_id = $1::uuid),"
            " (SELECT id FROM profiles.customers WHERE id = $1::uuid))::text",
            customer_id,
        )
        if found is None or not rows.sees_customer(found):
            raise NotFound("customer", customer_id)
        event_id = await record(conn, [(found, None, decision)])
    assert event_id is not None
    return found, event_id


async def resolve(conn: asyncpg.Connection, event_ids: Sequence[int]) -> dict[int, Any]:
    """The relay's side of consent events: decisions keyed by a record get the customer it resolved to."""
    rows = await conn.fetch(
        "UPDATE profiles.consent_records c SET customer_id = s.customer_id FROM profiles.source_records s"
        " WHERE c.event_id = ANY($1::bigint[]) AND c.customer_id IS NULL"
        " AND s.system = c.system AND s.external_id = c.external_id AND s.customer_id IS NOT NULL"
        " RETURNING c.event_id, s.customer_id::text AS customer",
        list(event_ids),
    )
    found: dict[int, set[str]] = {e: set() for e in event_ids}
    for row in rows:
        found[row["event_id"]].add(row["customer"])
    return {e: {"customers": sorted(c)} for e, c in found.items()}


CURRENT = """
SELECT DISTINCT ON (owner, c.purpose, c.channel)
       owner, c.purpose, c.channel, c.status, c.source, c.decided_at, c.evidence
FROM profiles.consent_records c
LEFT JOIN profiles.source_records s ON s.system = c.system AND s.external_id = c.external_id
LEFT JOIN profiles.customer_aliases a ON a.alias_id = c.customer_id
CROSS JOIN LATERAL (SELECT coalesce(s.customer_id, a.customer_id, c.customer_id)::text AS owner) o
WHERE coalesce(s.customer_id, a.customer_id, c.customer_id) = ANY($1::uuid[])
ORDER BY owner, c.purpose, c.channel, c.decided_at DESC, c.id DESC
"""
"""The decision in force per customer, purpose and channel: a record's decisions follow the record's current
customer, a customer's follow its merges; the latest by ``decided_at`` wins (ties: the later written)."""


async def current(db: Database, customer_ids: Sequence[str]) -> dict[str, list[asyncpg.Record]]:
    """The consents in force of each customer, purpose then channel, in one statement."""
    rows = await db.fetch(CURRENT, [uuid.UUID(c) for c in customer_ids])
    by: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        by.setdefault(row["owner"], []).append(row)
    return by
