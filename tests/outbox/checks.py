"""What the outbox tests compare: PostgreSQL's projection and records against the graph, and cluster sets."""

from __future__ import annotations

from collections.abc import Collection

import asyncpg

from graph_store.driver import GraphStore
from graph_store.identity import links_of


async def projection(pg: asyncpg.Connection, customers: Collection[str]) -> set[tuple[str, str, str, str]]:
    rows = await pg.fetch(
        "SELECT customer_id::text AS c, key, source, observed_at FROM profiles.customer_identifiers"
        " WHERE customer_id = ANY($1::uuid[])",
        list(customers),
    )
    return {(r["c"], r["key"], r["source"], r["observed_at"].isoformat()) for r in rows}


async def graph_links(graph: GraphStore, customers: Collection[str]) -> set[tuple[str, str, str, str]]:
    return {
        (r.customer, r.key, r.source, r.observed_at.isoformat())
        for r in await links_of(graph, list(customers))
    }


async def live_customers(pg: asyncpg.Connection, prefix: str) -> set[str]:
    """Customers that the source records of ``prefix`` resolve to, per PostgreSQL."""
    rows = await pg.fetch(
        "SELECT DISTINCT customer_id::text AS c FROM profiles.source_records"
        " WHERE external_id LIKE $1 AND customer_id IS NOT NULL",
        f"{prefix}%",
    )
    return {r["c"] for r in rows}


async def graph_clusters(graph: GraphStore, prefix: str) -> set[frozenset[str]]:
    rows = await graph.read(
        """
        MATCH (sr:SourceRecord)-[:RESOLVES_TO]->(c:Customer) WHERE sr.externalId STARTS WITH $prefix
        RETURN c.id AS customer, collect(sr.externalId) AS records
        """,
        prefix=prefix,
    )
    return {frozenset(r["records"]) for r in rows}


async def pg_clusters(pg: asyncpg.Connection, prefix: str) -> set[frozenset[str]]:
    rows = await pg.fetch(
        "SELECT customer_id, array_agg(external_id) AS records FROM profiles.source_records"
        " WHERE external_id LIKE $1 AND customer_id IS NOT NULL GROUP BY customer_id",
        f"{prefix}%",
    )
    return {frozenset(r["records"]) for r in rows}
