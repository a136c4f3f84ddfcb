"""Orders from source systems on real PostgreSQL: ingestOrders (customer by any identifier, created, replaced or
unchanged per (system, external id), refusals per order), status updates forward only, lifetime value and order
count following, one outbox event per change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

from tests import auth
from tests.conftest import NewCustomers
from tests.tickets.conftest import START, Api

SOURCE = auth.headers(("integration",), subject="ecommerce-connector")
INGEST = """mutation($o: [IngestOrderInput!]!) { ingestOrders(orders: $o) { results {
  system externalId outcome error { code message } order { id status customer { id } items { sku quantity } } } } }"""
ADMIN = auth.headers(("admin",))
STATUS = """mutation($i: UpdateOrderStatusInput!) { updateOrderStatus(input: $i) {
  changed previousStatus order { id status } } }"""
SUMMARY = (
    "query($id: ID!) { customer(id: $id) { lifetimeValue orderCount orders(first: 5) { nodes { id } } } }"
)


def order(external: str, customer: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "system": "shop",
        "externalId": external,
        "customer": customer,
        "channel": "ONLINE",
        "placedAt": "2026-11-20T08:00:00+00:00",
        "items": [{"sku": "SKU-1", "name": "Teapot", "quantity": 2, "unitPrice": "35.50"}],
        "shipping": "10.00",
        **fields,
    }


async def _summary(api: Api, customer: str) -> tuple[Decimal, int, list[str]]:
    found = (await api.data(SUMMARY, ADMIN, id=customer))["customer"]
    return Decimal(found["lifetimeValue"]), found["orderCount"], [n["id"] for n in found["orders"]["nodes"]]


async def _amounts(api: Api, order_id: str) -> tuple[str, str, str]:
    found = (
        await api.data("query($id: ID!) { order(id: $id) { subtotal total status } }", ADMIN, id=order_id)
    )["order"]
    return found["subtotal"], found["total"], found["status"]


async def _outbox(pg: asyncpg.Connection) -> int:
    count: int = await pg.fetchval("SELECT count(*) FROM orders.outbox")
    return count


async def test_orders_are_received_once_and_summaries_follow(
    api: Api, pg: asyncpg.Connection, customers: NewCustomers
) -> None:
    api.clock.set(START)
    (customer,) = await customers.take(1)
    by_id = {"id": customer}
    events = await _outbox(pg)
    batch = [
        order("A-1", by_id),
        order("A-2", by_id, placedAt="2026-11-21T08:00:00+00:00", discount="5.00", status="PAID"),
        order("A-3", {"identifierType": "PHONE", "identifierValue": "13700000001"}),  # no such customer
        order("A-4", by_id, items=[{"sku": "SKU-2", "name": "Cup", "quantity": 0, "unitPrice": "1.00"}]),
    ]
    results = (await api.data(INGEST, SOURCE, o=batch))["ingestOrders"]["results"]
    assert [(r["externalId"], r["outcome"]) for r in results] == [
        ("A-1", "CREATED"),
        ("A-2", "CREATED"),
        ("A-3", "REJECTED"),
        ("A-4", "REJECTED"),
    ]
    assert [r["error"]["code"] if r["error"] else None for r in results] == [
        None,
        None,
        "NOT_FOUND",
        "BAD_USER_INPUT",
    ]
    first, second = results[0]["order"], results[1]["order"]
    assert await _amounts(api, first["id"]) == ("71.00", "81.00", "PENDING")
    assert await _amounts(api, second["id"]) == ("71.00", "76.00", "PAID")  # 5 off, 10 shipping
    assert first["customer"] == {"id": customer}
    assert await _outbox(pg) == events + 2
    assert await _summary(api, customer) == (Decimal("157.00"), 2, [second["id"], first["id"]])

    again = (await api.data(INGEST, SOURCE, o=batch[:2]))["ingestOrders"]["results"]
    assert [r["outcome"] for r in again] == ["UNCHANGED", "UNCHANGED"]
    assert [r["order"]["id"] for r in again] == [first["id"], second["id"]]
    assert await _outbox(pg) == events + 2

    changed = order(
        "A-1", by_id, items=[{"sku": "SKU-9", "name": "Kettle", "quantity": 1, "unitPrice": "99.00"}]
    )
    replaced = (await api.data(INGEST, SOURCE, o=[changed]))["ingestOrders"]["results"][0]
    assert (replaced["outcome"], replaced["order"]["id"]) == ("UPDATED", first["id"])
    assert await _amounts(api, first["id"]) == ("99.00", "109.00", "PENDING")
    assert replaced["order"]["items"] == [{"sku": "SKU-9", "quantity": 1}]
    assert await _summary(api, customer) == (Decimal("185.00"), 2, [second["id"], first["id"]])
    kinds = await pg.fetch(
        "SELECT kind, payload->>'outcome' AS outcome FROM orders.outbox ORDER BY id DESC LIMIT 3"
    )
    assert [(r["kind"], r["outcome"]) for r in kinds] == [
        ("order.ingested", "updated"),
        ("order.ingested", "created"),
        ("order.ingested", "created"),
    ]


async def test_status_updates_move_forward_only(
    api: Api, pg: asyncpg.Connection, customers: NewCustomers
) -> None:
    (customer,) = await customers.take(1)
    created = (await api.data(INGEST, SOURCE, o=[order("S-1", {"id": customer})]))["ingestOrders"]["results"][
        0
    ]
    assert created["outcome"] == "CREATED"

    async def move(status: str) -> dict[str, Any]:
        found: dict[str, Any] = (
            await api.data(STATUS, SOURCE, i={"system": "shop", "externalId": "S-1", "status": status})
        )["updateOrderStatus"]
        return found

    events = await _outbox(pg)
    assert await move("PAID") == {
        "changed": True,
        "previousStatus": "PENDING",
        "order": {"id": created["order"]["id"], "status": "PAID"},
    }
    assert (await move("PAID"))["changed"] is False  # the same update again
    assert (await move("SHIPPED"))["order"]["status"] == "SHIPPED"
    late = await move("PAID")  # arrived after the shipment: stale
    assert (late["changed"], late["order"]["status"]) == (False, "SHIPPED")
    assert await _summary(api, customer) == (Decimal("81.00"), 1, [created["order"]["id"]])
    assert (await move("REFUNDED"))["changed"] is True
    assert await _summary(api, customer) == (
        Decimal("0.00"),
        1,
        [created["order"]["id"]],
    )  # refunds are not revenue
    assert await _outbox(pg) == events + 3
    refused = await api.error(
        STATUS, SOURCE, i={"system": "shop", "externalId": "S-1", "status": "CANCELLED"}
    )
    assert refused["extensions"]["code"] == "INVALID_TRANSITION"
    assert refused["extensions"]["allowed"] == []
    missing = await api.error(STATUS, SOURCE, i={"system": "shop", "externalId": "nope", "status": "PAID"})
    assert missing["extensions"]["code"] == "NOT_FOUND"
    assert await _outbox(pg) == events + 3


async def test_a_batch_that_is_too_long_or_repeats_an_order_is_refused(
    api: Api, customers: NewCustomers
) -> None:
    (customer,) = await customers.take(1)
    twice = [order("D-1", {"id": customer}), order("D-1", {"id": customer})]
    results = (await api.data(INGEST, SOURCE, o=twice))["ingestOrders"]["results"]
    assert [r["outcome"] for r in results] == ["CREATED", "REJECTED"]
    too_many = [order(f"M-{n}", {"id": customer}) for n in range(201)]
    assert (await api.error(INGEST, SOURCE, o=too_many))["extensions"]["code"] == "BAD_USER_INPUT"
    agent = await api.error(INGEST, auth.headers(("agent",)), o=[order("X-1", {"id": customer})])
    assert agent["extensions"]["code"] == "FORBIDDEN"
