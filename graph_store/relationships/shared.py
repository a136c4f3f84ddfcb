"""Identifiers linked to more than one customer: a family's phone, a shop's tablet, a shared device."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graph_store.driver import GraphStore
from graph_store.identifiers import IdentifierType
from graph_store.relationships.common import MAX_MEMBERS


@dataclass(frozen=True, slots=True)
class SharedIdentifier:
    type: IdentifierType
    value: str
    others: list[str]
    """Other customers linked to the identifier, in id order (at most ``MAX_MEMBERS``)."""
    other_count: int


async def shared_by_customer(
    store: GraphStore, customer_ids: Sequence[str]
) -> dict[str, list[SharedIdentifier]]:
    """For each customer, its identifiers that other customers are linked to as well, in one Cypher call.

    The degree check reads the node's relationship count, so identifiers that are not shared cost no expansion.
    """
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (c:Customer {id: id})-[:HAS_IDENTIFIER]->(i:Identifier)
        WHERE COUNT { (i)<-[:HAS_IDENTIFIER]-() } > 1
        WITH id, c, i ORDER BY i.type, i.value
        RETURN id, collect({
          type: i.type, value: i.value,
          count: COUNT { (i)<-[:HAS_IDENTIFIER]-(o:Customer) WHERE o <> c },
          others: COLLECT { MATCH (i)<-[:HAS_IDENTIFIER]-(o:Customer) WHERE o <> c
                            RETURN o.id ORDER BY o.id LIMIT $cap }
        }) AS shared
        """,
        ids=list(customer_ids),
        cap=MAX_MEMBERS,
    )
    return {
        rec["id"]: [
            SharedIdentifier(IdentifierType(s["type"]), s["value"], list(s["others"]), s["count"])
            for s in rec["shared"]
        ]
        for rec in records
    }
