"""Ticket writes on real PostgreSQL: the state machine (every legal move works, every illegal one answers
INVALID_TRANSITION and changes nothing), idempotent replays, the actor of every change, one outbox event per write,
and the SLA clocks as the ticket moves."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest

from core import events
from core.settings import Settings
from subgraphs.tickets.workflow import STATUSES, TRANSITIONS
from tests import auth, fixtures
from tests.conftest import NewCustomers
from tests.tickets.conftest import (
    ASSIGN,
    COMMENT,
    CREATE,
    PRIORITY,
    START,
    TRANSITION,
    Api,
    key,
    ticket_state,
)

PATHS = {
    "new": [],
    "open": ["OPEN"],
    "pending": ["OPEN", "PENDING"],
    "resolved": ["OPEN", "RESOLVED"],
    "closed": ["OPEN", "RESOLVED", "CLOSED"],
}
"""How a new ticket reaches each status."""


async def test_a_ticket_opened_by_phone_number_lands_on_its_customer(
    api: Api, pg: asyncpg.Connection
) -> None:
    api.clock.set(START)
    outbox_before = await pg.fetchval("SELECT count(*) FROM tickets.outbox")
    created = (
        await api.data(
            CREATE,
            i={
                "customer": {"identifierType": "PHONE", "identifierValue": "138-0013-8000"},
                "channel": "WECHAT",
                "subject": "Refund not received",
                "description": "Paid on the 3rd, nothing yet.",
                "priority": "URGENT",
                "queue": "billing",
                "idempotencyKey": key(),
            },
        )
    )["createTicket"]
    ticket = created["ticket"]
    assert ticket["customer"] == {"id": fixtures.LI_LEI}
    assert (
        ticket["status"],
        ticket["priority"],
        ticket["channel"],
        ticket["queue"],
        ticket["businessUnit"],
    ) == (
        "NEW",
        "URGENT",
        "WECHAT",
        "billing",
        "service",
    )
    # The policy's WeChat override: 15 minutes to answer; 4 hours to resolve, around the clock.
    assert ticket["sla"]["firstResponseDueAt"] == "2026-11-23T01:15:00+00:00"
    assert ticket["sla"]["resolutionDueAt"] == "2026-11-23T05:00:00+00:00"
    event = created["event"]
    assert (event["kind"], event["actor"], event["at"], event["toStatus"], event["queue"]) == (
        "OPENED",
        "agent.li",
        "2026-11-23T01:00:00+00:00",
        "NEW",
        "billing",
    )
    assert created["replayed"] is False
    last = await pg.fetchrow("SELECT kind, aggregate, payload FROM tickets.outbox ORDER BY id DESC LIMIT 1")
    assert await pg.fetchval("SELECT count(*) FROM tickets.outbox") == outbox_before + 1
    assert (last["kind"], last["aggregate"]) == ("ticket.opened", "ticket")
    payload = json.loads(last["payload"])
    assert payload["ticket"] == int(ticket["id"])
    assert payload["actor"] == "agent.li"
    assert payload["customers"] == [fixtures.LI_LEI]


async def test_an_unknown_customer_or_identifier_is_refused(api: Api) -> None:
    by_phone = {"identifierType": "PHONE", "identifierValue": "13700000000"}
    error = await api.error(CREATE, i={"customer": by_phone, "channel": "PHONE", "subject": "x"})
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert "13700000000" not in error["message"]
    missing = {"id": "00000000-0000-4000-8000-00000000beef"}
    assert (await api.error(CREATE, i={"customer": missing, "channel": "PHONE", "subject": "x"}))[
        "extensions"
    ]["code"] == "NOT_FOUND"
    both = {"id": fixtures.LI_LEI, "identifierType": "PHONE", "identifierValue": "13800138000"}
    assert (await api.error(CREATE, i={"customer": both, "channel": "PHONE", "subject": "x"}))["extensions"][
        "code"
    ] == "BAD_USER_INPUT"
    bad = {"identifierType": "PHONE", "identifierValue": "not a phone"}
    assert (await api.error(CREATE, i={"customer": bad, "channel": "PHONE", "subject": "x"}))["extensions"][
        "code"
    ] == "INVALID_IDENTIFIER"
    blank = {"customer": {"id": fixtures.LI_LEI}, "channel": "PHONE", "subject": "   "}
    assert (await api.error(CREATE, i=blank))["extensions"]["code"] == "BAD_USER_INPUT"


async def _ticket_in(api: Api, customer: str, status: str) -> str:
    ticket: str = (await api.create(customer))["ticket"]["id"]
    for step in PATHS[status]:
        await api.move(ticket, step)
    return ticket


@pytest.mark.parametrize("start", STATUSES)
async def test_every_transition_of_the_state_machine(
    api: Api, pg: asyncpg.Connection, customers: NewCustomers, start: str
) -> None:
    """From each status, every legal move works and every other answers INVALID_TRANSITION, changing nothing."""
    api.clock.set(START)
    (customer,) = await customers.take(1)
    for to in STATUSES:
        ticket = await _ticket_in(api, customer, start)
        api.clock.advance(minutes=5)
        if to in TRANSITIONS[start]:
            moved = await api.move(ticket, to.upper())
            assert moved["ticket"]["status"] == to.upper()
            assert (moved["event"]["kind"], moved["event"]["fromStatus"], moved["event"]["toStatus"]) == (
                "STATUS_CHANGED",
                start.upper(),
                to.upper(),
            )
            assert moved["event"]["actor"] == "agent.li"
            continue
        before = await ticket_state(pg, ticket)
        error = await api.error(TRANSITION, i={"ticketId": ticket, "to": to.upper(), "idempotencyKey": key()})
        assert error["extensions"]["code"] == "INVALID_TRANSITION"
        allowed = [s.upper() for s in TRANSITIONS[start]]
        assert error["extensions"]["allowed"] == allowed
        assert (error["extensions"]["from"], error["extensions"]["to"]) == (start.upper(), to.upper())
        for name in allowed:
            assert name in error["message"]
        assert await ticket_state(pg, ticket) == before


async def test_reopening_works_only_within_the_window(api: Api, customers: NewCustomers) -> None:
    (customer,) = await customers.take(1)
    api.clock.set(START)
    ticket = await _ticket_in(api, customer, "resolved")
    api.clock.advance(days=6, hours=23)
    assert (await api.move(ticket, "OPEN"))["ticket"]["status"] == "OPEN"
    await api.move(ticket, "RESOLVED")
    api.clock.advance(days=7, minutes=1)
    error = await api.error(TRANSITION, i={"ticketId": ticket, "to": "OPEN"})
    assert error["extensions"]["code"] == "INVALID_TRANSITION"
    assert error["extensions"]["allowed"] == ["CLOSED"]
    assert "7 days after resolution" in error["message"]


async def test_a_replay_answers_the_first_result_and_changes_nothing(
    api: Api, pg: asyncpg.Connection, customers: NewCustomers
) -> None:
    (customer,) = await customers.take(1)
    api.clock.set(START)
    create = {
        "customer": {"id": customer},
        "channel": "EMAIL",
        "subject": "Wrong size",
        "idempotencyKey": key(),
    }
    first = (await api.data(CREATE, i=create))["createTicket"]
    ticket = first["ticket"]["id"]
    before = await ticket_state(pg, ticket)
    again = (await api.data(CREATE, i=create))["createTicket"]
    assert again["replayed"] is True
    assert again["ticket"] == first["ticket"]
    assert again["event"] == first["event"]
    assert await ticket_state(pg, ticket) == before
    assert await pg.fetchval("SELECT count(*) FROM tickets.tickets WHERE customer_id = $1", customer) == 1

    # The same key for other input is refused; another caller's key of the same name is theirs.
    error = await api.error(CREATE, i={**create, "subject": "Another subject"})
    assert error["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    other = auth.headers(("agent",), subject="agent.wu")
    theirs = (await api.data(CREATE, other, i=create))["createTicket"]
    assert theirs["ticket"]["id"] != ticket
    assert theirs["event"]["actor"] == "agent.wu"

    # Every kind of change replays the same way.
    move = {"ticketId": ticket, "to": "OPEN", "idempotencyKey": key()}
    opened = (await api.data(TRANSITION, i=move))["transitionTicket"]
    moved = await ticket_state(pg, ticket)
    replay = (await api.data(TRANSITION, i=move))["transitionTicket"]
    assert replay["replayed"] is True
    assert replay["event"] == opened["event"]
    assert await ticket_state(pg, ticket) == moved
    # Without the key the same move is a new request, which the state machine refuses (it is OPEN already).
    assert (await api.error(TRANSITION, i={"ticketId": ticket, "to": "OPEN"}))["extensions"][
        "code"
    ] == "INVALID_TRANSITION"
    comment = {"ticketId": ticket, "body": "Checked the warehouse.", "idempotencyKey": key()}
    added = (await api.data(COMMENT, i=comment))["addTicketComment"]
    assert (await api.data(COMMENT, i=comment))["addTicketComment"]["comment"] == added["comment"]
    assert (
        await pg.fetchval("SELECT count(*) FROM tickets.ticket_comments WHERE ticket_id = $1", int(ticket))
        == 1
    )


async def test_comments_assignment_and_priority(
    api: Api, pg: asyncpg.Connection, customers: NewCustomers
) -> None:
    (customer,) = await customers.take(1)
    api.clock.set(START)
    ticket = (await api.create(customer, priority="NORMAL"))["ticket"]["id"]
    api.clock.advance(minutes=10)
    note = (await api.data(COMMENT, i={"ticketId": ticket, "body": "Called the courier."}))[
        "addTicketComment"
    ]
    assert note["comment"]["internal"] is True
    assert note["comment"]["author"] == "agent.li"
    assert note["ticket"]["sla"]["firstRespondedAt"] is None  # an internal note does not answer the customer
    api.clock.advance(minutes=10)
    reply = {"ticketId": ticket, "body": "Your parcel leaves today.", "internal": False}
    answered = (await api.data(COMMENT, i=reply))["addTicketComment"]
    assert answered["ticket"]["sla"]["firstRespondedAt"] == "2026-11-23T01:20:00+00:00"
    assert answered["event"]["kind"] == "COMMENTED"

    assigned = (await api.data(ASSIGN, i={"ticketId": ticket, "assignee": "agent.zhao"}))["assignTicket"]
    assert (assigned["ticket"]["assignee"], assigned["ticket"]["queue"]) == ("agent.zhao", None)
    queued = (await api.data(ASSIGN, i={"ticketId": ticket, "queue": "logistics"}))["assignTicket"]
    assert (queued["ticket"]["assignee"], queued["ticket"]["queue"]) == ("agent.zhao", "logistics")
    assert (queued["event"]["assignee"], queued["event"]["queue"]) == ("agent.zhao", "logistics")
    assert (await api.error(ASSIGN, i={"ticketId": ticket}))["extensions"]["code"] == "BAD_USER_INPUT"

    # NORMAL counts business hours (36 h: three 12-hour days from Monday 09:00); URGENT 4 h around the clock.
    assert answered["ticket"]["sla"]["resolutionDueAt"] == "2026-11-25T13:00:00+00:00"
    raised = (await api.data(PRIORITY, i={"ticketId": ticket, "priority": "URGENT"}))["changeTicketPriority"]
    assert raised["ticket"]["sla"]["resolutionDueAt"] == "2026-11-23T05:00:00+00:00"
    assert (raised["event"]["fromPriority"], raised["event"]["toPriority"]) == ("NORMAL", "URGENT")
    same = await api.error(PRIORITY, i={"ticketId": ticket, "priority": "URGENT"})
    assert same["extensions"]["code"] == "BAD_USER_INPUT"

    history = (await api.data("query($id: ID!) { ticket(id: $id) { history { kind actor } } }", id=ticket))[
        "ticket"
    ]["history"]
    assert [e["kind"] for e in history] == [
        "OPENED",
        "COMMENTED",
        "COMMENTED",
        "ASSIGNED",
        "ASSIGNED",
        "PRIORITY_CHANGED",
    ]
    assert {e["actor"] for e in history} == {"agent.li"}
    kinds = await pg.fetch(
        "SELECT kind FROM tickets.outbox WHERE (payload->>'ticket')::bigint = $1 ORDER BY id", int(ticket)
    )
    assert [r["kind"] for r in kinds] == [
        "ticket.opened",
        "ticket.commented",
        "ticket.commented",
        "ticket.assigned",
        "ticket.assigned",
        "ticket.priority_changed",
    ]


async def test_a_closed_ticket_takes_comments_only(api: Api, customers: NewCustomers) -> None:
    (customer,) = await customers.take(1)
    ticket = await _ticket_in(api, customer, "closed")
    assert (await api.error(ASSIGN, i={"ticketId": ticket, "queue": "x"}))["extensions"][
        "code"
    ] == "TICKET_CLOSED"
    assert (await api.error(PRIORITY, i={"ticketId": ticket, "priority": "LOW"}))["extensions"][
        "code"
    ] == "TICKET_CLOSED"
    assert (await api.data(COMMENT, i={"ticketId": ticket, "body": "Archived."}))["addTicketComment"][
        "comment"
    ]


async def test_pending_stops_the_clock_and_open_runs_it_on(api: Api, customers: NewCustomers) -> None:
    (customer,) = await customers.take(1)
    api.clock.set(START)
    ticket = (await api.create(customer, priority="HIGH"))["ticket"]["id"]  # 24 h around the clock
    await api.move(ticket, "OPEN")
    api.clock.advance(hours=2)
    waiting = (await api.move(ticket, "PENDING"))["ticket"]["sla"]
    assert waiting["paused"] is True
    assert waiting["resolutionDueAt"] is None
    assert waiting["remainingSeconds"] == 22 * 3600
    assert waiting["firstRespondedAt"] == "2026-11-23T03:00:00+00:00"  # asking the customer answers them
    assert waiting["breached"] is True  # but an hour late: HIGH is to be answered within an hour
    api.clock.advance(days=2)
    back = (await api.move(ticket, "OPEN"))["ticket"]["sla"]
    assert back["paused"] is False
    assert back["resolutionDueAt"] == "2026-11-26T01:00:00+00:00"  # 22 hours after the customer answered
    assert back["remainingSeconds"] == 22 * 3600


async def test_a_caller_limited_to_business_units_writes_only_in_them(
    api: Api, customers: NewCustomers
) -> None:
    (customer,) = await customers.take(1)
    retail = auth.headers(("agent",), subject="agent.store", c360_business_units=["retail"])
    error = await api.error(
        CREATE,
        retail,
        i={"customer": {"id": customer}, "channel": "STORE", "subject": "x", "businessUnit": "service"},
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    mine = await api.create(customer, headers=retail, businessUnit="retail", channel="STORE")
    assert mine["ticket"]["businessUnit"] == "retail"
    theirs = (await api.create(customer))["ticket"]["id"]  # the service desk's
    refused = await api.error(TRANSITION, retail, i={"ticketId": theirs, "to": "OPEN"})
    assert refused["extensions"]["code"] == "NOT_FOUND"  # out of scope looks exactly like absent
    absent = await api.error(TRANSITION, retail, i={"ticketId": "999999999", "to": "OPEN"})
    assert refused["message"].replace(theirs, "ID") == absent["message"].replace("999999999", "ID")


async def test_roles_without_ticket_writes_are_refused(api: Api, customers: NewCustomers) -> None:
    (customer,) = await customers.take(1)
    for role in ("sales", "marketing", "developer", "privacy"):
        error = await api.error(
            CREATE,
            auth.headers((role,)),
            i={"customer": {"id": customer}, "channel": "PHONE", "subject": "x"},
        )
        assert error["extensions"]["code"] == "FORBIDDEN"
    integration = auth.headers(("integration",), subject="service-desk")
    minimal = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { event { kind } } }"
    created = await api.data(
        minimal, integration, i={"customer": {"id": customer}, "channel": "WEB", "subject": "x"}
    )
    assert created == {"createTicket": {"event": {"kind": "OPENED"}}}


def test_paths_reach_every_status() -> None:
    for status, path in PATHS.items():
        current = "new"
        for step in path:
            assert step.lower() in TRANSITIONS[current]
            current = step.lower()
        assert current == status


async def test_each_write_announces_itself_when_it_commits(
    api: Api, settings: Settings, customers: NewCustomers
) -> None:
    """The change notice arrives on LISTEN with keys only, and its outbox event is applied when it commits."""
    (customer,) = await customers.take(1)
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(settings.dsn_for("tickets"))
    try:
        await listener.add_listener(events.CHANNEL, lambda *args: heard.put_nowait(args[3]))
        created = await api.create(customer, queue="returns")
        ticket = int(created["ticket"]["id"])
        notice = events.Notice.decode(await asyncio.wait_for(heard.get(), timeout=30))
        while notice.keys.get("ticket") != ticket:  # other tests' writes may come first
            notice = events.Notice.decode(await asyncio.wait_for(heard.get(), timeout=30))
        assert (notice.schema, notice.kind) == ("tickets", "ticket.opened")
        assert notice.keys == {
            "ticket": ticket,
            "event": int(created["event"]["id"]),
            "customers": [customer],
            "businessUnit": "service",
            "queue": "returns",
            "assignee": None,
        }
        assert notice.at == api.clock()
    finally:
        await listener.close()
    # The notice is the event's one consumer: the write marked it applied in the same statement, so no backlog
    # builds up and no relay has to claim it.
    pg = await asyncpg.connect(settings.dsn_for("tickets"))
    try:
        pending = await pg.fetchval(
            "SELECT count(*) FROM tickets.outbox WHERE applied_at IS NULL AND (payload->>'ticket')::bigint = $1",
            ticket,
        )
    finally:
        await pg.close()
    assert pending == 0
