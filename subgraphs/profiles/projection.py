"""PostgreSQL's projection of each customer's current identifiers, written back by the relay from the graph.

Hot reads (``Customer.identifiers``, ``customerByIdentifier``) answer from it without Neo4j. It is rewritten per
customer from the graph's links inside the relay's transaction, so it equals the graph after every write.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from graph_store.identity import LinkRow

if TYPE_CHECKING:
    from asyncpg import Connection


async def replace(conn: Connection, customers: Collection[str], links: Iterable[LinkRow]) -> None:
    """The identifiers of ``customers`` become ``links`` (customers without links keep none)."""
    await conn.execute(
        "DELETE FROM profiles.customer_identifiers WHERE customer_id = ANY($1::uuid[])",
        [uuid.UUID(c) for c in customers],
    )
    await insert(conn, links)


async def insert(conn: Connection, links: Iterable[LinkRow]) -> None:
    rows = list({(link.customer, link.key): link for link in links}.values())
    if not rows:
        return
    await conn.execute(
        "INSERT INTO profiles.customer_identifiers (customer_id, key, type, value, source, observed_at, rule)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],"
        " $6::timestamptz[], $7::text[]) ON CONFLICT (customer_id, key) DO UPDATE SET type = EXCLUDED.type,"
        " value = EXCLUDED.value, source = EXCLUDED.source, observed_at = EXCLUDED.observed_at,"
        " rule = EXCLUDED.rule",
        [uuid.UUID(r.customer) for r in rows],
        [r.key for r in rows],
        [r.type for r in rows],
        [r.value for r in rows],
        [r.source for r in rows],
        [r.observed_at for r in rows],
        [r.rule for r in rows],
    )
