"""Subgraph endpoints: federated traces (ftv1) only there and only when asked; one subgraph per process."""

from __future__ import annotations

import base64

import asyncpg
import httpx

from core.settings import Settings
from tests import fixtures
from tests.servers import in_process

QUERY = {
    "query": "query($id: ID!) { customer(id: $id) { orderCount } }",
    "variables": {"id": fixtures.LI_LEI},
}
QUERY_ORDERS = {"query": '{ order(id: "900001") { id total } }'}
ASK = {"apollo-federation-include-trace": "ftv1"}


async def test_subgraph_traces_when_asked(client: httpx.AsyncClient) -> None:
    body = (await client.post("/subgraphs/orders/graphql", json=QUERY_ORDERS, headers=ASK)).json()
    assert body["data"] == {"order": {"id": "900001", "total": "100.00"}}
    trace = base64.b64decode(body["extensions"]["ftv1"])
    assert len(trace) > 20  # a protobuf Trace with start/end times and the root's field nodes
    assert b"order" in trace


async def test_subgraph_does_not_trace_unasked(client: httpx.AsyncClient) -> None:
    body = (await client.post("/subgraphs/orders/graphql", json=QUERY_ORDERS)).json()
    assert "extensions" not in body


async def test_unified_api_never_traces(client: httpx.AsyncClient, pg: asyncpg.Connection) -> None:
    body = (await client.post("/graphql", json=QUERY, headers=ASK)).json()
    assert body["data"]["customer"]["orderCount"] == await orders_of(pg, fixtures.LI_LEI)
    assert "extensions" not in body


async def test_one_subgraph_alone(settings: Settings) -> None:
    """A federated deployment serves one subgraph per process: only its endpoint exists."""
    async with in_process(settings, subgraph="tickets") as http:
        body = (
            await http.post(
                "/subgraphs/tickets/graphql", json={"query": '{ ticket(id: "800001") { subject } }'}
            )
        ).json()
        assert body == {"data": {"ticket": {"subject": "Refund request"}}}
        assert (await http.post("/graphql", json=QUERY)).status_code == 404
        assert (await http.post("/subgraphs/orders/graphql", json=QUERY_ORDERS)).status_code == 404


async def orders_of(pg: asyncpg.Connection, customer_id: str) -> int:
    """Orders stored under a customer's id and the ids merged into it (other tests may merge into it)."""
    count: int = await pg.fetchval(
        "SELECT count(*) FROM orders.orders WHERE customer_id = $1::uuid OR customer_id IN"
        " (SELECT alias_id FROM profiles.customer_aliases WHERE customer_id = $1::uuid)",
        customer_id,
    )
    return count
