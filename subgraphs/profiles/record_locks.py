"""One lock order on source records for every transaction that changes several of them.

An ingest writes its records' rows in the order of their keys (``ingestion._store_received``); the relay's
write-back and an erasure change rows of many records in one transaction too. Each takes its rows' locks up front,
in the same order (the key ``system:external_id`` by code point, as Python sorts it), so two of them never wait on
each other in a cycle (PostgreSQL would abort one with a deadlock).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

import asyncpg


async def lock(conn: asyncpg.Connection, keys: Collection[str], customers: Collection[str] = ()) -> None:
    """Lock, in key order, the rows of the records ``keys`` and of every record of ``customers``."""
    if not keys and not customers:
        return
    split = [k.split(":", 1) for k in keys]
    await conn.execute(
        "SELECT 1 FROM profiles.source_records s JOIN ("
        " SELECT * FROM unnest($1::text[], $2::text[]) AS k(system, external_id)"
        " UNION SELECT system, external_id FROM profiles.source_records WHERE customer_id = ANY($3::uuid[])"
        ") k ON s.system = k.system AND s.external_id = k.external_id"
        " ORDER BY (s.system || ':' || s.external_id) COLLATE \"C\" FOR UPDATE OF s",
        [s for s, _ in split],
        [e for _, e in split],
        [uuid.UUID(c) for c in customers],
    )
