"""The service console in a real headless Chromium, on a real API server and WebSocket, offline: an agent signs in
with a development token, finds a customer by phone and by name, sees the 360 view and timeline, opens a ticket,
comments, changes its status, logs a call, and sees the page change by itself when another agent moves the ticket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from playwright.async_api import Page, Request, Route, async_playwright, expect

from app import create_app
from core.settings import Settings
from tests import auth
from tests.identity.test_ingest import phone, record, unique
from tests.servers import free_port, serving

CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
WAIT = 20_000
INGEST = """mutation($r: [SourceRecordInput!]!) { ingestSourceRecords(records: $r) { results { status
  customer { id } } } }"""
LOOKUP = "query($p: String!) { customerByIdentifier(type: PHONE, value: $p) { id fullName } }"


@pytest.fixture(scope="module")
async def api_url(settings: Settings) -> AsyncIterator[str]:
    async with serving(create_app(settings), free_port(), ws="websockets-sansio") as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> str:
    assert CHROMIUM.exists(), f"{CHROMIUM} missing: run scripts/bootstrap.sh (it installs Debian's chromium)"
    return str(CHROMIUM)


@pytest.fixture(scope="module")
async def caller(api_url: str) -> dict[str, str]:
    """A customer of this test's own, ingested as a source system would: their phone, name and id."""
    digits, family = phone(), unique("Console")
    given = record(
        "crm", unique("CS"), [("PHONE", digits)], given_name="Mei", family_name=family, city="Suzhou"
    )
    async with httpx.AsyncClient(base_url=api_url, headers=auth.headers(), timeout=30) as http:
        await http.post("/graphql", json={"query": INGEST, "variables": {"r": [given]}})
        for _ in range(150):  # the relay resolves the record shortly after it is acknowledged
            found = (await http.post("/graphql", json={"query": LOOKUP, "variables": {"p": digits}})).json()
            customer = found["data"]["customerByIdentifier"]
            if customer is not None:
                return {"phone": digits, "name": customer["fullName"], "id": customer["id"], "family": family}
            await asyncio.sleep(0.2)
    raise AssertionError("the ingested customer never appeared")


async def _ticket_id(page: Page, subject: str) -> str:
    row = page.locator("#tickets tbody tr", has_text=subject)
    await expect(row).to_have_count(1, timeout=WAIT)
    ticket: str = await row.get_attribute("data-ticket") or ""
    return ticket


async def test_an_agent_works_a_call_in_the_console(
    api_url: str, chromium: str, caller: dict[str, str], pg: asyncpg.Connection
) -> None:
    elsewhere: list[str] = []
    sockets: list[str] = []
    crashes: list[str] = []
    errors: list[str] = []

    async def local_only(route: Route, request: Request) -> None:
        """Behave like a machine without internet: anything not on loopback is counted and refused."""
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            elsewhere.append(request.url)
            await route.abort("internetdisconnected")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium)
        try:
            page = await browser.new_page()
            await page.route("**/*", local_only)
            page.on("websocket", lambda ws: sockets.append(ws.url))
            page.on("pageerror", lambda error: crashes.append(str(error)))
            page.on("console", lambda m: errors.extend([m.text] if m.type == "error" else []))

            await page.goto(f"{api_url}/console")
            assert await page.title() == "Customer 360 · Service console"
            await page.fill("#token", auth.dev_token(("agent",), subject="agent.console"))
            await page.click("#sign-in-form button")
            await expect(page.locator("#who")).to_contain_text("agent.console (agent)")

            # Find the caller by the number they call from, written the way they say it.
            digits = caller["phone"]
            await page.select_option("#search-by", "phone")
            await page.fill("#search", f"{digits[:3]} {digits[3:7]} {digits[7:]}")
            await page.click("#search-form button")
            await expect(page.locator("#name")).to_have_text(caller["name"], timeout=WAIT)
            await expect(page.locator("#facts")).to_contain_text("Suzhou")
            await expect(page.locator("#identifiers")).to_contain_text(f"phone: +86{digits}")
            await expect(page.locator("#live")).to_be_visible(timeout=WAIT)

            # Open a ticket, comment on it, take it up, log the call.
            await page.click("#new-ticket summary")
            await page.fill("#ticket-subject", "Blender does not start")
            await page.fill("#ticket-description", "Bought last week; no light at all.")
            await page.select_option("#ticket-priority", "HIGH")
            await page.click("#ticket-form button")
            ticket = await _ticket_id(page, "Blender does not start")
            await expect(page.locator("#ticket-status")).to_have_text("NEW", timeout=WAIT)
            await page.fill("#comment", "Asked for the receipt.")
            await page.check("#comment-public")
            await page.click("#comment-form button")
            await expect(page.locator("#timeline")).to_contain_text(
                "Ticket commented: Blender does not start", timeout=WAIT
            )
            await page.click('[data-move="OPEN"]')
            await expect(page.locator("#ticket-status")).to_have_text("OPEN", timeout=WAIT)
            await page.click("#log-call summary")
            await page.fill("#call-summary", "Walked through a reset")
            await page.fill("#call-minutes", "6")
            await page.click("#call-form button")
            await expect(page.locator('#timeline [data-kind="INTERACTION"]').first).to_contain_text(
                "Call", timeout=WAIT
            )

            # Another agent moves the ticket: the page shows it without being asked.
            other = auth.headers(("agent",), subject="agent.colleague")
            async with httpx.AsyncClient(base_url=api_url, headers=other, timeout=30) as http:
                moved = (
                    await http.post(
                        "/graphql",
                        json={
                            "query": "mutation($i: TransitionTicketInput!) { transitionTicket(input: $i) { ticket { status } } }",
                            "variables": {"i": {"ticketId": ticket, "to": "PENDING"}},
                        },
                    )
                ).json()
            assert moved["data"]["transitionTicket"]["ticket"]["status"] == "PENDING"
            await expect(page.locator("#ticket-status")).to_have_text("PENDING", timeout=WAIT)
            await expect(
                page.locator(f'#tickets tr[data-ticket="{ticket}"] [data-field="status"]')
            ).to_have_text("PENDING")

            # The same customer by name.
            await page.select_option("#search-by", "name")
            await page.fill("#search", caller["family"])
            await page.click("#search-form button")
            await expect(page.locator(f'#results [data-customer="{caller["id"]}"]')).to_have_count(
                1, timeout=WAIT
            )
        finally:
            await browser.close()

    assert elsewhere == [], "requests left the machine"
    # WebSockets to this API only: one per customer opened (the search by name opens the same customer again).
    assert sockets
    assert set(sockets) == {f"{api_url.replace('http', 'ws', 1)}/graphql"}
    assert crashes == []
    assert errors == []
    history: list[Any] = await pg.fetch(
        "SELECT kind, actor FROM tickets.ticket_events WHERE ticket_id = $1 ORDER BY id", int(ticket)
    )
    assert [(r["kind"], r["actor"]) for r in history] == [
        ("opened", "agent.console"),
        ("commented", "agent.console"),
        ("status_changed", "agent.console"),
        ("status_changed", "agent.colleague"),
    ]
    call = await pg.fetchrow(
        "SELECT kind, duration_seconds, ticket_id, logged_by FROM interactions.interactions"
        " WHERE customer_id = $1::uuid ORDER BY id DESC LIMIT 1",
        caller["id"],
    )
    assert tuple(call.values()) == ("call", 360, int(ticket), "agent.console")
