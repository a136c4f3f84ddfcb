"""Reads and bulk writes of the identity graph: customers, their identifiers, and the source of each link."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph_store.driver import GraphStore
from graph_store.identifiers import IdentifierType


@dataclass(frozen=True, slots=True)
class LinkedIdentifier:
    type: IdentifierType
    value: str
    source: str
    observed_at: datetime


async def identifiers_by_customer(
    store: GraphStore, customer_ids: Sequence[str]
) -> dict[str, list[LinkedIdentifier]]:
    """Every identifier linked to each customer, in one Cypher call.

    The instant comes back as epoch seconds and microseconds: the driver's temporal hydration (a zoned
    ``DateTime``, then ``to_native``) cost more CPU than the rest of this call.
    """
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (:Customer {id: id})-[r:HAS_IDENTIFIER]->(i:Identifier)
        RETURN id, i.type AS type, i.value AS value, r.source AS source,
               r.observedAt.epochSeconds AS seconds, r.observedAt.microsecond AS micros
        ORDER BY id, type, value
        """,
        ids=list(customer_ids),
    )
    found: dict[str, list[LinkedIdentifier]] = {}
    for rec in records:
        found.setdefault(rec["id"], []).append(
            LinkedIdentifier(
                IdentifierType(rec["type"]),
                rec["value"],
                rec["source"],
                datetime.fromtimestamp(rec["seconds"], UTC).replace(microsecond=rec["micros"]),
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class LinkRow:
    """A ``HAS_IDENTIFIER`` link as PostgreSQL's projection of current identifiers keeps it."""

    customer: str
    key: str
    type: str
    value: str
    source: str
    observed_at: datetime
    rule: str


_LINKS = """
    UNWIND $ids AS id
    MATCH (:Customer {id: id})-[r:HAS_IDENTIFIER]->(i:Identifier)
    RETURN id, i.key AS key, i.type AS type, i.value AS value, r.source AS source,
           r.observedAt.epochSeconds AS seconds, r.observedAt.microsecond AS micros, coalesce(r.rule, 'exact') AS rule
"""


def _link(rec: Any) -> LinkRow:
    return LinkRow(
        rec["id"],
        rec["key"],
        rec["type"],
        rec["value"],
        rec["source"],
        datetime.fromtimestamp(rec["seconds"], UTC).replace(microsecond=rec["micros"]),
        rec["rule"],
    )


async def links_in(tx: AsyncManagedTransaction, customer_ids: Sequence[str]) -> list[LinkRow]:
    """Every link of each customer, read inside a write transaction (after its writes)."""
    if not customer_ids:
        return []
    return [_link(rec) for rec in await (await tx.run(_LINKS, ids=list(customer_ids))).data()]


async def links_of(store: GraphStore, customer_ids: Sequence[str]) -> list[LinkRow]:
    """Every link of each customer (for checks and the reconciler: hot reads use PostgreSQL's projection)."""
    return [_link(rec) for rec in await store.read(_LINKS, ids=list(customer_ids))]


async def customers_by_identifier_key(store: GraphStore, keys: Sequence[str]) -> dict[str, str]:
    """The customer each identifier key belongs to, in one Cypher call."""
    records = await store.read(
        """
        UNWIND $keys AS key
        MATCH (i:Identifier {key: key})<-[:HAS_IDENTIFIER]-(c:Customer)
        RETURN key, min(c.id) AS id
        """,
        keys=list(keys),
    )
    return {rec["key"]: rec["id"] for rec in records}


async def load_links(store: GraphStore, rows: Iterable[dict[str, Any]]) -> None:
    """Bulk-load ``{customer, type, value, key, raw, source, observedAt}`` rows, one UNWIND per call.

    Times travel as ISO strings and become ``datetime`` in Cypher: the driver packs Python datetimes ~10x slower.
    """
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        link = dict(row)
        link["observedAt"] = row["observedAt"].isoformat()
        grouped.setdefault(row["customer"], []).append(link)
    await store.write(
        """
        UNWIND $customers AS cust
        MERGE (c:Customer {id: cust.id})
        WITH c, cust
        UNWIND cust.links AS l
        MERGE (i:Identifier {key: l.key})
          ON CREATE SET i.type = l.type, i.value = l.value
        MERGE (c)-[r:HAS_IDENTIFIER]->(i)
          ON CREATE SET r.source = l.source, r.observedAt = datetime(l.observedAt), r.raw = l.raw, r.rule = 'seed'
        """,
        customers=[{"id": cid, "links": links} for cid, links in grouped.items()],
    )


async def clear(store: GraphStore) -> None:
    """Remove the identity and relationship graph in bounded transactions (used before a fresh seed)."""
    await store.autocommit("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
