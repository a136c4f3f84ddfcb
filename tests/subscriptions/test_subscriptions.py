"""Subscriptions over graphql-transport-ws with a real WebSocket client, on two API servers: events written through
one arrive at subscribers of the other; authentication on connection_init; roles, row scope and field policies per
event; fresh data per event; a subscriber that does not read holds up no one; disconnects clean up."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed

from app import create_app
from core.listener import Notices
from core.metrics import ROUND_TRIPS
from core.settings import Settings
from jobs import erasure
from tests import auth
from tests.conftest import NewCustomers
from tests.identity.test_ingest import phone, record, unique
from tests.servers import free_port, serving
from tests.subscriptions.client import WAIT, Socket, socket

AGENT = auth.dev_token(("agent",), subject="agent.sub")
TICKET_EVENTS = """subscription($f: TicketEventFilter) { ticketEvents(filter: $f) {
  kind toStatus actor ticket { id status queue } } }"""
CUSTOMER_EVENTS = """subscription($id: ID!) { customerEvents(customerId: $id) {
  kind customer { id } entry { kind title amount } ticketId orderId interactionId } }"""
CREATE = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }"
MOVE = "mutation($i: TransitionTicketInput!) { transitionTicket(input: $i) { ticket { status } } }"
ASSIGN = "mutation($i: AssignTicketInput!) { assignTicket(input: $i) { ticket { queue } } }"


@dataclass
class Apis:
    a: str
    """Where the tests subscribe."""
    b: str
    """Where the tests write: another API server, with its own pools and listeners."""
    a_app: FastAPI
    writer: httpx.AsyncClient

    @property
    def hub(self) -> Notices:
        notices: Notices | None = self.a_app.state.holder["sources"].notices
        assert notices is not None
        return notices

    async def write(self, query: str, **variables: Any) -> dict[str, Any]:
        body = (await self.writer.post("/graphql", json={"query": query, "variables": variables})).json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def ticket(self, customer: str, **fields: Any) -> str:
        given = {"customer": {"id": customer}, "channel": "PHONE", "subject": "Socket test", **fields}
        ticket_id: str = (await self.write(CREATE, i=given))["createTicket"]["ticket"]["id"]
        return ticket_id


@pytest.fixture(scope="module")
async def apis(settings: Settings) -> AsyncIterator[Apis]:
    a_app = create_app(settings)
    b_app = create_app(settings)
    async with (
        serving(a_app, free_port(), ws="websockets-sansio") as a,
        serving(b_app, free_port(), ws="websockets-sansio") as b,
        httpx.AsyncClient(
            base_url=b, headers=auth.headers(("admin",), subject="agent.b"), timeout=WAIT
        ) as writer,
    ):
        yield Apis(f"{a}/graphql", f"{b}/graphql", a_app, writer)


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for something the server does on its own (a subscription taking effect), bounded by a safety net."""
    for _ in range(int(WAIT / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def subscribed(apis: Apis, client: Socket, query: str, **variables: Any) -> str:
    """Subscribe and wait until the server listens for it (the protocol acknowledges no subscription)."""
    before = apis.hub.subscribers
    operation = await client.subscribe(query, **variables)
    await until(lambda: apis.hub.subscribers > before, "the subscription started")
    return operation


async def closed_with(client: Socket) -> int | None:
    try:
        while True:
            await client.receive()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None


async def test_a_connection_authenticates_on_connection_init(apis: Apis) -> None:
    async with socket(apis.a) as anonymous:
        await anonymous.send({"type": "connection_init", "payload": {}})
        assert await closed_with(anonymous) == 4403
    async with socket(apis.a) as forged:
        await forged.send({"type": "connection_init", "payload": {"Authorization": "Bearer not-a-token"}})
        assert await closed_with(forged) == 4403
    async with socket(apis.a) as early:
        await early.subscribe(TICKET_EVENTS)
        assert await closed_with(early) == 4401
    async with socket(apis.a, AGENT) as client:
        operation = await client.subscribe("{ __typename }")
        error = await client.next(operation)
        assert error["type"] == "error"
        assert error["payload"][0]["extensions"]["code"] == "BAD_REQUEST"  # queries go over HTTP


async def test_an_event_written_through_another_server_arrives_fresh(
    apis: Apis, customers: NewCustomers
) -> None:
    (customer,) = await customers.take(1)
    ticket = await apis.ticket(customer)
    async with socket(apis.a, AGENT) as client:
        operation = await subscribed(apis, client, TICKET_EVENTS, f={"ticketId": ticket})
        await apis.write(MOVE, i={"ticketId": ticket, "to": "OPEN"})
        first = await client.next(operation)
        assert first["type"] == "next"
        assert first["payload"]["data"]["ticketEvents"] == {
            "kind": "STATUS_CHANGED",
            "toStatus": "OPEN",
            "actor": "agent.b",
            "ticket": {"id": ticket, "status": "OPEN", "queue": None},
        }
        await apis.write(ASSIGN, i={"ticketId": ticket, "queue": "sockets"})
        await apis.write(MOVE, i={"ticketId": ticket, "to": "PENDING"})
        second = (await client.next(operation))["payload"]["data"]["ticketEvents"]
        third = (await client.next(operation))["payload"]["data"]["ticketEvents"]
        # Each event reads the ticket afresh: nothing of the first event's reading is kept.
        assert (second["kind"], second["ticket"]["queue"]) == ("ASSIGNED", "sockets")
        assert (third["kind"], third["ticket"]["status"]) == ("STATUS_CHANGED", "PENDING")


async def test_roles_and_rows_apply_to_every_event(apis: Apis, customers: NewCustomers) -> None:
    async with socket(apis.a, auth.dev_token(("sales",))) as sales:
        operation = await sales.subscribe(TICKET_EVENTS)
        refused = await sales.next(operation)
        assert refused["type"] == "error"
        assert [e["extensions"]["code"] for e in refused["payload"]] == ["FORBIDDEN"]
    (customer,) = await customers.take(1)
    service, retail = await apis.ticket(customer), await apis.ticket(customer, businessUnit="retail")
    store = auth.dev_token(("agent",), subject="agent.store", c360_business_units=["retail"])
    async with socket(apis.a, store) as scoped:
        operation = await subscribed(apis, scoped, TICKET_EVENTS, f={"queue": None})
        await apis.write(MOVE, i={"ticketId": service, "to": "OPEN"})  # out of its scope: never shown
        await apis.write(MOVE, i={"ticketId": retail, "to": "OPEN"})
        heard = (await scoped.next(operation))["payload"]["data"]["ticketEvents"]
        assert heard["ticket"]["id"] == retail


async def test_a_subscriber_that_does_not_read_holds_up_no_one(apis: Apis, customers: NewCustomers) -> None:
    (customer,) = await customers.take(1)
    ticket = await apis.ticket(customer)
    async with socket(apis.a, AGENT) as idle, socket(apis.a, AGENT) as reader:
        await subscribed(apis, idle, TICKET_EVENTS, f={"ticketId": ticket})  # never read below
        operation = await subscribed(apis, reader, TICKET_EVENTS, f={"ticketId": ticket})
        for n in range(12):
            await apis.write(ASSIGN, i={"ticketId": ticket, "queue": f"q{n}"})
        queues = [
            (await reader.next(operation))["payload"]["data"]["ticketEvents"]["ticket"]["queue"]
            for _ in range(12)
        ]
        # Each event is read when it is delivered: the last ones may already see a later queue; none is lost.
        assert queues[-1] == "q11"
        assert len(queues) == 12


async def test_disconnects_clean_up(apis: Apis) -> None:
    baseline = apis.hub.subscribers
    async with socket(apis.a, AGENT) as client:
        await subscribed(apis, client, TICKET_EVENTS)
        await subscribed(apis, client, TICKET_EVENTS, f={"queue": "other"})
        assert apis.hub.subscribers == baseline + 2
    await until(lambda: apis.hub.subscribers == baseline, "the subscriptions ended with the connection")
    async with socket(apis.a, AGENT) as client:
        operation = await subscribed(apis, client, TICKET_EVENTS)
        await client.complete(operation)
        await until(lambda: apis.hub.subscribers == baseline, "the completed subscription ended")


async def test_customer_events_follow_one_customer(
    apis: Apis, customers: NewCustomers, pg: asyncpg.Connection
) -> None:
    (customer,) = await customers.take(1)
    privacy = auth.dev_token(("privacy",), subject="privacy.officer")
    async with socket(apis.a, AGENT) as agent, socket(apis.a, privacy) as officer:
        mine = await subscribed(apis, agent, CUSTOMER_EVENTS, id=customer)
        theirs = await subscribed(apis, officer, CUSTOMER_EVENTS, id=customer)
        ticket = await apis.ticket(customer, subject="Broken lamp")
        event = (await agent.next(mine))["payload"]["data"]["customerEvents"]
        assert event == {
            "kind": "TICKET",
            "customer": {"id": customer},
            "entry": {"kind": "TICKET_EVENT", "title": "Ticket opened: Broken lamp", "amount": None},
            "ticketId": ticket,
            "orderId": None,
            "interactionId": None,
        }
        await apis.write(
            "mutation($o: [IngestOrderInput!]!) { ingestOrders(orders: $o) { results { outcome } } }",
            o=[{"system": "sockets", "externalId": unique("SO"), "customer": {"id": customer}, "channel": "ONLINE",
                "placedAt": "2026-11-20T08:00:00Z",
                "items": [{"sku": "L", "name": "Lamp", "quantity": 1, "unitPrice": "49.90"}]}],
        )  # fmt: skip
        order = (await agent.next(mine))["payload"]["data"]["customerEvents"]
        assert (order["kind"], order["entry"]["amount"]) == ("ORDER", "49.90")
        # The privacy officer hears the same events, but financial data is withheld from that role.
        assert (await officer.next(theirs))["payload"]["data"]["customerEvents"]["kind"] == "TICKET"
        withheld = (await officer.next(theirs))["payload"]
        assert (
            withheld["data"]["customerEvents"]["kind"],
            withheld["data"]["customerEvents"]["entry"]["amount"],
        ) == (
            "ORDER",
            None,
        )
        assert [e["extensions"]["code"] for e in withheld["errors"]] == ["FORBIDDEN"]
        await apis.write(
            "mutation($i: LogInteractionInput!) { logInteraction(input: $i) { interaction { id } } }",
            i={"customer": {"id": customer}, "kind": "CALL", "summary": "Asked about the lamp"},
        )
        call = (await agent.next(mine))["payload"]["data"]["customerEvents"]
        assert (call["kind"], call["entry"]["title"]) == ("INTERACTION", "Call")


async def test_each_event_showing_personal_data_is_audited(
    apis: Apis, customers: NewCustomers, pg: asyncpg.Connection
) -> None:
    (customer,) = await customers.take(1)
    subject = f"agent.audit.{uuid.uuid4().hex[:8]}"
    named = "subscription($id: ID!) { customerEvents(customerId: $id) { kind customer { fullName } } }"
    async with socket(apis.a, auth.dev_token(("agent",), subject=subject)) as client:
        operation = await subscribed(apis, client, named, id=customer)
        for n in range(2):
            await apis.ticket(customer, subject=f"Audit {n}")
            event = (await client.next(operation))["payload"]["data"]["customerEvents"]
            assert event == {"kind": "TICKET", "customer": {"fullName": "Ceshi Xiaoce"}}
    audited = await pg.fetch(
        "SELECT customer_ids, data_classes FROM profiles.audit_records WHERE subject = $1 ORDER BY id",
        subject,
    )
    assert [(list(map(str, r["customer_ids"])), list(r["data_classes"])) for r in audited] == [
        ([customer], ["contact_pii"]),
        ([customer], ["contact_pii"]),
    ]


async def test_a_merge_reaches_the_subscribers_of_the_customer(apis: Apis) -> None:
    p, email = phone(), f"{unique('sub')}@shop.cn"
    ingest = """mutation($r: [SourceRecordInput!]!) { ingestSourceRecords(records: $r) { results {
      status customer { id } } } }"""
    # Observed first, so it survives the merge (survivorship keeps the oldest customer).
    early = record("crm", unique("SB"), [("PHONE", p)], observedAt="2026-09-01T00:00:00+00:00")
    later = record("wechat", unique("SB"), [("EMAIL", email)], observedAt="2026-09-02T00:00:00+00:00")
    first = await apis.write(ingest, r=[early])
    survivor = first["ingestSourceRecords"]["results"][0]["customer"]["id"]
    other = await apis.write(ingest, r=[later])
    merged_away = other["ingestSourceRecords"]["results"][0]["customer"]["id"]
    async with socket(apis.a, AGENT) as client:
        operation = await subscribed(apis, client, CUSTOMER_EVENTS, id=merged_away)
        bridge = record("pos", unique("SB"), [("PHONE", p), ("EMAIL", email)])
        result = (await apis.write(ingest, r=[bridge]))["ingestSourceRecords"]["results"][0]
        assert (result["status"], result["customer"]["id"]) == ("MERGED", survivor)
        heard = (await client.next(operation))["payload"]["data"]["customerEvents"]
        # The merged-away customer's subscriber follows it into the survivor.
        assert (heard["kind"], heard["customer"]) == ("MERGE", {"id": survivor})


async def test_an_erasure_ends_the_subscriptions_of_the_customer(
    apis: Apis, owner_settings: Settings
) -> None:
    ingest = """mutation($r: [SourceRecordInput!]!) { ingestSourceRecords(records: $r) { results {
      customer { id } } } }"""
    made = await apis.write(ingest, r=[record("crm", unique("SE"), [("PHONE", phone())])])
    customer = made["ingestSourceRecords"]["results"][0]["customer"]["id"]
    async with socket(apis.a, AGENT) as client:
        operation = await subscribed(apis, client, CUSTOMER_EVENTS, id=customer)
        await apis.write(
            "mutation($c: ID!) { eraseCustomer(input: {customerId: $c}) { started } }", c=customer
        )
        heard = await client.next(operation)
        assert (heard["payload"]["data"]["customerEvents"]["kind"], heard["payload"]["data"]["customerEvents"]
                ["customer"]) == ("ERASED", None)  # fmt: skip
        assert (await client.next(operation))["type"] == "complete"
    await erasure.run(owner_settings, drain=True)  # the job's other steps, so that none is left pending


async def test_an_event_is_read_once_for_every_subscriber_with_the_same_rows(
    apis: Apis, customers: NewCustomers
) -> None:
    """Subscribers who may see the same rows share the event's reading (each still gets its own field policies): one
    event costs the same statements for one subscriber as for ten."""
    (customer,) = await customers.take(1)
    ticket = await apis.ticket(customer)
    costs = []
    for count in (1, 10):
        async with contextlib.AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(socket(apis.a, AGENT)) for _ in range(count)]
            operations = [await subscribed(apis, c, TICKET_EVENTS, f={"ticketId": ticket}) for c in clients]
            before = ROUND_TRIPS.sql
            await apis.write(ASSIGN, i={"ticketId": ticket, "queue": f"shared-{count}"})
            for client, operation in zip(clients, operations, strict=True):
                event = (await client.next(operation))["payload"]["data"]["ticketEvents"]
                assert event["ticket"]["queue"] == f"shared-{count}"
            costs.append(ROUND_TRIPS.sql - before)
    assert costs[0] == costs[1]
