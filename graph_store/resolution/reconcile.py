"""The identity graph as the reconciler sees it, and the repairs that make it match PostgreSQL.

Reads return plain maps (customers, source records, links) for comparison with PostgreSQL's; every repair is one
idempotent ``UNWIND`` per chunk under the graph's write lock, so repeating it changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph_store.driver import GraphStore
from graph_store.locks import lock

CHUNK = 5000


@dataclass
class GraphState:
    live: set[str] = field(default_factory=set)
    """Customers not merged into another."""
    merged: dict[str, str] = field(default_factory=dict)
    """Merged-away customers and the id they name as survivor."""
    records: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    """Each source record's key: its content hash and the customer it resolves to."""
    links: dict[tuple[str, str], tuple[str, datetime, str]] = field(default_factory=dict)
    """Each ``(customer, identifier key)`` link: its source, observation time and rule."""


def _instant(seconds: int, micros: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


async def read_state(store: GraphStore) -> GraphState:
    state = GraphState()
    for row in await store.read("MATCH (c:Customer) RETURN c.id AS id, c.mergedInto AS into"):
        if row["into"] is None:
            state.live.add(row["id"])
        else:
            state.merged[row["id"]] = row["into"]
    for row in await store.read(
        """
        MATCH (sr:SourceRecord)
        RETURN sr.key AS key, sr.hash AS hash, COLLECT { MATCH (sr)-[:RESOLVES_TO]->(c:Customer) RETURN c.id }[0]
               AS customer
        """
    ):
        state.records[row["key"]] = (row["hash"], row["customer"])
    for row in await store.read(
        """
        MATCH (c:Customer)-[r:HAS_IDENTIFIER]->(i:Identifier)
        RETURN c.id AS customer, i.key AS key, r.source AS source, r.observedAt.epochSeconds AS seconds,
               r.observedAt.microsecond AS micros, coalesce(r.rule, 'exact') AS rule
        """
    ):
        state.links[(row["customer"], row["key"])] = (
            row["source"],
            _instant(row["seconds"], row["micros"]),
            row["rule"],
        )
    return state


async def _each_chunk(store: GraphStore, query: LiteralString, rows: Sequence[Any]) -> None:
    for start in range(0, len(rows), CHUNK):
        chunk = list(rows[start : start + CHUNK])

        async def work(tx: AsyncManagedTransaction, chunk: list[Any] = chunk) -> None:
            await lock(tx)
            await tx.run(query, rows=chunk)

        await store.transaction(work)


async def put_customers(store: GraphStore, rows: Sequence[dict[str, Any]]) -> None:
    """Customers PostgreSQL holds as live (``{id, createdAt}``): present, and not merged."""
    await _each_chunk(
        store,
        """
        UNWIND $rows AS r
        MERGE (c:Customer {id: r.id}) ON CREATE SET c.createdAt = datetime(r.createdAt)
        REMOVE c.mergedInto
        WITH c
        CALL (c) { MATCH (c)-[m:MERGED_INTO]->() DELETE m }
        """,
        rows,
    )


async def mark_merged(store: GraphStore, rows: Sequence[dict[str, Any]]) -> None:
    """Customers PostgreSQL holds as aliases (``{id, into}``): merged into their survivor."""
    await _each_chunk(
        store,
        """
        UNWIND $rows AS r
        MATCH (l:Customer {id: r.id}), (s:Customer {id: r.into})
        SET l.mergedInto = s.id
        WITH l, s
        CALL (l, s) { MATCH (l)-[m:MERGED_INTO]->(o) WHERE o <> s DELETE m }
        MERGE (l)-[m:MERGED_INTO]->(s) ON CREATE SET m.at = datetime()
        """,
        rows,
    )


async def delete_customers(store: GraphStore, ids: Sequence[str]) -> None:
    await _each_chunk(store, "UNWIND $rows AS id MATCH (c:Customer {id: id}) DETACH DELETE c", ids)


async def put_records(store: GraphStore, rows: Sequence[dict[str, Any]]) -> None:
    """Source records as PostgreSQL applied them: properties, their customer, what they claimed and yielded."""
    await _each_chunk(
        store,
        """
        UNWIND $rows AS w
        MERGE (sr:SourceRecord {key: w.key})
        SET sr.system = w.system, sr.externalId = w.externalId, sr.observedAt = datetime(w.observedAt),
            sr.hash = w.hash, sr.attributes = w.attributes, sr.blocked = w.blocked,
            sr.origin = coalesce(sr.origin, w.origin)
        WITH sr, w
        MATCH (c:Customer {id: w.customer})
        CALL (sr, c) { MATCH (sr)-[old:RESOLVES_TO]->(o) WHERE o <> c DELETE old }
        MERGE (sr)-[:RESOLVES_TO]->(c)
        WITH sr, w
        CALL (sr, w) {
          UNWIND w.claims AS cl
          MERGE (i:Identifier {key: cl.key}) ON CREATE SET i.type = cl.type, i.value = cl.value
          MERGE (sr)-[x:CLAIMS]->(i) ON CREATE SET x.raw = cl.raw, x.rule = 'exact', x.at = datetime()
        }
        CALL (sr, w) {
          UNWIND w.conflicts AS cf
          MERGE (i:Identifier {key: cf.key}) ON CREATE SET i.type = cf.type, i.value = cf.value
          MERGE (sr)-[x:CONFLICTS]->(i) ON CREATE SET x.raw = cf.raw, x.reason = cf.reason, x.at = datetime()
        }
        """,
        rows,
    )


async def delete_records(store: GraphStore, keys: Sequence[str]) -> None:
    await _each_chunk(store, "UNWIND $rows AS key MATCH (sr:SourceRecord {key: key}) DETACH DELETE sr", keys)


async def put_links(store: GraphStore, rows: Sequence[dict[str, Any]]) -> None:
    """Links as PostgreSQL's projection holds them (``{customer, key, type, value, source, observedAt, rule}``)."""
    await _each_chunk(
        store,
        """
        UNWIND $rows AS l
        MATCH (c:Customer {id: l.customer})
        MERGE (i:Identifier {key: l.key}) ON CREATE SET i.type = l.type, i.value = l.value
        MERGE (c)-[h:HAS_IDENTIFIER]->(i)
        SET h.source = l.source, h.observedAt = datetime(l.observedAt), h.rule = l.rule
        """,
        rows,
    )


async def delete_links(store: GraphStore, rows: Sequence[dict[str, str]]) -> None:
    await _each_chunk(
        store,
        """
        UNWIND $rows AS l
        MATCH (:Customer {id: l.customer})-[h:HAS_IDENTIFIER]->(:Identifier {key: l.key})
        DELETE h
        """,
        rows,
    )


async def applied_markers(store: GraphStore, stream: str) -> set[int]:
    """Event ids the graph holds markers for (see ``applied``)."""
    rows = await store.read("MATCH (a:AppliedEvent {stream: $stream}) RETURN a.event AS id", stream=stream)
    return {row["id"] for row in rows}


async def prune_markers(store: GraphStore, stream: str, below: int) -> None:
    async def work(tx: AsyncManagedTransaction) -> None:
        await lock(tx)
        await tx.run(
            "MATCH (a:AppliedEvent {stream: $stream}) WHERE a.event < $below DELETE a",
            stream=stream,
            below=below,
        )

    await store.transaction(work)


async def records_for_adoption(store: GraphStore) -> list[dict[str, Any]]:
    """Every source record with its properties, customer, claims and conflicts (for a graph that predates
    PostgreSQL's copy of them)."""
    rows = await store.read(
        """
        MATCH (sr:SourceRecord)
        RETURN sr.key AS key, sr.system AS system, sr.externalId AS externalId,
               sr.observedAt.epochSeconds AS seconds, sr.observedAt.microsecond AS micros, sr.hash AS hash,
               sr.attributes AS attributes, sr.blocked AS blocked, sr.origin AS origin,
               COLLECT { MATCH (sr)-[:RESOLVES_TO]->(c:Customer) RETURN c.id }[0] AS customer,
               [(sr)-[x:CLAIMS]->(i:Identifier) | {key: i.key, type: i.type, value: i.value, raw: x.raw}] AS claims,
               [(sr)-[x:CONFLICTS]->(i:Identifier) |
                 {key: i.key, type: i.type, value: i.value, raw: x.raw, reason: x.reason}] AS conflicts
        """
    )
    return [dict(row, observedAt=_instant(row["seconds"], row["micros"])) for row in rows]


async def links_for_adoption(store: GraphStore) -> list[dict[str, Any]]:
    rows = await store.read(
        """
        MATCH (c:Customer)-[r:HAS_IDENTIFIER]->(i:Identifier) WHERE c.mergedInto IS NULL
        RETURN c.id AS customer, i.key AS key, i.type AS type, i.value AS value, r.source AS source,
               r.observedAt.epochSeconds AS seconds, r.observedAt.microsecond AS micros,
               coalesce(r.rule, 'exact') AS rule
        """
    )
    return [dict(row, observedAt=_instant(row["seconds"], row["micros"])) for row in rows]
