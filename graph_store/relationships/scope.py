"""What a caller limited to accounts may see: those accounts, every account below them, and their contacts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from graph_store.driver import GraphStore


@dataclass(frozen=True, slots=True)
class AccountScope:
    accounts: frozenset[str]
    customers: frozenset[str]


async def account_scope(store: GraphStore, assigned: Collection[str]) -> AccountScope:
    """The accounts at or below ``assigned`` (a hierarchy has at most 10 levels) and the customers who are
    contacts of any of them: one Cypher call, none for an empty assignment (which sees nothing)."""
    if not assigned:
        return AccountScope(frozenset(), frozenset())
    records = await store.read(
        """
        MATCH (top:Account) WHERE top.id IN $assigned
        MATCH (top)<-[:SUBSIDIARY_OF]-{0,10}(a:Account)
        WITH collect(DISTINCT a) AS accounts
        RETURN [a IN accounts | a.id] AS accounts,
               COLLECT { UNWIND accounts AS a MATCH (a)<-[:WORKS_AT]-(c:Customer) RETURN DISTINCT c.id } AS customers
        """,
        assigned=sorted(assigned),
    )
    record = records[0]
    return AccountScope(frozenset(record["accounts"]), frozenset(record["customers"]))
