"""Identifiers linked to more than one customer: a family's phone, a shop's tablet, a shared device."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.visibility import EVERYTHING, Visible
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
    store: GraphStore, customer_ids: Sequence[str], rows: Visible = EVERYTHING
) -> dict[str, list[SharedIdentifier]]:
    """For each customer, its identifiers that other customers are linked to as well, in one Cypher call.

    The degree check reads the node's relationship count, so identifiers that are not shared cost no expansion.
    Other customers the caller may not see are neither listed nor counted: an identifier shared only with them is
    not shared at all.
    """
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (c:Customer {id: id})-[:HAS_IDENTIFIER]->(i:Identifier)
        WHERE COUNT { (i)<-[:HAS_IDENTIFIER]-() } > 1
        WITH id, c, i,
             COUNT { (i)<-[:HAS_IDENTIFIER]-(o:Customer) WHERE o <> c AND ($visible IS NULL OR o.id IN $visible) }
               AS count
        WHERE $visible IS NULL OR count > 0
        WITH id, c, i, count ORDER BY i.type, i.value
        RETURN id, collect({
          type: i.type, value: i.value, count: count,
          others: COLLECT { MATCH (i)<-[:HAS_IDENTIFIER]-(o:Customer)
                            WHERE o <> c AND ($visible IS NULL OR o.id IN $visible)
                            RETURN o.id ORDER BY o.id LIMIT $cap }
        }) AS shared
        """,
        ids=rows.customers_among(customer_ids),
        visible=rows.customer_list,
        cap=MAX_MEMBERS,
    )
    return {
        rec["id"]: [
            SharedIdentifier(IdentifierType(s["type"]), s["value"], list(s["others"]), s["count"])
            for s in rec["shared"]
        ]
        for rec in records
    }
