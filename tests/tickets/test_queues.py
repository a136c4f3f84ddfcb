"""The root ticket and order lists: filters, every sort in both directions, cursor paging, totalCount, the breached
view as the clock passes due times, row scoping by business unit, constant statements per page, and the indexes
that serve them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest

from core.metrics import ROUND_TRIPS
from core.settings import Settings
from subgraphs.kit.pagination import sort_of
from subgraphs.orders import queue as order_queue
from subgraphs.orders.queue import OrderQueue
from subgraphs.tickets import queue as ticket_queue
from subgraphs.tickets.queue import TicketQueue
from tests import auth, fixtures
from tests.conftest import NewCustomers
from tests.tickets.conftest import ASSIGN, COMMENT, START, Api

QUEUE = "queue-test"
LIST = """query($f: TicketFilter, $o: TicketOrder, $first: Int!, $after: String) {
  tickets(filter: $f, orderBy: $o, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id subject } } } }"""


@pytest.fixture(scope="module")
async def made(api: Api, customers: NewCustomers) -> dict[str, str]:
    """Six tickets in one queue at known times: name → id."""
    owners = await customers.take(6)
    specs: list[tuple[str, dict[str, Any]]] = [
        ("t1", {"priority": "URGENT", "channel": "PHONE"}),
        ("t2", {"priority": "HIGH", "channel": "PHONE"}),
        ("t3", {"priority": "NORMAL", "channel": "EMAIL"}),
        ("t4", {"priority": "LOW", "channel": "WEB"}),
        ("t5", {"priority": "URGENT", "channel": "WECHAT"}),
        ("t6", {"priority": "HIGH", "channel": "STORE", "businessUnit": "retail"}),
    ]
    made: dict[str, str] = {}
    for minute, ((name, fields), customer) in enumerate(zip(specs, owners, strict=True)):
        api.clock.set(START + timedelta(minutes=minute))
        made[name] = (await api.create(customer, queue=QUEUE, subject=name, **fields))["ticket"]["id"]
    api.clock.set(START + timedelta(minutes=6))
    await api.data(ASSIGN, i={"ticketId": made["t5"], "assignee": "agent.q"})
    api.clock.set(START + timedelta(minutes=7))
    await api.data(COMMENT, i={"ticketId": made["t5"], "body": "On it.", "internal": False})
    api.clock.set(START + timedelta(minutes=8))
    await api.move(made["t4"], "OPEN")
    api.clock.set(START + timedelta(minutes=10))
    await api.move(made["t4"], "RESOLVED")
    return made


async def _walk(api: Api, variables: dict[str, Any], page: int = 2) -> tuple[list[str], int]:
    """Every ticket of a filtered, sorted list, page by page: the subjects in order and the total count."""
    subjects: list[str] = []
    after = None
    total = -1
    for _ in range(20):
        found = (await api.data(LIST, **variables, first=page, after=after))["tickets"]
        total = found["totalCount"]
        subjects += [edge["node"]["subject"] for edge in found["edges"]]
        if not found["pageInfo"]["hasNextPage"]:
            return subjects, total
        after = found["pageInfo"]["endCursor"]
        assert after == found["edges"][-1]["cursor"]
    raise AssertionError("the list did not end")


@pytest.mark.parametrize(
    ("field", "direction", "expected"),
    [
        ("CREATED_AT", None, ["t6", "t5", "t4", "t3", "t2", "t1"]),
        ("CREATED_AT", "ASC", ["t1", "t2", "t3", "t4", "t5", "t6"]),
        ("UPDATED_AT", None, ["t4", "t5", "t6", "t3", "t2", "t1"]),
        # Urgent, high, normal, low; ties by id, in the same direction.
        ("PRIORITY", None, ["t5", "t1", "t6", "t2", "t3", "t4"]),
        ("PRIORITY", "ASC", ["t4", "t3", "t2", "t6", "t1", "t5"]),
        # Next deadline: t1 answer by +30 min, t2 +61, t6 +65, t3 13:02 business time (+4 h 2), t5 answered: its
        # resolution at +4 h 4; t4 is resolved, without a deadline: last either way.
        ("DUE_AT", None, ["t1", "t2", "t6", "t3", "t5", "t4"]),
        ("DUE_AT", "DESC", ["t5", "t3", "t6", "t2", "t1", "t4"]),
    ],
)
async def test_every_order_pages_by_cursor(
    api: Api, made: dict[str, str], field: str, direction: str | None, expected: list[str]
) -> None:
    order = {"field": field, **({"direction": direction} if direction else {})}
    for page in (1, 2, 4, 10):
        assert await _walk(api, {"f": {"queue": QUEUE}, "o": order}, page) == (expected, 6)


async def test_filters(api: Api, made: dict[str, str]) -> None:
    async def subjects(**condition: Any) -> list[str]:
        return (await _walk(api, {"f": {"queue": QUEUE, **condition}}))[0]

    assert await subjects(status=["RESOLVED"]) == ["t4"]
    assert await subjects(status=["NEW"]) == ["t6", "t5", "t3", "t2", "t1"]
    assert await subjects(priority=["URGENT", "LOW"]) == ["t5", "t4", "t1"]
    assert await subjects(assignee="agent.q") == ["t5"]
    assert await subjects(businessUnit=["retail"]) == ["t6"]
    assert await subjects(dueBefore=(START + timedelta(minutes=90)).isoformat()) == ["t6", "t2", "t1"]
    assert await subjects(queue="no-such-queue") == []


async def test_the_breached_view_follows_the_clock(api: Api, made: dict[str, str]) -> None:
    async def breached(at: datetime, flag: bool = True) -> list[str]:
        api.clock.set(at)
        return (await _walk(api, {"f": {"queue": QUEUE, "breached": flag}, "o": {"field": "DUE_AT"}}))[0]

    assert await breached(START + timedelta(minutes=20)) == []
    assert await breached(START + timedelta(minutes=45)) == ["t1"]  # not answered within 30 minutes
    assert await breached(START + timedelta(hours=2)) == ["t1", "t2", "t6"]
    assert await breached(START + timedelta(hours=2), flag=False) == ["t3", "t5", "t4"]
    api.clock.set(START + timedelta(hours=2))
    shown = (await api.data("query($id: ID!) { ticket(id: $id) { sla { breached } } }", id=made["t2"]))[
        "ticket"
    ]
    assert shown == {"sla": {"breached": True}}  # the list and the ticket agree


async def test_a_caller_limited_to_a_business_unit_sees_only_its_tickets(
    api: Api, made: dict[str, str]
) -> None:
    retail = auth.headers(("agent",), c360_business_units=["retail"])
    found = (await api.data(LIST, retail, f={"queue": QUEUE}, first=10))["tickets"]
    assert [e["node"]["subject"] for e in found["edges"]] == ["t6"]
    assert found["totalCount"] == 1
    none = (await api.data(LIST, retail, f={"queue": QUEUE, "businessUnit": ["service"]}, first=10))[
        "tickets"
    ]
    assert (none["totalCount"], none["edges"]) == (0, [])


async def test_a_cursor_of_another_order_is_refused(api: Api, made: dict[str, str]) -> None:
    first = (await api.data(LIST, f={"queue": QUEUE}, first=1))["tickets"]["pageInfo"]["endCursor"]
    error = await api.error(LIST, f={"queue": QUEUE}, o={"field": "PRIORITY"}, first=1, after=first)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    garbage = await api.error(LIST, first=1, after="not-a-cursor")
    assert garbage["extensions"]["code"] == "BAD_USER_INPUT"


async def test_statements_per_page_do_not_grow_with_the_page(api: Api, made: dict[str, str]) -> None:
    query = """query($first: Int!) { tickets(first: $first) { totalCount nodes { id status sla { breached }
      customer { fullName } } } orders(first: $first) { totalCount nodes { id total items { sku } } } }"""
    counts = []
    for first in (5, 50):
        before = ROUND_TRIPS.snapshot()
        data = await api.data(query, first=first)
        assert len(data["tickets"]["nodes"]) == first
        assert len(data["orders"]["nodes"]) == first
        counts.append((ROUND_TRIPS.sql - before[0], ROUND_TRIPS.cypher - before[1]))
    # tickets: page, count, customers' golden records; orders: page, count, items; the audit record of the names.
    assert counts == [(7, 0), (7, 0)]


async def _plan(settings: Settings, sql: str, args: list[object]) -> str:
    conn = await asyncpg.connect(settings.dsn_for("tickets"))
    try:
        async with conn.transaction():
            # On a small test data set a sequential scan and a sort win; forbidding them shows an index can serve
            # the statement and its order.
            await conn.execute("SET LOCAL enable_seqscan = off")
            await conn.execute("SET LOCAL enable_sort = off")
            rows = await conn.fetch(f"EXPLAIN {sql}", *args)
    finally:
        await conn.close()
    return "\n".join(r[0] for r in rows)


@pytest.mark.parametrize(
    ("criteria", "field", "index"),
    [
        (TicketQueue(now=START), "CREATED_AT", "ix_tickets_created"),
        (TicketQueue(now=START, due_before=START), "DUE_AT", "ix_tickets_next_due"),
        (TicketQueue(now=START, assignee="agent.q"), "CREATED_AT", "ix_tickets_assignee_created"),
        (TicketQueue(now=START, queue=QUEUE), "CREATED_AT", "ix_tickets_queue_created"),
        (TicketQueue(now=START), "PRIORITY", "ix_tickets_priority"),
    ],
)
async def test_ticket_lists_walk_an_index(
    settings: Settings, criteria: TicketQueue, field: str, index: str
) -> None:
    sql, args = ticket_queue.statement(criteria, sort_of(ticket_queue.SORTS, field, None), 21, None)
    plan = await _plan(settings, sql, args)
    assert index in plan, plan
    assert "Sort" not in plan.replace("Sort Key", ""), plan


async def test_the_breached_view_uses_its_indexes(settings: Settings) -> None:
    sql, args = ticket_queue.statement(
        TicketQueue(now=START, breached=True), sort_of(ticket_queue.SORTS, "DUE_AT", None), 21, None
    )
    plan = await _plan(settings, sql, args)
    assert "ix_tickets_next_due" in plan, plan


@pytest.mark.parametrize(
    ("field", "index"), [("PLACED_AT", "ix_orders_placed"), ("TOTAL", "ix_orders_total")]
)
async def test_order_lists_walk_an_index(settings: Settings, field: str, index: str) -> None:
    sql, args = order_queue.statement(OrderQueue(), sort_of(order_queue.SORTS, field, None), 21, None)
    plan = await _plan(settings, sql, args)
    assert index in plan, plan


ORDERS = """query($f: OrderFilter, $o: OrderOrder, $first: Int!, $after: String) {
  orders(filter: $f, orderBy: $o, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id total status channel businessUnit } } }"""


@pytest.fixture(scope="module")
async def store_orders(pg: asyncpg.Connection) -> list[tuple[int, str, str, str, float]]:
    """What the root orders list should answer for cancelled or refunded store and app orders, computed apart from
    the API."""
    rows = await pg.fetch(
        "SELECT id, status, channel, business_unit, total FROM orders.orders WHERE channel IN ('store', 'app')"
        " AND status IN ('cancelled', 'refunded') ORDER BY total, id"
    )
    assert len(rows) > 5
    return [(r["id"], r["status"], r["channel"], r["business_unit"], float(r["total"])) for r in rows]


async def test_the_orders_list_sorts_filters_and_pages(api: Api, store_orders: list[Any]) -> None:
    seen: list[tuple[int, str, str, str, float]] = []
    after = None
    for _ in range(100):
        found = (
            await api.data(
                ORDERS,
                f={"status": ["CANCELLED", "REFUNDED"], "channel": ["STORE", "APP"]},
                o={"field": "TOTAL", "direction": "ASC"},
                first=3,
                after=after,
            )
        )["orders"]
        assert found["totalCount"] == len(store_orders)
        seen += [
            (int(n["id"]), n["status"].lower(), n["channel"].lower(), n["businessUnit"], float(n["total"]))
            for n in found["nodes"]
        ]
        if not found["pageInfo"]["hasNextPage"]:
            break
        after = found["pageInfo"]["endCursor"]
    assert seen == store_orders
    newest = (await api.data(ORDERS, first=3))["orders"]["nodes"]
    assert len(newest) == 3


async def test_the_orders_list_keeps_to_the_callers_units(
    api: Api, pg: asyncpg.Connection, store_orders: list[Any]
) -> None:
    retail = auth.headers(("agent",), c360_business_units=["retail"])
    found = (await api.data(ORDERS, retail, first=100))["orders"]
    expected = await pg.fetchval("SELECT count(*) FROM orders.orders WHERE business_unit = 'retail'")
    assert found["totalCount"] == expected
    assert {n["businessUnit"] for n in found["nodes"]} == {"retail"}


async def test_a_caller_limited_to_an_account_sees_its_contacts_tickets_only(
    api: Api, pg: asyncpg.Connection
) -> None:
    admin = auth.headers(("admin",))
    account = (await api.data('mutation { createAccount(input: {name: "Queue Scope Ltd"}) { id } }', admin))[
        "createAccount"
    ]["id"]
    await api.data(
        "mutation($c: ID!, $a: ID!) { addAccountContact(input: {customerId: $c, accountId: $a}) { changed } }",
        admin,
        c=fixtures.LI_LEI,
        a=account,
    )
    rep = auth.headers(("agent",), c360_accounts=[account])
    found = (await api.data(LIST, rep, first=100))["tickets"]
    theirs = await pg.fetch(
        "SELECT id FROM tickets.tickets WHERE customer_id = $1 ORDER BY created_at DESC, id DESC",
        fixtures.LI_LEI,
    )
    assert [int(e["node"]["id"]) for e in found["edges"]] == [r["id"] for r in theirs]
    assert found["totalCount"] == len(theirs)
    orders = (await api.data(ORDERS, rep, first=100))["orders"]
    assert orders["totalCount"] == await pg.fetchval(
        "SELECT count(*) FROM orders.orders WHERE customer_id = $1", fixtures.LI_LEI
    )
