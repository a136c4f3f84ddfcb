"""Business units through the public API: a caller whose token names units sees only the orders, tickets and
interactions of those units, in root fields, in a customer's lists and in every summary derived from them, and
an order, ticket or interaction of another unit answers exactly like one that does not exist."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from core.metrics import ROUND_TRIPS
from tests import auth, fixtures

VIEW = """query($id: ID!) { customer(id: $id) {
  orderCount lifetimeValue lastOrderAt openTicketCount
  orders(first: 10) { nodes { id businessUnit } }
  tickets { id businessUnit }
  interactions(first: 10) { nodes { id businessUnit } }
} }"""


def _units(*units: str) -> dict[str, str]:
    return auth.headers(("agent",), subject="unit-agent", c360_business_units=list(units))


async def _data(client: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any) -> Any:
    body = (
        await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    ).json()
    assert "errors" not in body, body["errors"]
    return body["data"]


@pytest.mark.parametrize(
    ("units", "orders", "tickets", "interactions", "value", "open_tickets"),
    [
        (("retail",), [900001], [], [700003], "100.00", 0),
        (("ecommerce", "service"), [900003, 900002], [800001, 800002], [700002, 700001], "250.50", 1),
        ((), [], [], [], "0.00", 0),
    ],
)
async def test_a_customer_shows_only_the_records_of_the_callers_units(
    client: httpx.AsyncClient,
    units: tuple[str, ...],
    orders: list[int],
    tickets: list[int],
    interactions: list[int],
    value: str,
    open_tickets: int,
) -> None:
    seen = (await _data(client, _units(*units), VIEW, id=fixtures.LI_LEI))["customer"]
    assert [int(o["id"]) for o in seen["orders"]["nodes"]] == orders
    assert [int(t["id"]) for t in seen["tickets"]] == tickets
    assert [int(i["id"]) for i in seen["interactions"]["nodes"]] == interactions
    assert {o["businessUnit"] for o in seen["orders"]["nodes"]} <= set(units)
    assert seen["orderCount"] == len(orders)
    assert seen["lifetimeValue"] == value
    assert seen["openTicketCount"] == open_tickets
    placed = {o[0]: o[3] for o in fixtures.LI_LEI_ORDERS}
    assert seen["lastOrderAt"] == (max(placed[o] for o in orders).isoformat() if orders else None)
    everything = (await _data(client, auth.headers(), VIEW, id=fixtures.LI_LEI))["customer"]
    assert everything["orderCount"] == len(fixtures.LI_LEI_ORDERS)


ROOTS = {
    "order": ("""query($id: ID!) { order(id: $id) { id total businessUnit items { sku } customer { id } } }""", 900001, 900002),
    "ticket": ("""query($id: ID!) { ticket(id: $id) { id subject businessUnit comments { body } } }""", 800002, 800001),
    "interaction": ("""query($id: ID!) { interaction(id: $id) { id kind businessUnit customer { id } } }""", 700003, 700001),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(ROOTS))
async def test_root_fields_answer_other_units_like_absent_ids(client: httpx.AsyncClient, kind: str) -> None:
    query, inside, outside = ROOTS[kind]
    caller = _units("retail", "ecommerce") if kind == "ticket" else _units("retail")
    found = await _data(client, caller, query, id=str(inside))
    assert found[kind]["id"] == str(inside)
    answers = [
        (await client.post("/graphql", json={"query": query, "variables": {"id": i}}, headers=caller)).content
        for i in (str(outside), "9100000002")
    ]
    assert answers[0] == answers[1] == f'{{"data":{{"{kind}":null}}}}'.encode()


async def test_summaries_and_filters_count_only_the_callers_units(
    client: httpx.AsyncClient, pg: asyncpg.Connection
) -> None:
    """Generated customers: every figure equals the tables' restricted to the unit."""
    ids = [
        r["id"]
        for r in await pg.fetch(
            "SELECT customer_id::text AS id FROM orders.orders GROUP BY customer_id"
            " HAVING count(DISTINCT business_unit) > 1 ORDER BY 1 LIMIT 20"
        )
    ]
    assert len(ids) == 20
    query = """query($ids: [_Any!]!) { _entities(representations: $ids) { ... on Customer {
      id orderCount lifetimeValue } } }"""
    reps = [{"__typename": "Customer", "id": c} for c in ids]
    for path in ("/graphql", "/subgraphs/orders/graphql"):
        if path == "/graphql":
            got = {c: (await _data(client, _units("ecommerce"), VIEW, id=c))["customer"] for c in ids}
        else:
            body = await client.post(
                path, json={"query": query, "variables": {"ids": reps}}, headers=_units("ecommerce")
            )
            got = {e["id"]: e for e in body.json()["data"]["_entities"]}
        for customer, seen in got.items():
            expected = await pg.fetchrow(
                "SELECT count(*) AS n, coalesce(sum(total) FILTER (WHERE status NOT IN ('cancelled', 'refunded')), 0)"
                " AS value FROM orders.orders WHERE customer_id = $1 AND business_unit = 'ecommerce'",
                uuid.UUID(customer),
            )
            assert seen["orderCount"] == expected["n"], (path, customer)
            assert Decimal(seen["lifetimeValue"]) == expected["value"], (path, customer)

    open_in = (
        "SELECT count(*) FROM profiles.customers c WHERE EXISTS (SELECT 1 FROM tickets.tickets t"
        " WHERE t.customer_id = c.id AND t.status IN ('open', 'pending') AND t.business_unit = ANY($1::text[]))"
    )
    with_open = await pg.fetchval(open_in, ["retail"])
    all_open = await pg.fetchval(open_in, ["retail", "ecommerce", "service"])
    assert 0 < with_open < all_open
    count = """{ customers(first: 1, filter: {hasOpenTickets: true}) { totalCount } }"""
    assert (await _data(client, _units("retail"), count))["customers"]["totalCount"] == with_open
    assert (await _data(client, auth.headers(), count))["customers"]["totalCount"] == all_open


async def test_the_seeded_records_spread_over_several_units(pg: asyncpg.Connection) -> None:
    for table in ("orders.orders", "tickets.tickets", "interactions.interactions"):
        units = {r["business_unit"] for r in await pg.fetch(f"SELECT DISTINCT business_unit FROM {table}")}
        assert units == {"retail", "ecommerce", "service"}, table


async def test_units_alone_cost_no_round_trip_more(client: httpx.AsyncClient) -> None:
    """The units come from the token: no look-up, the same statements as an unlimited caller."""
    query = """{ customers(first: 20) { nodes { orderCount orders(first: 2) { nodes { id } } tickets { id } } } }"""
    costs = []
    for headers in (auth.headers(), _units("retail")):
        before = ROUND_TRIPS.snapshot()
        await _data(client, headers, query)
        costs.append((ROUND_TRIPS.sql - before[0], ROUND_TRIPS.cypher - before[1]))
    assert costs[0] == costs[1] == (1, 0)  # one statement: the page with its lists and figures (compiled)
