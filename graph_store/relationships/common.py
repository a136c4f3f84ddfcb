"""Values shared by the relationship modules: limits, kinds, and Neo4j temporal conversion."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, LiteralString

from neo4j import AsyncManagedTransaction

from core.errors import NotFound
from core.visibility import EVERYTHING, Visible
from graph_store.locks import lock

if TYPE_CHECKING:
    from graph_store.driver import GraphStore

MAX_HIERARCHY_DEPTH: Final = 10
"""Levels an account hierarchy may have; moves that would exceed it are refused."""
MAX_MEMBERS: Final = 50
"""Members listed per household, customers per shared identifier, referrals per customer."""
MAX_ROLLUP_CUSTOMERS: Final = 100_000
"""Contacts a roll-up may sum over; larger hierarchies get a clear error instead of a slow request."""
MAX_RELATED_DEPTH: Final = 3
FANOUT: Final = 50
"""Neighbours followed from one customer at each hop of ``related``."""


class RelationKind(StrEnum):
    HOUSEHOLD = "household"
    ACCOUNT = "account"
    REFERRAL = "referral"
    SHARED_IDENTIFIER = "shared_identifier"


class HouseholdRole(StrEnum):
    HEAD = "head"
    PARTNER = "partner"
    CHILD = "child"
    PARENT = "parent"
    OTHER = "other"


def native(value: Any) -> datetime | None:
    """A Python datetime from a Neo4j temporal value (or None)."""
    return None if value is None else value.to_native()


def iso(moment: datetime | None) -> str:
    """An ISO timestamp for Cypher's ``datetime()``; naive input is taken as UTC, None as now."""
    moment = moment or datetime.now(UTC)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


async def require_customers(tx: AsyncManagedTransaction, *ids: str, rows: Visible = EVERYTHING) -> None:
    """Refuse the first of ``ids`` that names no customer, or one the caller may not see (the same refusal)."""
    result = await tx.run(
        "UNWIND $ids AS id OPTIONAL MATCH (c:Customer {id: id})"
        " RETURN id, c IS NOT NULL AND ($visible IS NULL OR id IN $visible) AS found",
        ids=list(ids),
        visible=rows.customer_list,
    )
    for record in await result.data():
        if not record["found"]:
            raise NotFound("customer", record["id"])


async def delete_one(store: GraphStore, query: LiteralString, **params: Any) -> bool:
    """Run a locked ``OPTIONAL MATCH ... DELETE r RETURN count(r) AS removed``; whether anything was removed."""

    async def work(tx: AsyncManagedTransaction) -> bool:
        await lock(tx)
        record = await (await tx.run(query, params)).single(strict=True)
        return bool(record["removed"])

    return await store.transaction(work)
