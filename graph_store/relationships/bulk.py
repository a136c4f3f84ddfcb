"""Bulk loading of generated relationships (the demo and test data sets), one UNWIND call per kind and batch.

Rows carry times as ISO strings, as identity links do: the driver packs Python datetimes far more slowly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph_store.driver import GraphStore


@dataclass
class RelationshipBatch:
    households: list[dict[str, Any]] = field(default_factory=list)
    """``{id, name, members: [{customer, role, since, source}]}``"""
    accounts: list[dict[str, Any]] = field(default_factory=list)
    """``{id, name, nameKey, industry, city, createdAt, parent, source}``, parents before their children."""
    contacts: list[dict[str, Any]] = field(default_factory=list)
    """``{customer, account, title, since, source}``"""
    referrals: list[dict[str, Any]] = field(default_factory=list)
    """``{referrer, referred, at, campaign, source}``"""

    def __len__(self) -> int:
        members = sum(len(h["members"]) for h in self.households)
        return members + len(self.accounts) + len(self.contacts) + len(self.referrals)


async def load(store: GraphStore, batch: RelationshipBatch) -> None:
    if batch.households:
        await store.write(
            """
            UNWIND $households AS hh
            CREATE (h:Household {id: hh.id, name: hh.name})
            WITH h, hh
            UNWIND hh.members AS m
            MERGE (c:Customer {id: m.customer})
            CREATE (c)-[:MEMBER_OF {role: m.role, since: datetime(m.since), source: m.source}]->(h)
            """,
            households=batch.households,
        )
    if batch.accounts:
        await store.write(
            """
            UNWIND $accounts AS acc
            CREATE (:Account {id: acc.id, name: acc.name, nameKey: acc.nameKey, industry: acc.industry,
                              city: acc.city, source: acc.source, createdAt: datetime(acc.createdAt)})
            """,
            accounts=batch.accounts,
        )
        await store.write(
            """
            UNWIND $accounts AS acc
            WITH acc WHERE acc.parent IS NOT NULL
            MATCH (a:Account {id: acc.id}), (p:Account {id: acc.parent})
            CREATE (a)-[:SUBSIDIARY_OF {source: acc.source, since: datetime(acc.createdAt)}]->(p)
            """,
            accounts=batch.accounts,
        )
    if batch.contacts:
        await store.write(
            """
            UNWIND $contacts AS w
            MATCH (a:Account {id: w.account})
            MERGE (c:Customer {id: w.customer})
            CREATE (c)-[:WORKS_AT {title: w.title, since: datetime(w.since), source: w.source}]->(a)
            """,
            contacts=batch.contacts,
        )
    if batch.referrals:
        await store.write(
            """
            UNWIND $referrals AS r
            MERGE (a:Customer {id: r.referrer})
            MERGE (b:Customer {id: r.referred})
            CREATE (a)-[:REFERRED {at: datetime(r.at), campaign: r.campaign, source: r.source}]->(b)
            """,
            referrals=batch.referrals,
        )
