"""The API on a fixed clock for the ticket tests, with helpers that call it as a given principal."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from core.settings import Settings
from tests import auth
from tests.clock import FixedClock, utc
from tests.servers import in_process

START = utc(2026, 11, 23, 1, 0)  # a Monday, 09:00 in Shanghai
AGENT = auth.headers(("agent",), subject="agent.li")
TICKET_FIELDS = """id status priority channel subject assignee queue businessUnit resolvedAt
  customer { id } sla { firstResponseDueAt firstRespondedAt resolutionDueAt paused remainingSeconds breached }"""
PAYLOAD = f"""ticket {{ {TICKET_FIELDS} }}
  event {{ id kind actor at fromStatus toStatus fromPriority toPriority assignee queue ticketId }}
  comment {{ id author body internal }} replayed"""
CREATE = f"mutation($i: CreateTicketInput!) {{ createTicket(input: $i) {{ {PAYLOAD} }} }}"
COMMENT = f"mutation($i: AddTicketCommentInput!) {{ addTicketComment(input: $i) {{ {PAYLOAD} }} }}"
ASSIGN = f"mutation($i: AssignTicketInput!) {{ assignTicket(input: $i) {{ {PAYLOAD} }} }}"
TRANSITION = f"mutation($i: TransitionTicketInput!) {{ transitionTicket(input: $i) {{ {PAYLOAD} }} }}"
PRIORITY = f"mutation($i: ChangeTicketPriorityInput!) {{ changeTicketPriority(input: $i) {{ {PAYLOAD} }} }}"
_keys = itertools.count()


def key() -> str:
    return f"test-key-{next(_keys)}"


class Api:
    """Calls as a principal (an agent by default), answering data or the one error."""

    def __init__(self, http: httpx.AsyncClient, clock: FixedClock) -> None:
        self.http = http
        self.clock = clock

    async def body(
        self, query: str, headers: dict[str, str] | None = None, **variables: Any
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers or AGENT
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, headers: dict[str, str] | None = None, **variables: Any
    ) -> dict[str, Any]:
        body = await self.body(query, headers, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def error(
        self, query: str, headers: dict[str, str] | None = None, **variables: Any
    ) -> dict[str, Any]:
        body = await self.body(query, headers, **variables)
        assert len(body.get("errors") or []) == 1, body
        error: dict[str, Any] = body["errors"][0]
        return error

    async def create(
        self, customer: str, *, headers: dict[str, str] | None = None, **fields: Any
    ) -> dict[str, Any]:
        given = {
            "customer": {"id": customer},
            "channel": "PHONE",
            "subject": "Parcel not delivered",
            **fields,
        }
        found: dict[str, Any] = (await self.data(CREATE, headers, i=given))["createTicket"]
        return found

    async def move(self, ticket: str, to: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        found: dict[str, Any] = (await self.data(TRANSITION, headers, i={"ticketId": ticket, "to": to}))[
            "transitionTicket"
        ]
        return found


@pytest.fixture(scope="module")
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(scope="module")
async def api(settings: Settings, clock: FixedClock) -> AsyncIterator[Api]:
    async with in_process(settings, headers={}, clock=clock) as http:
        yield Api(http, clock)


async def ticket_state(pg: asyncpg.Connection, ticket: str) -> tuple[Any, ...]:
    """Everything a ticket write could change about one ticket, and the outbox's size."""
    row = await pg.fetchrow("SELECT * FROM tickets.tickets WHERE id = $1", int(ticket))
    counts = await pg.fetchrow(
        "SELECT (SELECT count(*) FROM tickets.ticket_events WHERE ticket_id = $1) e,"
        " (SELECT count(*) FROM tickets.ticket_comments WHERE ticket_id = $1) c,"
        " (SELECT count(*) FROM tickets.outbox) o, (SELECT count(*) FROM tickets.idempotency_keys) k",
        int(ticket),
    )
    return (tuple(row.values()) if row else None, *counts.values())
