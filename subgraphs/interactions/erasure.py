"""The interactions subgraph's step of an erasure (``jobs/erasure.py`` runs it): the subject's interactions are
deleted (their summaries and payloads are about the person, and nothing needs them kept), the idempotency keys of
the writes that logged them no longer replay, and the outbox names the pseudonym instead of the subject's ids."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from core.erasure import pseudonymise_outbox
from subgraphs.interactions.events import SCHEMA


async def erase(conn: asyncpg.Connection, customers: Sequence[str], pseudonym: str) -> dict[str, int]:
    """In the caller's transaction (the step's, in this subgraph's database); what it changed, by kind."""
    deleted = [
        r["id"]
        for r in await conn.fetch(
            "DELETE FROM interactions.interactions WHERE customer_id = ANY($1::uuid[]) RETURNING id",
            [uuid.UUID(c) for c in customers],
        )
    ]
    keys = await conn.fetch(
        "UPDATE interactions.idempotency_keys SET fingerprint = 'erased', result = NULL"
        " WHERE (result->>'interaction')::bigint = ANY($1::bigint[]) RETURNING key",
        deleted,
    )
    return {
        "interactions": len(deleted),
        "idempotency_keys": len(keys),
        "outbox_events": await pseudonymise_outbox(conn, SCHEMA, customers, pseudonym),
    }
