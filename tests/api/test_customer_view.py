"""The customer-360 view through /graphql returns exactly the stored data."""

from __future__ import annotations

from decimal import Decimal

from tests import fixtures
from tests.conftest import GraphQL

CUSTOMER_360 = """
query($id: ID!) {
  customer(id: $id) {
    id fullName givenName familyName gender birthDate city region countryCode loyaltyTier loyaltyPoints status
    identifiers { type value source }
    orders(first: 10) {
      edges { cursor node { id status total placedAt items { sku quantity unitPrice lineTotal } customer { id } } }
      pageInfo { hasNextPage hasPreviousPage }
    }
    lifetimeValue orderCount lastOrderAt openTicketCount
    tickets { id subject status comments { author body } customer { fullName } }
    openTickets: tickets(status: [OPEN, PENDING]) { id }
    interactions(first: 2) { nodes { id kind summary payload customer { id } } pageInfo { hasNextPage endCursor } }
  }
}
"""


async def test_customer_360_returns_the_fixture_data(gql: GraphQL) -> None:
    data = await gql.data(CUSTOMER_360, id=fixtures.LI_LEI)
    c = data["customer"]
    assert (c["id"], c["fullName"], c["givenName"], c["familyName"]) == (fixtures.LI_LEI, "李雷", "雷", "李")
    assert (c["gender"], c["birthDate"], c["city"], c["region"], c["countryCode"]) == (
        "MALE",
        "1990-05-17",
        "Hangzhou",
        "Zhejiang",
        "CN",
    )
    assert (c["loyaltyTier"], c["loyaltyPoints"], c["status"]) == ("GOLD", 4200, "ACTIVE")
    assert {(i["type"], i["value"], i["source"]) for i in c["identifiers"]} == {
        ("PHONE", "+8613800138000", "crm"),
        ("EMAIL", "li.lei@example.com", "ecommerce"),
        ("WECHAT_UNIONID", "o6_bLiLeiUnion", "wechat"),
        ("WECHAT_OPENID", "wxAPP1/oXLiLeiOpen", "wechat"),
        ("CRM_ID", "CRM-LI-1", "crm"),
    }
    orders = [edge["node"] for edge in c["orders"]["edges"]]
    assert [o["id"] for o in orders] == ["900003", "900002", "900001"]  # newest first
    assert [o["status"] for o in orders] == ["CANCELLED", "PAID", "DELIVERED"]
    assert orders[1]["items"] == [
        {"sku": "SKU-B", "quantity": 1, "unitPrice": "200.50", "lineTotal": "200.50"},
        {"sku": "SKU-C", "quantity": 2, "unitPrice": "25.00", "lineTotal": "50.00"},
    ]
    assert all(o["customer"]["id"] == fixtures.LI_LEI for o in orders)
    assert c["orders"]["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": False}
    # Cancelled orders count as orders but not as revenue.
    assert Decimal(c["lifetimeValue"]) == Decimal("350.50")
    assert c["orderCount"] == 3
    assert c["lastOrderAt"].startswith("2026-10-06T09:00:00")
    assert c["openTicketCount"] == 1
    assert [(t["id"], t["status"]) for t in c["tickets"]] == [("800001", "OPEN"), ("800002", "CLOSED")]
    assert c["tickets"][0]["comments"] == [
        {"author": "customer", "body": "Where is my refund?"},
        {"author": "agent.chen", "body": "Refund issued."},
    ]
    assert c["tickets"][0]["customer"]["fullName"] == "李雷"
    assert c["openTickets"] == [{"id": "800001"}]
    timeline = c["interactions"]
    assert [(n["id"], n["kind"]) for n in timeline["nodes"]] == [
        ("700003", "STORE_VISIT"),
        ("700002", "WECHAT_MESSAGE"),
    ]
    assert timeline["nodes"][0]["payload"] == {"n": 700003}
    assert timeline["pageInfo"]["hasNextPage"] is True


async def test_nested_pages_follow_their_cursors(gql: GraphQL) -> None:
    query = """query($id: ID!, $after: String) { customer(id: $id) {
      interactions(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage hasPreviousPage endCursor } } } }"""
    first = (await gql.data(query, id=fixtures.LI_LEI))["customer"]["interactions"]
    second = (await gql.data(query, id=fixtures.LI_LEI, after=first["pageInfo"]["endCursor"]))["customer"][
        "interactions"
    ]
    assert [n["id"] for n in second["nodes"]] == ["700001"]
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True


async def test_order_filters_by_status_and_date(gql: GraphQL) -> None:
    query = """query($id: ID!) { customer(id: $id) {
      paid: orders(status: [PAID, DELIVERED]) { nodes { id } }
      recent: orders(since: "2026-10-05T00:00:00+00:00") { nodes { id } } } }"""
    c = (await gql.data(query, id=fixtures.LI_LEI))["customer"]
    assert [n["id"] for n in c["paid"]["nodes"]] == ["900002", "900001"]
    assert [n["id"] for n in c["recent"]["nodes"]] == ["900003"]


async def test_root_order_ticket_and_interaction(gql: GraphQL) -> None:
    data = await gql.data("""{
      order(id: "900002") { total customer { fullName lifetimeValue } }
      ticket(id: "800001") { subject slaBreached customer { id } }
      interaction(id: "700001") { summary customer { city } } }""")
    assert data["order"] == {"total": "250.50", "customer": {"fullName": "李雷", "lifetimeValue": "350.50"}}
    # Opened 2026-10-07 with a 24-hour SLA and still open: breached.
    assert data["ticket"] == {
        "subject": "Refund request",
        "slaBreached": True,
        "customer": {"id": fixtures.LI_LEI},
    }
    assert data["interaction"] == {"summary": "Asked about delivery", "customer": {"city": "Hangzhou"}}


async def test_customer_without_orders_has_zero_summaries(gql: GraphQL) -> None:
    data = await gql.data(
        """query($id: ID!) { customer(id: $id) {
      fullName lifetimeValue orderCount lastOrderAt openTicketCount tickets { id } orders { nodes { id } } } }""",
        id=fixtures.EMMA,
    )
    assert data["customer"] == {
        "fullName": "Emma Smith",
        "lifetimeValue": "0.00",
        "orderCount": 0,
        "lastOrderAt": None,
        "openTicketCount": 0,
        "tickets": [],
        "orders": {"nodes": []},
    }
