"""logInteraction on real PostgreSQL: the interaction lands on its customer (found by any identifier), linked to a
ticket of theirs, with who logged it, one outbox event and a change notice; replays change nothing."""

from __future__ import annotations

import json

import asyncpg

from tests import auth, fixtures
from tests.conftest import NewCustomers
from tests.tickets.conftest import START, Api, key

LOG = """mutation($i: LogInteractionInput!) { logInteraction(input: $i) { replayed interaction {
  id kind channel occurredAt summary payload businessUnit durationSeconds ticketId loggedBy customer { id } } } }"""


async def test_a_call_is_logged_on_the_caller_found_by_phone(api: Api, pg: asyncpg.Connection) -> None:
    api.clock.set(START)
    ticket = (await api.create(fixtures.LI_LEI, subject="Wrong colour"))["ticket"]["id"]
    outbox = await pg.fetchval("SELECT count(*) FROM interactions.outbox")
    given = {
        "customer": {"identifierType": "PHONE", "identifierValue": "+86 138 0013 8000"},
        "kind": "CALL",
        "channel": "call_center",
        "summary": "Wants to exchange the scarf",
        "durationSeconds": 312,
        "payload": {"line": "hotline-2"},
        "ticketId": ticket,
        "idempotencyKey": key(),
    }
    logged = (await api.data(LOG, i=given))["logInteraction"]
    interaction = logged["interaction"]
    assert logged["replayed"] is False
    assert interaction["customer"] == {"id": fixtures.LI_LEI}
    assert (interaction["kind"], interaction["channel"], interaction["durationSeconds"]) == (
        "CALL",
        "call_center",
        312,
    )
    assert (interaction["ticketId"], interaction["loggedBy"], interaction["businessUnit"]) == (
        ticket,
        "agent.li",
        "service",
    )
    assert interaction["occurredAt"] == START.isoformat()
    assert interaction["payload"] == {"line": "hotline-2"}
    latest = await api.data(
        "query($id: ID!) { customer(id: $id) { interactions(first: 1) { nodes { id } } } }",
        id=fixtures.LI_LEI,
    )
    assert latest["customer"]["interactions"]["nodes"] == [{"id": interaction["id"]}]
    event = await pg.fetchrow("SELECT kind, payload FROM interactions.outbox ORDER BY id DESC LIMIT 1")
    assert await pg.fetchval("SELECT count(*) FROM interactions.outbox") == outbox + 1
    assert event["kind"] == "interaction.logged"
    assert json.loads(event["payload"])["interaction"] == int(interaction["id"])

    again = (await api.data(LOG, i=given))["logInteraction"]
    assert again == {**logged, "replayed": True}
    assert await pg.fetchval("SELECT count(*) FROM interactions.outbox") == outbox + 1


async def test_an_interaction_at_another_time_without_a_ticket(api: Api, customers: NewCustomers) -> None:
    (customer,) = await customers.take(1)
    visit = {
        "customer": {"id": customer},
        "kind": "STORE_VISIT",
        "channel": "ST001",
        "summary": "Tried on shoes",
        "occurredAt": "2026-11-01T06:30:00+00:00",
        "businessUnit": "retail",
    }
    logged = (await api.data(LOG, i=visit))["logInteraction"]["interaction"]
    assert (logged["occurredAt"], logged["ticketId"], logged["durationSeconds"], logged["payload"]) == (
        "2026-11-01T06:30:00+00:00",
        None,
        None,
        {},
    )


async def test_what_cannot_be_logged_is_refused_and_changes_nothing(
    api: Api, pg: asyncpg.Connection, customers: NewCustomers
) -> None:
    (customer, other) = await customers.take(2)
    theirs = (await api.create(other))["ticket"]["id"]
    base = {"customer": {"id": customer}, "kind": "CALL", "summary": "x"}
    before = await pg.fetchval("SELECT count(*) FROM interactions.interactions")
    for change, code in (
        ({"ticketId": theirs}, "NOT_FOUND"),  # another customer's ticket
        ({"ticketId": "999999999"}, "NOT_FOUND"),
        ({"durationSeconds": -1}, "BAD_USER_INPUT"),
        ({"summary": "  "}, "BAD_USER_INPUT"),
        ({"payload": [1, 2]}, "BAD_USER_INPUT"),
        ({"businessUnit": "retail"}, "FORBIDDEN"),
    ):
        headers = auth.headers(("agent",), c360_business_units=["service"]) if code == "FORBIDDEN" else None
        error = await api.error(LOG, headers, i={**base, **change})
        assert error["extensions"]["code"] == code, change
    assert await pg.fetchval("SELECT count(*) FROM interactions.interactions") == before
    reused = {**base, "idempotencyKey": key()}
    await api.data(LOG, i=reused)
    assert (await api.error(LOG, i={**reused, "summary": "y"}))["extensions"][
        "code"
    ] == "IDEMPOTENCY_KEY_REUSED"
