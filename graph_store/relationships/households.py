"""Households: who lives with whom, each member with a role. A customer belongs to at most one household."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from neo4j import AsyncManagedTransaction

from core.errors import RelationshipRefused
from core.visibility import EVERYTHING, Visible
from graph_store.driver import GraphStore
from graph_store.locks import lock
from graph_store.relationships.common import MAX_MEMBERS, HouseholdRole, iso, native, require_customers


@dataclass(frozen=True, slots=True)
class Member:
    customer_id: str
    role: HouseholdRole
    since: datetime | None
    source: str | None


@dataclass(frozen=True, slots=True)
class Household:
    id: str
    name: str | None
    members: list[Member]
    member_count: int


async def households_by_customer(
    store: GraphStore, customer_ids: Sequence[str], rows: Visible = EVERYTHING
) -> dict[str, Household]:
    """The household of each customer, with its members (oldest membership first), in one Cypher call.

    Members the caller may not see are left out, and not counted, as if they did not exist."""
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (:Customer {id: id})-[:MEMBER_OF]->(h:Household)
        RETURN id, h.id AS household, h.name AS name,
               COUNT { (h)<-[:MEMBER_OF]-(o:Customer) WHERE $visible IS NULL OR o.id IN $visible } AS memberCount,
               COLLECT {
                 MATCH (o:Customer)-[m:MEMBER_OF]->(h)
                 WHERE $visible IS NULL OR o.id IN $visible
                 WITH o, m ORDER BY m.since, o.id LIMIT $cap
                 RETURN {id: o.id, role: m.role, since: m.since, source: m.source}
               } AS members
        """,
        ids=rows.customers_among(customer_ids),
        visible=rows.customer_list,
        cap=MAX_MEMBERS,
    )
    return {
        rec["id"]: Household(
            rec["household"],
            rec["name"],
            [
                Member(m["id"], HouseholdRole(m["role"]), native(m["since"]), m["source"])
                for m in rec["members"]
            ],
            rec["memberCount"],
        )
        for rec in records
    }


async def join(
    store: GraphStore,
    member: str,
    of: str,
    role: HouseholdRole,
    source: str,
    since: datetime | None,
    name: str | None = None,
    rows: Visible = EVERYTHING,
) -> bool:
    """Put ``member`` into the household of ``of`` (created, with ``of`` as head, when it has none).

    Returns whether anything changed: joining again with the same role is a no-op. A customer out of ``rows`` is
    refused as one that does not exist.
    """
    if member == of:
        raise RelationshipRefused(f"Customer {member} cannot share a household with itself", "SELF_LINK")

    async def work(tx: AsyncManagedTransaction) -> bool:
        await lock(tx)
        await require_customers(tx, member, of, rows=rows)
        state = await (
            await tx.run(
                """
                MATCH (a:Customer {id: $member}), (b:Customer {id: $of})
                OPTIONAL MATCH (a)-[am:MEMBER_OF]->(ah:Household)
                OPTIONAL MATCH (b)-[:MEMBER_OF]->(bh:Household)
                RETURN ah.id AS memberHousehold, am.role AS role, bh.id AS household
                """,
                member=member,
                of=of,
            )
        ).single(strict=True)
        household = state["household"]
        if state["memberHousehold"] is not None:
            if state["memberHousehold"] != household:
                raise RelationshipRefused(
                    f"Customer {member} already belongs to household {state['memberHousehold']}; "
                    "unlink it from that household first",
                    "ALREADY_IN_HOUSEHOLD",
                )
            if state["role"] == role.value:
                return False
            await tx.run(
                "MATCH (:Customer {id: $member})-[m:MEMBER_OF]->(:Household) SET m.role = $role, m.source = $source",
                member=member,
                role=role.value,
                source=source,
            )
            return True
        if household is None:
            household = str(uuid.uuid4())
            await tx.run(
                """
                MATCH (b:Customer {id: $of})
                CREATE (b)-[:MEMBER_OF {role: 'head', source: $source, since: datetime($since)}]->
                       (:Household {id: $household, name: $name})
                """,
                of=of,
                household=household,
                name=name,
                source=source,
                since=iso(since),
            )
        await tx.run(
            """
            MATCH (a:Customer {id: $member}), (h:Household {id: $household})
            CREATE (a)-[:MEMBER_OF {role: $role, source: $source, since: datetime($since)}]->(h)
            """,
            member=member,
            household=household,
            role=role.value,
            source=source,
            since=iso(since),
        )
        return True

    return await store.transaction(work)


async def leave(store: GraphStore, member: str, of: str, rows: Visible = EVERYTHING) -> bool:
    """Take ``member`` out of the household it shares with ``of``; a household left with one member dissolves."""

    async def work(tx: AsyncManagedTransaction) -> bool:
        await lock(tx)
        await require_customers(tx, member, of, rows=rows)
        record = await (
            await tx.run(
                """
                OPTIONAL MATCH (:Customer {id: $member})-[m:MEMBER_OF]->(h:Household)<-[:MEMBER_OF]-(:Customer {id: $of})
                DELETE m
                WITH h, m WHERE h IS NOT NULL
                CALL (h) {
                  WITH h WHERE COUNT { (h)<-[:MEMBER_OF]-() } < 2
                  DETACH DELETE h
                }
                RETURN count(m) AS removed
                """,
                member=member,
                of=of,
            )
        ).single()
        return record is not None and record["removed"] > 0

    return await store.transaction(work)
