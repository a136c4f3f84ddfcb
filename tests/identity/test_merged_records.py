"""Records under a merged-away id: orders, tickets and interactions recorded for a customer that is later merged
into another show under the survivor everywhere (lists, summaries, timeline, open-ticket filter, edges from the
records), and go back with the customer when it is split off again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conftest import GraphQL
from tests.identity.test_ingest import ingest, phone, record, unique

VIEW = """query($id: ID!) { customer(id: $id) { id lifetimeValue orderCount openTicketCount
  orders(first: 20) { nodes { id } } tickets { id } interactions(first: 20) { nodes { id } }
  timeline(first: 50) { nodes { kind orderId ticketId interactionId status } } } }"""
ORDERS = (
    "mutation($o: [IngestOrderInput!]!) { ingestOrders(orders: $o) { results { outcome order { id } } } }"
)
TICKET = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }"
LOG = "mutation($i: LogInteractionInput!) { logInteraction(input: $i) { interaction { id } } }"
UNMERGE = "mutation($i: UnmergeCustomerInput!) { unmergeCustomer(input: $i) { customers { id } } }"
OPEN_FILTER = """query($name: String!) { customers(first: 10, filter: {hasOpenTickets: true, name: $name}) {
  totalCount nodes { id } } }"""


async def _order(gql: GraphQL, customer: str, total: str) -> str:
    given = {
        "system": "merge-test",
        "externalId": unique("MO"),
        "customer": {"id": customer},
        "channel": "ONLINE",
        "placedAt": "2026-11-02T08:00:00+00:00",
        "items": [{"sku": "M", "name": "Vase", "quantity": 1, "unitPrice": total}],
        "status": "PAID",
    }
    result = (await gql.data(ORDERS, o=[given]))["ingestOrders"]["results"][0]
    assert result["outcome"] == "CREATED"
    order_id: str = result["order"]["id"]
    return order_id


def _summary(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": view["id"],
        "value": Decimal(view["lifetimeValue"]),
        "orders": sorted(n["id"] for n in view["orders"]["nodes"]),
        "orderCount": view["orderCount"],
        "tickets": sorted(t["id"] for t in view["tickets"]),
        "open": view["openTicketCount"],
        "interactions": sorted(n["id"] for n in view["interactions"]["nodes"]),
        "timeline": sorted(
            (n["kind"], n["orderId"] or n["ticketId"] or n["interactionId"] or n["status"])
            for n in view["timeline"]["nodes"]
        ),
    }


async def test_records_follow_their_customer_through_merge_and_split(gql: GraphQL) -> None:
    p, email, family = phone(), f"{unique('merged')}@shop.cn", unique("Hebing")
    # The first observed survives the merge (survivorship prefers the earlier record).
    a_rec = record("crm", unique("MR"), [("PHONE", p)], given_name="An", family_name=family,
                   observedAt="2026-09-01T00:00:00+00:00")  # fmt: skip
    c_rec = record("wechat", unique("MR"), [("EMAIL", email)], given_name="Cai", family_name=family,
                   observedAt="2026-09-02T00:00:00+00:00")  # fmt: skip
    bridge = record(
        "pos", unique("MR"), [("PHONE", p), ("EMAIL", email)], observedAt="2026-10-03T00:00:00+00:00"
    )
    a = (await ingest(gql, a_rec))["results"][0]["customer"]["id"]
    c = (await ingest(gql, c_rec))["results"][0]["customer"]["id"]

    a_order = await _order(gql, a, "30.00")
    c_order = await _order(gql, c, "12.50")
    by_email = {"identifierType": "EMAIL", "identifierValue": email}
    c_ticket = (
        await gql.data(TICKET, i={"customer": by_email, "channel": "EMAIL", "subject": "Chipped vase"})
    )["createTicket"]["ticket"]["id"]
    c_call = (await gql.data(LOG, i={"customer": {"id": c}, "kind": "CALL", "summary": "About the vase"}))[
        "logInteraction"
    ]["interaction"]["id"]
    alone = {
        a: _summary((await gql.data(VIEW, id=a))["customer"]),
        c: _summary((await gql.data(VIEW, id=c))["customer"]),
    }
    assert alone[a]["orders"] == [a_order]
    assert (alone[c]["orders"], alone[c]["tickets"], alone[c]["interactions"]) == (
        [c_order],
        [c_ticket],
        [c_call],
    )
    assert (await gql.data(OPEN_FILTER, name=family))["customers"]["nodes"] == [{"id": c}]

    merged = (await ingest(gql, bridge))["results"][0]
    assert (merged["status"], merged["customer"]["id"], merged["mergedCustomerIds"]) == ("MERGED", a, [c])
    survivor = _summary((await gql.data(VIEW, id=a))["customer"])
    assert survivor["value"] == Decimal("42.50")
    assert (survivor["orders"], survivor["orderCount"]) == (sorted([a_order, c_order]), 2)
    assert (survivor["tickets"], survivor["open"], survivor["interactions"]) == ([c_ticket], 1, [c_call])
    assert ("ORDER", c_order) in survivor["timeline"]
    assert ("TICKET_EVENT", c_ticket) in survivor["timeline"]
    assert ("INTERACTION", c_call) in survivor["timeline"]
    assert ("IDENTITY_EVENT", "MERGE") in survivor["timeline"]
    # The merged-away id answers as the survivor; the records point at the survivor; the filter sees it.
    assert _summary((await gql.data(VIEW, id=c))["customer"]) == survivor
    edges = await gql.data(
        "query($o: ID!, $t: ID!) { order(id: $o) { customer { id } } ticket(id: $t) { customer { id } } }",
        o=c_order,
        t=c_ticket,
    )
    assert edges == {"order": {"customer": {"id": a}}, "ticket": {"customer": {"id": a}}}
    assert (await gql.data(OPEN_FILTER, name=family))["customers"] == {"totalCount": 1, "nodes": [{"id": a}]}

    split = await gql.data(
        UNMERGE, i={"customerId": a, "sourceRecords": [{"system": "pos", "externalId": bridge["externalId"]}]}
    )
    assert [x["id"] for x in split["unmergeCustomer"]["customers"]][:2] == [a, c]
    after = {
        a: _summary((await gql.data(VIEW, id=a))["customer"]),
        c: _summary((await gql.data(VIEW, id=c))["customer"]),
    }
    for customer in (a, c):
        # Back as they were, but for the identity events the merge and the split left on their timelines.
        kept = [e for e in after[customer]["timeline"] if e[0] != "IDENTITY_EVENT"]
        assert {**after[customer], "timeline": kept} == {
            **alone[customer],
            "timeline": [e for e in alone[customer]["timeline"] if e[0] != "IDENTITY_EVENT"],
        }
    assert (await gql.data(OPEN_FILTER, name=family))["customers"]["nodes"] == [{"id": c}]
