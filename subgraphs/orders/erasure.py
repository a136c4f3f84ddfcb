"""The orders subgraph's step of an erasure (``jobs/erasure.py`` runs it): the subject's orders are kept for
accounting, under the job's pseudonym and marked restricted, so they belong to no customer any more and only the
roles the policy names see them (their lines hold products and prices, nothing about the person); the outbox names
the pseudonym instead of the subject's ids."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from core.erasure import pseudonymise_outbox
from subgraphs.orders.events import SCHEMA


async def erase(conn: asyncpg.Connection, customers: Sequence[str], pseudonym: str) -> dict[str, int]:
    """In the caller's transaction (the step's, in this subgraph's database); what it changed, by kind."""
    orders = await conn.fetch(
        "UPDATE orders.orders SET customer_id = $2, restricted = true WHERE customer_id = ANY($1::uuid[])"
        " RETURNING id",
        [uuid.UUID(c) for c in customers],
        uuid.UUID(pseudonym),
    )
    return {
        "orders_restricted": len(orders),
        "outbox_events": await pseudonymise_outbox(conn, SCHEMA, customers, pseudonym),
    }
