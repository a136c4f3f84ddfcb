"""Accounts through the public API: a three-level hierarchy, roll-ups checked against the tables, refusals."""

from __future__ import annotations

import uuid
from decimal import Decimal

import asyncpg

from tests.conftest import FreshCustomers, GraphQL
from tests.relationships.helpers import MOVE_ACCOUNT, add_contact, create_account

ACCOUNT = """query($id: ID!) { account(id: $id) {
  id name industry
  parent { id } children { id name } ancestors { id }
  lifetimeValue openTicketCount
} }"""

CONTACTS = """query($id: ID!, $first: Int!, $after: String, $deep: Boolean!) { account(id: $id) {
  contacts(first: $first, after: $after, includeDescendants: $deep) {
    edges { cursor node { title customer { id } account { id } } }
    pageInfo { hasNextPage endCursor }
} } }"""


async def _expected_rollups(pg: asyncpg.Connection, customers: list[str]) -> tuple[Decimal, int]:
    ids = [uuid.UUID(c) for c in set(customers)]
    value = await pg.fetchval(
        "SELECT coalesce(sum(total), 0) FROM orders.orders"
        " WHERE customer_id = ANY($1) AND status NOT IN ('cancelled', 'refunded')",
        ids,
    )
    tickets = await pg.fetchval(
        "SELECT count(*) FROM tickets.tickets WHERE customer_id = ANY($1) AND status IN ('new', 'open', 'pending')",
        ids,
    )
    return value, tickets


async def _with_activity(pg: asyncpg.Connection, candidates: list[str]) -> list[str]:
    """Candidates ordered so that customers with orders and open tickets come first (roll-ups then sum something)."""
    rows = await pg.fetch(
        "SELECT c.id::text AS id,"
        " (SELECT count(*) FROM orders.orders o WHERE o.customer_id = c.id) AS orders,"
        " (SELECT count(*) FROM tickets.tickets t WHERE t.customer_id = c.id AND t.status IN ('new', 'open', 'pending'))"
        " AS open FROM profiles.customers c WHERE c.id = ANY($1)",
        [uuid.UUID(c) for c in candidates],
    )
    return [r["id"] for r in sorted(rows, key=lambda r: (-r["open"], -r["orders"], r["id"]))]


async def test_three_level_hierarchy_rolls_up_what_the_tables_say(
    gql: GraphQL, pg: asyncpg.Connection, fresh: FreshCustomers
) -> None:
    group = await create_account(gql, "Rollup Test Group")
    retail = await create_account(gql, "Rollup Test Retail", parent=group)
    logistics = await create_account(gql, "Rollup Test Logistics", parent=group)
    branch = await create_account(gql, "Rollup Test Retail (Chengdu)", parent=retail)

    c1, c2, c3, c4, c5 = (await _with_activity(pg, fresh.take(8)))[:5]
    # The generated customers drawn may have no open ticket: c3's open ticket makes the roll-ups count something.
    await pg.execute(
        "INSERT INTO tickets.tickets (customer_id, subject, description, status, priority, channel, created_at,"
        " updated_at, sla_due_at, business_unit)"
        " VALUES ($1, 'Roll-up test', '', 'open', 'normal', 'phone', now(), now(), now(), 'service')",
        uuid.UUID(c3),
    )
    placement = {group: [c1], retail: [c2], branch: [c3, c4], logistics: [c5]}
    for account, customers in placement.items():
        for customer in customers:
            assert await add_contact(gql, customer, account)
    # c4 also works at the group: counted once in every roll-up above it.
    assert await add_contact(gql, c4, group, title="Board member")

    top = (await gql.data(ACCOUNT, id=group))["account"]
    assert top["parent"] is None
    assert top["ancestors"] == []
    assert {c["id"] for c in top["children"]} == {retail, logistics}
    leaf = (await gql.data(ACCOUNT, id=branch))["account"]
    assert leaf["parent"] == {"id": retail}
    assert [a["id"] for a in leaf["ancestors"]] == [retail, group]
    assert leaf["children"] == []

    expected = {
        group: [c1, c2, c3, c4, c5],
        retail: [c2, c3, c4],
        branch: [c3, c4],
        logistics: [c5],
    }
    for account, customers in expected.items():
        value, tickets = await _expected_rollups(pg, customers)
        got = (await gql.data(ACCOUNT, id=account))["account"]
        assert Decimal(got["lifetimeValue"]) == value, account
        assert got["openTicketCount"] == tickets, account
    group_value, group_tickets = await _expected_rollups(pg, expected[group])
    # The check above compared real sums, not zeros.
    assert group_value > 0
    assert group_tickets > 0

    # Moving the branch under logistics moves its contacts' value with it.
    moved = await gql.data(MOVE_ACCOUNT, account=branch, parent=logistics)
    assert moved["moveAccount"] == {"changed": True, "account": {"parent": {"id": logistics}}}
    value, _ = await _expected_rollups(pg, [c5, c3, c4])
    assert Decimal((await gql.data(ACCOUNT, id=logistics))["account"]["lifetimeValue"]) == value


async def test_cycles_and_self_parents_are_refused(gql: GraphQL) -> None:
    top = await create_account(gql, "Cycle Test Top")
    middle = await create_account(gql, "Cycle Test Middle", parent=top)
    bottom = await create_account(gql, "Cycle Test Bottom", parent=middle)

    error = await gql.error(MOVE_ACCOUNT, account=top, parent=bottom)
    assert error["extensions"] == {"code": "RELATIONSHIP_REFUSED", "reason": "CYCLE"}
    assert "cycle" in error["message"]
    error = await gql.error(MOVE_ACCOUNT, account=middle, parent=middle)
    assert error["extensions"]["reason"] == "SELF_LINK"
    # Nothing changed.
    got = (await gql.data(ACCOUNT, id=bottom))["account"]
    assert [a["id"] for a in got["ancestors"]] == [middle, top]
    assert (await gql.data(ACCOUNT, id=top))["account"]["parent"] is None

    assert (await gql.data(MOVE_ACCOUNT, account=middle, parent=top))["moveAccount"]["changed"] is False
    assert (await gql.data(MOVE_ACCOUNT, account=bottom, parent=None))["moveAccount"]["changed"] is True
    assert (await gql.data(ACCOUNT, id=bottom))["account"]["ancestors"] == []


async def test_unknown_accounts(gql: GraphQL, fresh: FreshCustomers) -> None:
    ghost = "00000000-0000-4000-8000-0000000000ac"
    assert (await gql.data(ACCOUNT, id=ghost))["account"] is None
    error = await gql.error(MOVE_ACCOUNT, account=ghost, parent=None)
    assert error["extensions"]["code"] == "NOT_FOUND"
    (customer,) = fresh.take(1)
    error = await gql.error(
        """mutation($c: ID!, $a: ID!) { addAccountContact(input: {customerId: $c, accountId: $a}) { changed } }""",
        c=customer,
        a=ghost,
    )
    assert error["extensions"] == {"code": "NOT_FOUND", "what": "account", "id": ghost}


async def test_contacts_page_through_the_hierarchy(gql: GraphQL, fresh: FreshCustomers) -> None:
    top = await create_account(gql, "Paging Test Top")
    child = await create_account(gql, "Paging Test Child", parent=top)
    customers = fresh.take(5)
    for customer in customers[:2]:
        await add_contact(gql, customer, top)
    for customer in customers[2:]:
        await add_contact(gql, customer, child)
    assert await add_contact(gql, customers[0], top) is False  # same title: no change

    direct = (await gql.data(CONTACTS, id=top, first=10, after=None, deep=False))["account"]["contacts"]
    assert [e["node"]["customer"]["id"] for e in direct["edges"]] == sorted(customers[:2])

    seen: list[tuple[str, str]] = []
    after = None
    while True:
        page = (await gql.data(CONTACTS, id=top, first=2, after=after, deep=True))["account"]["contacts"]
        seen += [(e["node"]["customer"]["id"], e["node"]["account"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    expected = sorted([(c, top) for c in customers[:2]] + [(c, child) for c in customers[2:]])
    assert seen == expected


async def test_accounts_are_listed_by_name_and_searchable(gql: GraphQL) -> None:
    await create_account(gql, "Zebra Search Test Ltd")
    await create_account(gql, "zebra search test holdings")
    query = """query($q: String, $first: Int!, $after: String) { accounts(search: $q, first: $first, after: $after) {
      nodes { name } pageInfo { hasNextPage endCursor } } }"""
    found = (await gql.data(query, q="  ZEBRA search ", first=10, after=None))["accounts"]
    assert [n["name"] for n in found["nodes"]] == ["zebra search test holdings", "Zebra Search Test Ltd"]
    first = (await gql.data(query, q="zebra search", first=1, after=None))["accounts"]
    assert first["pageInfo"]["hasNextPage"] is True
    second = (await gql.data(query, q="zebra search", first=1, after=first["pageInfo"]["endCursor"]))[
        "accounts"
    ]
    assert [n["name"] for n in second["nodes"]] == ["Zebra Search Test Ltd"]
    assert second["pageInfo"]["hasNextPage"] is False
