"""The tickets subgraph's step of an erasure (``jobs/erasure.py`` runs it).

The subject's tickets are kept for service-level accounting (status, priority, channel, queue, due times and their
history of changes), under the job's pseudonym and marked restricted; what the customer or the agents wrote goes:
the subject and description are emptied and the comments deleted. The history names the pseudonym, the outbox too,
and the idempotency keys of writes on those tickets no longer replay (their input is forgotten)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from core.erasure import pseudonymise_outbox
from subgraphs.tickets.events import SCHEMA

ERASED_TEXT = ""
"""What a restricted ticket's subject and description hold."""


async def erase(conn: asyncpg.Connection, customers: Sequence[str], pseudonym: str) -> dict[str, int]:
    """In the caller's transaction (the step's, in this subgraph's database); what it changed, by kind."""
    ids = [uuid.UUID(c) for c in customers]
    tickets = [
        r["id"]
        for r in await conn.fetch(
            "UPDATE tickets.tickets SET customer_id = $2, restricted = true, subject = $3, description = $3"
            " WHERE customer_id = ANY($1::uuid[]) RETURNING id",
            ids,
            uuid.UUID(pseudonym),
            ERASED_TEXT,
        )
    ]
    comments = await conn.fetch(
        "DELETE FROM tickets.ticket_comments WHERE ticket_id = ANY($1::bigint[]) RETURNING id", tickets
    )
    history = await conn.fetch(
        "UPDATE tickets.ticket_events SET customer_id = $2 WHERE customer_id = ANY($1::uuid[]) RETURNING id",
        ids,
        uuid.UUID(pseudonym),
    )
    keys = await conn.fetch(
        "UPDATE tickets.idempotency_keys SET fingerprint = 'erased'"
        " WHERE (result->>'ticket')::bigint = ANY($1::bigint[]) AND fingerprint <> 'erased' RETURNING key",
        tickets,
    )
    return {
        "tickets_restricted": len(tickets),
        "comments": len(comments),
        "history": len(history),
        "idempotency_keys": len(keys),
        "outbox_events": await pseudonymise_outbox(conn, SCHEMA, customers, pseudonym),
    }
