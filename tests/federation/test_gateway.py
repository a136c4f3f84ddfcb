"""A real gateway (Hive Gateway) in front of the five subgraph endpoints answers exactly like the unified API."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from app import create_app
from c360 import federation
from core.metrics import ROUND_TRIPS
from core.settings import Settings
from tests import auth, fixtures
from tests.federation.test_endpoints import orders_of
from tests.servers import free_port, serving

CUSTOMER_360 = """query($id: ID!) { customer(id: $id) {
  id fullName gender birthDate loyaltyTier
  identifiers { type value source }
  lifetimeValue orderCount lastOrderAt openTicketCount
  orders(first: 5) { nodes { id status total items { sku quantity lineTotal } customer { fullName } } }
  tickets(status: [OPEN, PENDING]) { id subject status comments { author body } }
  interactions(first: 5) { nodes { kind occurredAt summary } }
  household { name members { role customer { fullName } } }
  accounts { title account { name lifetimeValue openTicketCount ancestors { name } } }
  referredBy { referrer { fullName } }
} }"""

LIST = """query($first: Int!) { customers(first: $first) { totalCount nodes {
  id fullName lifetimeValue openTicketCount
  orders(first: 3) { nodes { id total } }
  interactions(first: 2) { nodes { kind } }
  household { memberCount }
  accounts { account { name lifetimeValue } }
} } }"""


@pytest.fixture(scope="module")
async def api_url(settings: Settings) -> AsyncIterator[str]:
    """The app served over loopback HTTP in this event loop, so the gateway can reach its subgraph endpoints. The
    gateway sends a plan's subgraph calls at once: the in-flight bound does not shrink with the event loop's lag,
    which a busy machine would make it do (shedding is tested in tests/web)."""
    steady = settings.model_copy(update={"shed_loop_lag": 0.0})
    async with serving(create_app(steady), free_port()) as url:
        yield url


@pytest.fixture(scope="module")
async def gateway(settings: Settings, api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    composition = federation.compose(settings, url_base=api_url)
    assert composition.ok, composition.apollo_errors + composition.guild_errors
    assert composition.supergraph_sdl is not None
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        supergraph = Path(workdir) / "supergraph.graphql"
        supergraph.write_text(composition.supergraph_sdl)
        # The gateway forwards the caller's bearer token: each subgraph verifies it itself.
        (Path(workdir) / "gateway.config.mjs").write_text(
            "export const gatewayConfig = { propagateHeaders: { fromClientToSubgraphs: ({ request }) => "
            '({ authorization: request.headers.get("authorization") ?? "" }) } };\n'
        )
        process = await asyncio.create_subprocess_exec(
            str(federation.node_tools() / "node_modules" / ".bin" / "hive-gateway"),
            "supergraph",
            str(supergraph),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            cwd=workdir,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "NODE_ENV": "production"},
        )
        try:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", timeout=30, headers=auth.headers()
            ) as client:
                for _ in range(600):
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get("/healthcheck")).status_code == 200:
                            break
                    assert process.returncode is None, "hive-gateway exited"
                    await asyncio.sleep(0.1)
                else:
                    pytest.fail("hive-gateway did not become ready within 60 s")
                yield client
        finally:
            process.terminate()
            await process.wait()


async def _post(client: httpx.AsyncClient, url: str, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post(url, json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    return body


async def test_gateway_and_unified_api_return_the_same_customer_360(
    gateway: httpx.AsyncClient, api_url: str, pg: asyncpg.Connection
) -> None:
    through_gateway = await _post(gateway, "/graphql", CUSTOMER_360, id=fixtures.LI_LEI)
    async with httpx.AsyncClient(timeout=30, headers=auth.headers()) as direct:
        unified = await _post(direct, f"{api_url}/graphql", CUSTOMER_360, id=fixtures.LI_LEI)
    assert through_gateway == unified
    assert through_gateway["data"]["customer"]["fullName"] == "李雷"
    stored = await orders_of(pg, fixtures.LI_LEI)
    assert len(through_gateway["data"]["customer"]["orders"]["nodes"]) == min(stored, 5)


async def test_gateway_and_unified_api_return_the_same_list(gateway: httpx.AsyncClient, api_url: str) -> None:
    through_gateway = await _post(gateway, "/graphql", LIST, first=40)
    async with httpx.AsyncClient(timeout=30, headers=auth.headers()) as direct:
        unified = await _post(direct, f"{api_url}/graphql", LIST, first=40)
    assert through_gateway == unified
    assert any(n["accounts"] for n in unified["data"]["customers"]["nodes"])


async def test_entity_fetches_through_the_gateway_are_batched(gateway: httpx.AsyncClient) -> None:
    """The gateway sends each subgraph one `_entities` call per plan step; it costs the same for 5 as for 40."""
    query = """query($first: Int!) { customers(first: $first) { nodes {
      fullName lifetimeValue openTicketCount orders(first: 3) { nodes { total } } household { memberCount } } } }"""
    counts = []
    for first in (5, 40):
        sql, cypher = ROUND_TRIPS.snapshot()
        body = await _post(gateway, "/graphql", query, first=first)
        assert len(body["data"]["customers"]["nodes"]) == first
        counts.append((ROUND_TRIPS.sql - sql, ROUND_TRIPS.cypher - cypher))
    # profiles page and its audit record (the names); orders: stats + pages (one `_entities` call); tickets: open
    # counts; relationships: households; orders and tickets each ask which ids were merged into the customers (their
    # records count as theirs): one statement each
    assert counts[0] == counts[1] == (7, 1)
