"""A data source that is down costs only the fields that need it, with a coded error; the rest still answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.settings import Settings
from tests import fixtures
from tests.conftest import GraphQL
from tests.servers import free_port, in_process


@pytest.fixture(scope="module")
async def outage(settings: Settings) -> AsyncIterator[GraphQL]:
    """The real profiles and tickets databases, with orders and Neo4j pointing at ports where nothing listens."""
    port = free_port()  # nothing listens there
    broken = settings.model_copy(
        update={
            "subgraph_dsns": {"orders": f"postgresql://postgres@127.0.0.1:{port}/nowhere"},
            "neo4j_uri": f"bolt://127.0.0.1:{port}",
        }
    )
    async with in_process(broken) as http:
        yield GraphQL(http)


async def test_outage_is_reported_per_field(outage: GraphQL) -> None:
    body = await outage(
        """query($id: ID!) { customer(id: $id) {
      fullName openTicketCount identifiers { value } sourceRecords { system } orderCount } }""",
        id=fixtures.LI_LEI,
    )
    customer = body["data"]["customer"]
    assert customer is None or customer["fullName"] == "李雷"
    codes = {tuple(e["path"]): (e["extensions"]["code"], e["extensions"]["source"]) for e in body["errors"]}
    assert codes[("customer", "sourceRecords")] == ("DATA_SOURCE_UNAVAILABLE", "neo4j")
    assert codes[("customer", "orderCount")] == ("DATA_SOURCE_UNAVAILABLE", "postgres:orders")
    # A hot read: identifiers answer from PostgreSQL's projection while the graph is down.
    assert ("customer", "identifiers") not in codes
    assert {"value": "+8613800138000"} in customer["identifiers"]


async def test_fields_of_healthy_sources_still_answer(outage: GraphQL, gql: GraphQL) -> None:
    """The same answer as the API with every source up (other tests may open tickets for this customer)."""
    query = """query($id: ID!) { customer(id: $id) { fullName openTicketCount } }"""
    data = await outage.data(query, id=fixtures.LI_LEI)
    healthy = await gql.data(query, id=fixtures.LI_LEI)
    assert data["customer"] == healthy["customer"]
    assert data["customer"]["fullName"] == "李雷"
    assert data["customer"]["openTicketCount"] >= 1


async def test_readiness_names_the_missing_sources(settings: Settings) -> None:
    """Neo4j down degrades readiness without failing it: writes are acknowledged from PostgreSQL and hot reads
    answer from it, so the process stays in service (PostgreSQL down still fails it: test_store_recovery)."""
    port = free_port()  # nothing listens there
    async with in_process(settings.model_copy(update={"neo4j_uri": f"bolt://127.0.0.1:{port}"})) as http:
        response = await http.get("/readyz")
        assert response.status_code == 200
        body = response.json()
        assert (body["ready"], body["status"]) == (True, "degraded")
        assert body["checks"]["neo4j"] == "unavailable"
        assert body["checks"]["postgres:profiles"] == "ok"
        assert set(body["outbox"]["profiles"]) == {"backlog", "oldestPendingSeconds", "failed"}
        assert (await http.get("/healthz")).status_code == 200


async def test_relationship_reads_and_writes_report_the_graph_outage(outage: GraphQL) -> None:
    body = await outage(
        """query($id: ID!) { customer(id: $id) { fullName household { id } related { distance } } }""",
        id=fixtures.LI_LEI,
    )
    assert body["data"]["customer"] == {"fullName": "李雷", "household": None, "related": None}
    assert {e["extensions"]["code"] for e in body["errors"]} == {"DATA_SOURCE_UNAVAILABLE"}
    body = await outage(
        """mutation($a: ID!, $b: ID!) {
          linkCustomers(input: {kind: REFERRAL, customerId: $a, relatedCustomerId: $b}) { changed } }""",
        a=fixtures.LI_LEI,
        b=fixtures.EMMA,
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "DATA_SOURCE_UNAVAILABLE", "source": "neo4j"}
