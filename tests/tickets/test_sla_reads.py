"""A ticket's SLA state through the API on a fixed clock: breaches appear as the clock passes the due times, with
no write and no job in between."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import httpx
import pytest

from core.settings import Settings
from tests import fixtures
from tests.clock import FixedClock, utc
from tests.servers import in_process

CREATED = utc(2026, 11, 20, 2, 0)
TICKET = 810001
QUERY = """query($id: ID!) { ticket(id: $id) { slaDueAt slaBreached sla {
  firstResponseDueAt firstRespondedAt firstResponseBreached firstResponseRemainingSeconds
  resolutionDueAt resolutionBreached remainingSeconds paused breached breachedAt } } }"""


@pytest.fixture(scope="module")
async def ticket(pg: asyncpg.Connection) -> int:
    """An urgent phone ticket (around-the-clock targets: 30 minutes to answer, 4 hours to resolve)."""
    await pg.execute(
        "INSERT INTO tickets.tickets (id, customer_id, subject, description, status, priority, channel, assignee,"
        " created_at, updated_at, resolved_at, sla_due_at, first_response_due_at, business_unit)"
        " VALUES ($1, $2, 'No power', 'details', 'open', 'urgent', 'phone', NULL, $3, $3, NULL, $4, $5, 'service')"
        " ON CONFLICT (id) DO NOTHING",
        TICKET,
        uuid.UUID(fixtures.EMMA),
        CREATED,
        CREATED + timedelta(hours=4),
        CREATED + timedelta(minutes=30),
    )
    return TICKET


@pytest.fixture(scope="module")
def clock() -> FixedClock:
    return FixedClock(CREATED)


@pytest.fixture(scope="module")
async def api(settings: Settings, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(settings, clock=clock) as http:
        yield http


async def _sla(api: httpx.AsyncClient, ticket: int) -> dict[str, object]:
    body = (await api.post("/graphql", json={"query": QUERY, "variables": {"id": str(ticket)}})).json()
    assert "errors" not in body, body
    found: dict[str, object] = body["data"]["ticket"]
    return found


async def test_breaches_follow_the_clock(api: httpx.AsyncClient, clock: FixedClock, ticket: int) -> None:
    clock.set(CREATED + timedelta(minutes=29))
    early = await _sla(api, ticket)
    assert early["slaBreached"] is False
    assert early["slaDueAt"] == "2026-11-20T06:00:00+00:00"
    assert early["sla"] == {
        "firstResponseDueAt": "2026-11-20T02:30:00+00:00",
        "firstRespondedAt": None,
        "firstResponseBreached": False,
        "firstResponseRemainingSeconds": 60,
        "resolutionDueAt": "2026-11-20T06:00:00+00:00",
        "resolutionBreached": False,
        "remainingSeconds": 3 * 3600 + 31 * 60,
        "paused": False,
        "breached": False,
        "breachedAt": None,
    }
    clock.set(CREATED + timedelta(minutes=31))
    unanswered = await _sla(api, ticket)
    assert unanswered["slaBreached"] is True
    assert unanswered["sla"]["firstResponseBreached"] is True  # type: ignore[index]
    assert unanswered["sla"]["breachedAt"] == "2026-11-20T02:30:00+00:00"  # type: ignore[index]
    assert unanswered["sla"]["resolutionBreached"] is False  # type: ignore[index]
    clock.set(CREATED + timedelta(hours=5))
    late = (await _sla(api, ticket))["sla"]
    assert late["resolutionBreached"] is True  # type: ignore[index]
    assert late["remainingSeconds"] == -3600  # type: ignore[index]
    assert late["breachedAt"] == "2026-11-20T02:30:00+00:00"  # type: ignore[index]  # the earlier breach


async def test_existing_tickets_keep_their_resolution_target(
    api: httpx.AsyncClient, clock: FixedClock
) -> None:
    """Tickets from before first-response targets: only their resolution due time counts."""
    clock.set(fixtures.T0 + timedelta(days=6, hours=1))
    reading = await _sla(api, 800001)  # created at T0 + 6 days, due 24 hours later
    assert reading["sla"]["firstResponseDueAt"] is None  # type: ignore[index]
    assert reading["sla"]["firstResponseBreached"] is False  # type: ignore[index]
    assert reading["slaBreached"] is False
    clock.set(fixtures.T0 + timedelta(days=8))
    assert (await _sla(api, 800001))["slaBreached"] is True
