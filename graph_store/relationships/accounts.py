"""Accounts (companies) in a parent/child hierarchy, and the customers who are their contacts.

Reads take the rows the caller may see (``rows``): an account out of scope is not found, listed or walked
through. A caller limited to accounts sees them and every account below them, so the children, contacts and
roll-ups of an account it may see are all in its scope already.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from core.errors import BadUserInput, NotFound, RelationshipRefused
from core.visibility import EVERYTHING, Visible
from graph_store.driver import GraphStore
from graph_store.locks import lock
from graph_store.relationships.common import (
    MAX_HIERARCHY_DEPTH,
    MAX_ROLLUP_CUSTOMERS,
    delete_one,
    iso,
    native,
    require_customers,
)


@dataclass(frozen=True, slots=True)
class AccountNode:
    id: str
    name: str
    industry: str | None
    city: str | None
    parent_id: str | None
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class Contact:
    customer_id: str
    account_id: str
    title: str | None
    since: datetime | None
    source: str | None


@dataclass(frozen=True, slots=True)
class ContactPage:
    first: int
    after: tuple[str, str] | None
    """``(customer id, account id)`` of the last contact of the previous page."""
    include_descendants: bool


@dataclass(frozen=True, slots=True)
class AccountPage:
    first: int
    after: tuple[str, str] | None
    search: str | None


NODE = "{id: a.id, name: a.name, industry: a.industry, city: a.city, createdAt: a.createdAt, parent: p.id}"


def _node(value: dict[str, Any]) -> AccountNode:
    return AccountNode(
        value["id"],
        value["name"],
        value["industry"],
        value["city"],
        value["parent"],
        native(value["createdAt"]),
    )


def name_key(name: str) -> str:
    """The sort and search key of an account name."""
    return " ".join(name.casefold().split())


async def accounts_by_id(
    store: GraphStore, ids: Sequence[str], rows: Visible = EVERYTHING
) -> dict[str, AccountNode]:
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (a:Account {id: id})
        OPTIONAL MATCH (a)-[:SUBSIDIARY_OF]->(p:Account)
        RETURN """
        + NODE
        + " AS account",
        ids=rows.accounts_among(ids),
    )
    return {rec["account"]["id"]: _node(rec["account"]) for rec in records}


async def children_by_account(store: GraphStore, ids: Sequence[str]) -> dict[str, list[AccountNode]]:
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (p:Account {id: id})<-[:SUBSIDIARY_OF]-(a:Account)
        WITH id, a, p ORDER BY a.nameKey, a.id
        RETURN id, collect("""
        + NODE
        + ") AS children",
        ids=list(ids),
    )
    return {rec["id"]: [_node(child) for child in rec["children"]] for rec in records}


async def ancestors_by_account(
    store: GraphStore, ids: Sequence[str], rows: Visible = EVERYTHING
) -> dict[str, list[AccountNode]]:
    """Each account's parent, grandparent and so on up to its top-level account (or up to the highest the caller
    may see): nearest first."""
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH path = (:Account {id: id})-[:SUBSIDIARY_OF]->{1,10}(a:Account)
        WHERE $accounts IS NULL OR a.id IN $accounts
        OPTIONAL MATCH (a)-[:SUBSIDIARY_OF]->(p:Account)
        WITH id, a, p, length(path) AS distance ORDER BY distance
        RETURN id, collect("""
        + NODE
        + ") AS ancestors",
        ids=rows.accounts_among(ids),
        accounts=rows.account_list,
    )
    return {rec["id"]: [_node(a) for a in rec["ancestors"]] for rec in records}


async def accounts_by_customer(
    store: GraphStore, customer_ids: Sequence[str], rows: Visible = EVERYTHING
) -> dict[str, list[Contact]]:
    """The accounts each customer is a contact of (those the caller may see), in one Cypher call."""
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (:Customer {id: id})-[w:WORKS_AT]->(a:Account)
        WHERE $accounts IS NULL OR a.id IN $accounts
        WITH id, a, w ORDER BY w.since, a.id
        RETURN id, collect({account: a.id, title: w.title, since: w.since, source: w.source}) AS accounts
        """,
        ids=rows.customers_among(customer_ids),
        accounts=rows.account_list,
    )
    return {
        rec["id"]: [
            Contact(rec["id"], a["account"], a["title"], native(a["since"]), a["source"])
            for a in rec["accounts"]
        ]
        for rec in records
    }


async def contacts_by_account(
    store: GraphStore, account_ids: Sequence[str], page: ContactPage
) -> dict[str, list[Contact]]:
    """One page of contacts per account, in customer-id order (keyset), optionally over its descendants too."""
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (top:Account {id: id})
        CALL (top) {
          MATCH (top)<-[:SUBSIDIARY_OF]-{0,10}(a:Account)<-[w:WORKS_AT]-(c:Customer)
          WHERE ($deep OR a = top)
            AND ($afterCustomer IS NULL OR c.id > $afterCustomer OR (c.id = $afterCustomer AND a.id > $afterAccount))
          WITH c, a, w ORDER BY c.id, a.id
          LIMIT $limit
          RETURN collect({customer: c.id, account: a.id, title: w.title, since: w.since, source: w.source}) AS contacts
        }
        RETURN id, contacts
        """,
        ids=list(account_ids),
        deep=page.include_descendants,
        afterCustomer=page.after[0] if page.after else None,
        afterAccount=page.after[1] if page.after else None,
        limit=page.first,
    )
    return {
        rec["id"]: [
            Contact(c["customer"], c["account"], c["title"], native(c["since"]), c["source"])
            for c in rec["contacts"]
        ]
        for rec in records
    }


async def rollup_customer_ids(store: GraphStore, account_ids: Sequence[str]) -> dict[str, list[str]]:
    """The distinct customers who are contacts of each account or of any account below it."""
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (top:Account {id: id})
        RETURN id, COLLECT {
          MATCH (top)<-[:SUBSIDIARY_OF]-{0,10}(:Account)<-[:WORKS_AT]-(c:Customer)
          RETURN DISTINCT c.id ORDER BY c.id LIMIT $cap
        } AS customers
        """,
        ids=list(account_ids),
        cap=MAX_ROLLUP_CUSTOMERS + 1,
    )
    found = {rec["id"]: list(rec["customers"]) for rec in records}
    for account_id, customers in found.items():
        if len(customers) > MAX_ROLLUP_CUSTOMERS:
            raise BadUserInput(
                f"Account {account_id} has more than {MAX_ROLLUP_CUSTOMERS} contacts across its hierarchy; "
                "roll-ups over it are refused"
            )
    return found


async def search(store: GraphStore, page: AccountPage, rows: Visible = EVERYTHING) -> list[AccountNode]:
    """Accounts in name order, optionally those whose name contains ``search`` (case-insensitive)."""
    after_key, after_id = page.after or (None, None)
    records = await store.read(
        """
        MATCH (a:Account)
        WHERE a.nameKey IS NOT NULL
          AND ($accounts IS NULL OR a.id IN $accounts)
          AND ($search IS NULL OR a.nameKey CONTAINS $search)
          AND ($afterKey IS NULL OR a.nameKey > $afterKey OR (a.nameKey = $afterKey AND a.id > $afterId))
        WITH a ORDER BY a.nameKey, a.id LIMIT $limit
        OPTIONAL MATCH (a)-[:SUBSIDIARY_OF]->(p:Account)
        RETURN """
        + NODE
        + " AS account",
        search=name_key(page.search) if page.search else None,
        afterKey=after_key,
        afterId=after_id,
        limit=page.first,
        accounts=rows.account_list,
    )
    return [_node(rec["account"]) for rec in records]


async def create(
    store: GraphStore,
    name: str,
    industry: str | None,
    city: str | None,
    parent_id: str | None,
    source: str,
    rows: Visible = EVERYTHING,
) -> str:
    """A new account, optionally under a parent (one the caller may see); returns its id."""
    if not name.strip():
        raise BadUserInput("An account needs a non-empty name")
    account_id = str(uuid.uuid4())

    async def work(tx: AsyncManagedTransaction) -> str:
        await lock(tx)
        await tx.run(
            """
            CREATE (:Account {id: $id, name: $name, nameKey: $key, industry: $industry, city: $city,
                              source: $source, createdAt: datetime()})
            """,
            id=account_id,
            name=name.strip(),
            key=name_key(name),
            industry=industry,
            city=city,
            source=source,
        )
        if parent_id is not None:
            await _attach(tx, account_id, parent_id, source, rows)
        return account_id

    return await store.transaction(work)


async def move(
    store: GraphStore, account_id: str, parent_id: str | None, source: str, rows: Visible = EVERYTHING
) -> bool:
    """Put an account under a new parent (or at the top when ``parent_id`` is None); refuses cycles. Accounts the
    caller may not see are refused as accounts that do not exist."""

    async def work(tx: AsyncManagedTransaction) -> bool:
        await lock(tx)
        current = await (
            await tx.run(
                """
                OPTIONAL MATCH (a:Account {id: $id})
                OPTIONAL MATCH (a)-[:SUBSIDIARY_OF]->(p:Account)
                RETURN a IS NOT NULL AND ($accounts IS NULL OR a.id IN $accounts) AS found, p.id AS parent
                """,
                id=account_id,
                accounts=rows.account_list,
            )
        ).single(strict=True)
        if not current["found"]:
            raise NotFound("account", account_id)
        if current["parent"] == parent_id:
            return False
        await tx.run("MATCH (:Account {id: $id})-[r:SUBSIDIARY_OF]->() DELETE r", id=account_id)
        if parent_id is not None:
            await _attach(tx, account_id, parent_id, source, rows)
        return True

    return await store.transaction(work)


async def _attach(
    tx: AsyncManagedTransaction, account_id: str, parent_id: str, source: str, rows: Visible
) -> None:
    if parent_id == account_id:
        raise RelationshipRefused(f"Account {account_id} cannot be its own parent", "SELF_LINK")
    check = await (
        await tx.run(
            """
            OPTIONAL MATCH (p:Account {id: $parent})
            OPTIONAL MATCH (a:Account {id: $id})
            RETURN p IS NOT NULL AND ($accounts IS NULL OR p.id IN $accounts) AS found,
                   EXISTS { (p)-[:SUBSIDIARY_OF]->{1,20}(a) } AS cycle,
                   COALESCE(COLLECT { MATCH path = (p)-[:SUBSIDIARY_OF]->{1,20}(:Account)
                                      RETURN length(path) ORDER BY length(path) DESC LIMIT 1 }[0], 0) AS above,
                   COALESCE(COLLECT { MATCH path = (a)<-[:SUBSIDIARY_OF]-{1,20}(:Account)
                                      RETURN length(path) ORDER BY length(path) DESC LIMIT 1 }[0], 0) AS below
            """,
            parent=parent_id,
            id=account_id,
            accounts=rows.account_list,
        )
    ).single(strict=True)
    if not check["found"]:
        raise NotFound("account", parent_id)
    if check["cycle"]:
        raise RelationshipRefused(
            f"Account {parent_id} is below {account_id} in the hierarchy: making it the parent would form a cycle",
            "CYCLE",
        )
    levels = check["above"] + 1 + 1 + check["below"]
    if levels > MAX_HIERARCHY_DEPTH:
        raise RelationshipRefused(
            f"The hierarchy would have {levels} levels; at most {MAX_HIERARCHY_DEPTH} are allowed", "TOO_DEEP"
        )
    await tx.run(
        """
        MATCH (a:Account {id: $id}), (p:Account {id: $parent})
        CREATE (a)-[:SUBSIDIARY_OF {source: $source, since: datetime()}]->(p)
        """,
        id=account_id,
        parent=parent_id,
        source=source,
    )


async def add_contact(
    store: GraphStore,
    customer_id: str,
    account_id: str,
    title: str | None,
    since: datetime | None,
    source: str,
    rows: Visible = EVERYTHING,
) -> bool:
    """Make a customer a contact of an account; repeating it with the same title changes nothing. A customer or an
    account the caller may not see is refused as one that does not exist."""

    async def work(tx: AsyncManagedTransaction) -> bool:
        await lock(tx)
        await require_customers(tx, customer_id, rows=rows)
        record = await (
            await tx.run(
                """
                OPTIONAL MATCH (a:Account {id: $account})
                OPTIONAL MATCH (:Customer {id: $customer})-[w:WORKS_AT]->(a)
                RETURN a IS NOT NULL AND ($accounts IS NULL OR a.id IN $accounts) AS found,
                       w IS NOT NULL AS linked, w.title AS title
                """,
                account=account_id,
                customer=customer_id,
                accounts=rows.account_list,
            )
        ).single(strict=True)
        if not record["found"]:
            raise NotFound("account", account_id)
        if record["linked"] and record["title"] == title:
            return False
        await tx.run(
            """
            MATCH (c:Customer {id: $customer}), (a:Account {id: $account})
            MERGE (c)-[w:WORKS_AT]->(a)
              ON CREATE SET w.since = datetime($since)
            SET w.title = $title, w.source = $source
            """,
            customer=customer_id,
            account=account_id,
            title=title,
            since=iso(since),
            source=source,
        )
        return True

    return await store.transaction(work)


async def remove_contact(
    store: GraphStore, customer_id: str, account_id: str, rows: Visible = EVERYTHING
) -> bool:
    """End a contact relationship; one the caller may not see is no relationship (nothing changes)."""
    return await delete_one(
        store,
        """
        OPTIONAL MATCH (:Customer {id: $customer})-[w:WORKS_AT]->(:Account {id: $account})
        WHERE ($visible IS NULL OR $customer IN $visible) AND ($accounts IS NULL OR $account IN $accounts)
        DELETE w
        RETURN count(w) AS removed
        """,
        customer=customer_id,
        account=account_id,
        visible=rows.customer_list,
        accounts=rows.account_list,
    )
