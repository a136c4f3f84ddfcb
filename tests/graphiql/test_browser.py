"""GraphiQL in a real headless Chromium, on the real API: it loads without internet and runs the examples."""

from __future__ import annotations

import json
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
from tests.identity.test_ingest import INGEST
from tests.servers import free_port, serving
from web.ide import ASSETS, EXAMPLES

CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
async def api_url(settings: Settings) -> AsyncIterator[str]:
    async with serving(create_app(settings), free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium; a missing browser fails the test (nothing downloads one)."""
    assert CHROMIUM.exists(), f"{CHROMIUM} missing: run scripts/bootstrap.sh (it installs Debian's chromium)"
    return str(CHROMIUM)


async def result_pane(page: Page) -> dict[str, Any]:
    """The whole JSON the result pane shows (CodeMirror draws only the visible lines, so ask the editor)."""
    pane = page.locator(".result-window .CodeMirror")
    await expect(pane).to_contain_text('"data"', timeout=20_000)
    text: str = await pane.evaluate("element => element.CodeMirror.getValue()")
    result: dict[str, Any] = json.loads(text)
    return result


BROWSER_USER = auth.headers(("agent",), subject="graphiql-user")
"""The token the browser's user pastes; answers are compared with the API's to the same caller."""


async def use_token(page: Page) -> None:
    """What the README tells a newcomer: put the development token in GraphiQL's Headers editor."""
    await page.locator(".graphiql-editor-tools button", has_text="Headers").click()
    editor = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
    await expect(editor).to_be_visible()
    value = json.dumps(BROWSER_USER)
    await editor.evaluate("(element, value) => element.CodeMirror.setValue(value)", value)
    # The schema was fetched before the token was there (401): fetch it again once GraphiQL has taken the
    # headers in (it reads the editor after a short debounce), a bounded number of times.
    for _ in range(40):
        async with page.expect_response(
            lambda r: r.url.endswith("/graphql") and r.request.method == "POST"
        ) as got:
            await page.get_by_label("Re-fetch GraphQL schema").click()
        if (await got.value).status == 200:
            return
        await page.wait_for_timeout(250)
    pytest.fail("GraphiQL never sent the token from its Headers editor")


EXAMPLE_PHONE = "+8618151465010"
"""The README's lookup by phone (a customer of the demo data): the test database gets one of its own."""


async def ingest_example_customer(api_url: str) -> None:
    """A source record carrying the example's phone, as a source system sends it (idempotent on re-runs)."""
    record = {
        "system": "crm",
        "externalId": "graphiql-example",
        "observedAt": "2026-01-05T10:00:00Z",
        "attributes": {"givenName": "Xiaoming", "familyName": "Zhou"},
        "identifiers": [{"type": "PHONE", "value": "181 5146 5010"}],
    }
    async with httpx.AsyncClient(
        base_url=api_url, headers=auth.headers(("integration",)), timeout=120
    ) as http:
        body = (
            await http.post("/graphql", json={"query": INGEST, "variables": {"records": [record]}})
        ).json()
    assert body["data"]["ingestSourceRecords"]["results"][0]["status"] in {"CREATED", "UNCHANGED"}, body


async def test_graphiql_runs_examples_without_internet(
    api_url: str, chromium: str, pg: asyncpg.Connection
) -> None:
    assert EXAMPLE_PHONE[3:] in "".join(c for c in EXAMPLES[1] if c.isdigit())
    await ingest_example_customer(api_url)
    local: list[str] = []
    elsewhere: list[str] = []
    errors: list[str] = []
    crashes: list[str] = []

    async def local_only(route: Route, request: Request) -> None:
        """Behave like a machine without internet: anything not on loopback is counted and refused."""
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            local.append(urlsplit(request.url).path)
            await route.continue_()
        else:
            elsewhere.append(request.url)
            await route.abort("internetdisconnected")

    def websocket(url: str) -> None:
        (local if urlsplit(url).hostname in LOCAL_HOSTS else elsewhere).append(url)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium)
        try:
            page = await browser.new_page()
            await page.route("**/*", local_only)
            page.on("websocket", lambda ws: websocket(ws.url))
            page.on("pageerror", lambda error: crashes.append(str(error)))
            page.on(
                "console", lambda message: errors.extend([message.text] if message.type == "error" else [])
            )

            await page.goto(f"{api_url}/graphql")
            assert await page.title() == "Customer 360 · GraphiQL"
            query_editor = page.locator(".graphiql-query-editor .CodeMirror")
            await expect(query_editor).to_contain_text("query CustomersWithOpenTickets", timeout=20_000)
            tabs = page.locator(".graphiql-tab")
            await expect(tabs).to_have_count(len(EXAMPLES))

            await use_token(page)
            await page.locator(".graphiql-execute-button").click()
            shown = await result_pane(page)
            async with httpx.AsyncClient(base_url=api_url, timeout=30, headers=BROWSER_USER) as http:
                answer = (await http.post("/graphql", json={"query": EXAMPLES[0]})).json()
            assert shown == answer
            customers = shown["data"]["customers"]
            open_tickets = await pg.fetchval(
                "SELECT count(*) FROM profiles.customers c WHERE EXISTS (SELECT 1 FROM tickets.tickets t"
                " WHERE t.customer_id = c.id AND t.status IN ('new', 'open', 'pending'))"
            )
            assert customers["totalCount"] == open_tickets > 0
            assert all(node["fullName"] and node["openTicketCount"] > 0 for node in customers["nodes"])

            await tabs.nth(1).click()
            await expect(query_editor).to_contain_text("query CustomerByPhone")
            # GraphiQL reads the operation's name a moment after the editor changes; run once it has.
            await page.wait_for_function(
                "() => document.querySelector('.graphiql-query-editor .CodeMirror')"
                ".CodeMirror.operationName === 'CustomerByPhone'"
            )
            await use_token(page)
            await query_editor.click()
            await page.keyboard.press("Control+Enter")
            await expect(page.locator(".result-window")).to_contain_text("customerByIdentifier")
            shown = await result_pane(page)
            owner = await pg.fetchval(
                "SELECT c.full_name FROM profiles.customer_identifiers i"
                " JOIN profiles.customers c ON c.id = i.customer_id WHERE i.key = $1",
                f"phone:{EXAMPLE_PHONE}",
            )
            assert owner is not None
            assert shown == {"data": {"customerByIdentifier": {"fullName": owner}}}

            # Same origin, other schema: the subgraph's page keeps its own tabs.
            await page.goto(f"{api_url}/subgraphs/orders/graphql")
            await expect(query_editor).to_contain_text("query SubgraphSDL", timeout=20_000)
        finally:
            await browser.close()

    assert elsewhere == [], "requests left the machine"
    assert {f"/graphiql/assets/{name}" for name in ASSETS} <= set(local)
    # The console reports only the schema fetches GraphiQL sent before it had the token (401); the page never
    # threw, and every query ran with the token (checked above).
    assert errors
    assert all("401 (Unauthorized)" in error for error in errors), errors
    assert crashes == []
