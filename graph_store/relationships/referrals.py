"""Referrals: which customer brought in which, when and through which campaign. Each customer has one referrer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from neo4j import AsyncManagedTransaction

from core.errors import RelationshipRefused
from core.visibility import EVERYTHING, Visible
from graph_store.driver import GraphStore
from graph_store.locks import lock
from graph_store.relationships.common import MAX_MEMBERS, delete_one, iso, native, require_customers


@dataclass(frozen=True, slots=True)
class ReferralLink:
    referrer_id: str
    referred_id: str
    referred_at: datetime | None
    campaign: str | None
    source: str | None


def _link(referrer: str, referred: str, props: dict[str, object]) -> ReferralLink:
    return ReferralLink(referrer, referred, native(props["at"]), props["campaign"], props["source"])  # type: ignore[arg-type]


async def referrer_by_customer(
    store: GraphStore, customer_ids: Sequence[str], rows: Visible = EVERYTHING
) -> dict[str, ReferralLink]:
    """Who referred each customer; a referrer the caller may not see is no referrer."""
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (r:Customer)-[x:REFERRED]->(:Customer {id: id})
        WHERE $visible IS NULL OR r.id IN $visible
        RETURN id, r.id AS referrer, {at: x.at, campaign: x.campaign, source: x.source} AS props
        """,
        ids=rows.customers_among(customer_ids),
        visible=rows.customer_list,
    )
    return {rec["id"]: _link(rec["referrer"], rec["id"], rec["props"]) for rec in records}


async def referrals_by_customer(
    store: GraphStore, customer_ids: Sequence[str], rows: Visible = EVERYTHING
) -> dict[str, list[ReferralLink]]:
    """The customers each customer referred that the caller may see, oldest first (at most ``MAX_MEMBERS`` each)."""
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (:Customer {id: id})
        RETURN id, COLLECT {
          MATCH (:Customer {id: id})-[x:REFERRED]->(d:Customer)
          WHERE $visible IS NULL OR d.id IN $visible
          RETURN {id: d.id, at: x.at, campaign: x.campaign, source: x.source} AS referral
          ORDER BY x.at, d.id LIMIT $cap
        } AS referrals
        """,
        ids=rows.customers_among(customer_ids),
        visible=rows.customer_list,
        cap=MAX_MEMBERS,
    )
    return {
        rec["id"]: [_link(rec["id"], r["id"], r) for r in rec["referrals"]]
        for rec in records
        if rec["referrals"]
    }


async def refer(
    store: GraphStore,
    referrer: str,
    referred: str,
    campaign: str | None,
    at: datetime | None,
    source: str,
    rows: Visible = EVERYTHING,
) -> bool:
    """Record that ``referrer`` brought in ``referred``; the same referral again changes nothing."""
    if referrer == referred:
        raise RelationshipRefused(f"Customer {referrer} cannot refer itself", "SELF_LINK")

    async def work(tx: AsyncManagedTransaction) -> bool:
        await lock(tx)
        await require_customers(tx, referrer, referred, rows=rows)
        state = await (
            await tx.run(
                """
                MATCH (a:Customer {id: $referrer}), (b:Customer {id: $referred})
                OPTIONAL MATCH (x:Customer)-[:REFERRED]->(b)
                RETURN x.id AS current, EXISTS { (b)-[:REFERRED]->+(a) } AS cycle
                """,
                referrer=referrer,
                referred=referred,
            )
        ).single(strict=True)
        if state["current"] == referrer:
            return False
        if state["current"] is not None:
            raise RelationshipRefused(
                f"Customer {referred} was already referred by {state['current']}", "ALREADY_REFERRED"
            )
        if state["cycle"]:
            raise RelationshipRefused(
                f"Customer {referred} is already upstream of {referrer} in a referral chain: this would form a cycle",
                "CYCLE",
            )
        await tx.run(
            """
            MATCH (a:Customer {id: $referrer}), (b:Customer {id: $referred})
            CREATE (a)-[:REFERRED {at: datetime($at), campaign: $campaign, source: $source}]->(b)
            """,
            referrer=referrer,
            referred=referred,
            at=iso(at),
            campaign=campaign,
            source=source,
        )
        return True

    return await store.transaction(work)


async def unrefer(store: GraphStore, referrer: str, referred: str, rows: Visible = EVERYTHING) -> bool:
    """Remove a referral; one between customers the caller may not see is no referral (nothing changes)."""
    return await delete_one(
        store,
        """
        OPTIONAL MATCH (:Customer {id: $referrer})-[x:REFERRED]->(:Customer {id: $referred})
        WHERE $visible IS NULL OR ($referrer IN $visible AND $referred IN $visible)
        DELETE x
        RETURN count(x) AS removed
        """,
        referrer=referrer,
        referred=referred,
        visible=rows.customer_list,
    )
