"""Customer.timeline: orders, ticket events, interactions and identity events interleaved newest first, exactly;
cursor paging across entries at the same instant; kinds and since; constant statements per page."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from core.metrics import ROUND_TRIPS
from tests import auth
from tests.conftest import NewCustomers
from tests.tickets.conftest import COMMENT, START, Api

TIMELINE = """query($id: ID!, $first: Int!, $after: String, $kinds: [TimelineKind!], $since: DateTime) {
  customer(id: $id) { timeline(first: $first, after: $after, kinds: $kinds, since: $since) {
    pageInfo { hasNextPage endCursor } edges { cursor node { kind at title status amount actor orderId ticketId
    interactionId } } } } }"""
LOG = "mutation($i: LogInteractionInput!) { logInteraction(input: $i) { interaction { id } } }"
INGEST = "mutation($o: [IngestOrderInput!]!) { ingestOrders(orders: $o) { results { outcome } } }"
ADMIN = auth.headers(("admin",), subject="agent.li")


def _minutes(n: int) -> str:
    return (START + timedelta(minutes=n)).isoformat()


@pytest.fixture(scope="module")
async def history(api: Api, customers: NewCustomers) -> tuple[str, list[tuple[str, str, str]]]:
    """A customer's own history at known instants, and what its timeline must say: (kind, at, title)."""
    (customer,) = await customers.take(1)
    api.clock.set(START)
    ticket = (await api.create(customer, subject="Lost parcel"))["ticket"]["id"]

    async def log(minute: int, kind: str) -> None:
        given = {
            "customer": {"id": customer},
            "kind": kind,
            "summary": f"{kind} at {minute}",
            "occurredAt": _minutes(minute),
        }
        await api.data(LOG, i=given)

    async def order(minute: int, external: str) -> None:
        line = {"sku": "S", "name": "Lamp", "quantity": 1, "unitPrice": "20.00"}
        given = {"system": "shop", "externalId": f"{customer}-{external}", "customer": {"id": customer},
                 "channel": "ONLINE", "placedAt": _minutes(minute), "items": [line], "status": "PAID"}  # fmt: skip
        assert (await api.data(INGEST, ADMIN, o=[given]))["ingestOrders"]["results"][0][
            "outcome"
        ] == "CREATED"

    await log(1, "CALL")
    await order(2, "a")
    api.clock.set(START + timedelta(minutes=3))
    await api.data(COMMENT, i={"ticketId": ticket, "body": "Called the courier."})
    await log(3, "WECHAT_MESSAGE")
    await order(3, "b")
    api.clock.set(START + timedelta(minutes=4))
    await api.move(ticket, "OPEN")
    expected = [
        ("TICKET_EVENT", _minutes(4), "Ticket status changed: Lost parcel"),
        # Three entries at the same instant: interactions, then ticket events, then orders.
        ("INTERACTION", _minutes(3), "WeChat message"),
        ("TICKET_EVENT", _minutes(3), "Ticket commented: Lost parcel"),
        ("ORDER", _minutes(3), "Order placed"),
        ("ORDER", _minutes(2), "Order placed"),
        ("INTERACTION", _minutes(1), "Call"),
        ("TICKET_EVENT", _minutes(0), "Ticket opened: Lost parcel"),
    ]
    return customer, expected


async def _walk(api: Api, customer: str, first: int, **variables: Any) -> list[tuple[str, str, str]]:
    seen: list[tuple[str, str, str]] = []
    after = None
    for _ in range(50):
        found = (await api.data(TIMELINE, ADMIN, id=customer, first=first, after=after, **variables))[
            "customer"
        ]["timeline"]
        seen += [(e["node"]["kind"], e["node"]["at"], e["node"]["title"]) for e in found["edges"]]
        if not found["pageInfo"]["hasNextPage"]:
            return seen
        after = found["pageInfo"]["endCursor"]
        assert after == found["edges"][-1]["cursor"]
    raise AssertionError("the timeline did not end")


@pytest.mark.parametrize("first", [1, 2, 3, 7, 20])
async def test_the_timeline_interleaves_every_kind_newest_first(
    api: Api, history: tuple[str, list[tuple[str, str, str]]], first: int
) -> None:
    customer, expected = history
    assert await _walk(api, customer, first) == expected


async def test_entries_name_what_they_are_about(api: Api, history: tuple[str, list[Any]]) -> None:
    customer, _ = history
    nodes = [
        e["node"]
        for e in (await api.data(TIMELINE, ADMIN, id=customer, first=7))["customer"]["timeline"]["edges"]
    ]
    assert (nodes[0]["status"], nodes[0]["actor"], nodes[0]["ticketId"] is not None) == (
        "OPEN",
        "agent.li",
        True,
    )
    assert (nodes[3]["status"], nodes[3]["amount"], nodes[3]["orderId"] is not None) == (
        "PAID",
        "20.00",
        True,
    )
    assert nodes[1]["interactionId"] is not None
    assert (nodes[6]["status"], nodes[6]["actor"]) == ("NEW", "agent.li")


async def test_kinds_and_since(api: Api, history: tuple[str, list[tuple[str, str, str]]]) -> None:
    customer, expected = history
    assert await _walk(api, customer, 2, kinds=["ORDER"]) == [e for e in expected if e[0] == "ORDER"]
    both = await _walk(api, customer, 2, kinds=["TICKET_EVENT", "INTERACTION"])
    assert both == [e for e in expected if e[0] in ("TICKET_EVENT", "INTERACTION")]
    assert await _walk(api, customer, 2, since=_minutes(3)) == expected[:4]


async def test_a_bad_cursor_is_refused(api: Api, history: tuple[str, list[Any]]) -> None:
    customer, _ = history
    error = await api.error(TIMELINE, ADMIN, id=customer, first=1, after="bm90IGEgY3Vyc29y")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.fixture(scope="module")
async def busy(customers: NewCustomers, pg: asyncpg.Connection) -> list[str]:
    """Customers with 60 interactions each, so pages of 50 are full."""
    owners = await customers.take(3)
    await pg.executemany(
        "INSERT INTO interactions.interactions (customer_id, kind, channel, occurred_at, summary, payload,"
        " business_unit) VALUES ($1, 'web_event', 'web', $2, 'page view', '{}'::jsonb, 'ecommerce')",
        [(uuid.UUID(c), START - timedelta(minutes=n)) for c in owners for n in range(60)],
    )
    return owners


async def test_a_page_costs_the_same_whatever_its_size(api: Api, busy: list[str]) -> None:
    one = "query($id: ID!, $first: Int!) { customer(id: $id) { timeline(first: $first) { edges { node { kind } } } } }"
    several = """query($first: Int!) { a: customer(id: "%s") { ...t } b: customer(id: "%s") { ...t }
      c: customer(id: "%s") { ...t } } fragment t on Customer { timeline(first: $first) { nodes { kind title } } }"""
    counts = []
    for first in (5, 50):
        before = ROUND_TRIPS.snapshot()
        found = await api.data(one, ADMIN, id=busy[0], first=first)
        assert len(found["customer"]["timeline"]["edges"]) == first
        counts.append((ROUND_TRIPS.sql - before[0], ROUND_TRIPS.cypher - before[1]))
        before = ROUND_TRIPS.snapshot()
        many = await api.data(several % tuple(busy), ADMIN, first=first)
        assert [len(many[k]["timeline"]["nodes"]) for k in "abc"] == [first] * 3
        counts.append((ROUND_TRIPS.sql - before[0], ROUND_TRIPS.cypher - before[1]))
    # The golden records, then orders, ticket history and interactions (SQL) and identity events (Cypher), each
    # once for every customer of the request.
    assert counts == [(4, 1)] * 4
