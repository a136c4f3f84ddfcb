"""Round trips per request do not grow with the number of customers (counted on the data-source wrappers)."""

from __future__ import annotations

from typing import Any

import pytest

from core.metrics import ROUND_TRIPS
from core.settings import Settings
from tests.conftest import GraphQL
from tests.servers import in_process

LIST_360 = """query($first: Int!) { customers(first: $first) { edges { node {
  id fullName
  identifiers { type value }
  orders(first: 5) { nodes { id total items { sku quantity } } }
  openTickets: tickets(status: [OPEN, PENDING]) { id subject }
  interactions(first: 10) { nodes { kind occurredAt } }
} } } }"""

# Batched: customers page, orders (LATERAL), order items, tickets (LATERAL), interactions (LATERAL), identifiers of
# every listed customer (PostgreSQL's projection of current identifiers: a hot read that no longer needs Neo4j),
# and the audit record (names and identifiers are unmasked contact PII for the administrator: one INSERT per
# request). Compiled (schema/execution/compiled.py): one statement for all of it, and the audit record.
BATCHED_SQL = 7
COMPILED_SQL = 2


@pytest.mark.parametrize("first", [5, 50])
async def test_customer_list_costs_a_constant_number_of_round_trips(gql: GraphQL, first: int) -> None:
    sql, cypher, data = await gql.counted(LIST_360, first=first)
    _check(data, first)
    assert (sql, cypher) == (COMPILED_SQL, 0)


@pytest.mark.parametrize("first", [5, 50])
async def test_batched_fields_cost_one_statement_each(settings: Settings, first: int) -> None:
    """The same list by its plan's batch resolvers (statements not compiled): one statement per field."""
    async with in_process(settings.model_copy(update={"compiled_sql": False})) as http:
        before = ROUND_TRIPS.snapshot()
        answer = (await http.post("/graphql", json={"query": LIST_360, "variables": {"first": first}})).json()
        sql, cypher = ROUND_TRIPS.sql - before[0], ROUND_TRIPS.cypher - before[1]
    assert "errors" not in answer, answer
    _check(answer["data"], first)
    assert (sql, cypher) == (BATCHED_SQL, 0)


def _check(data: dict[str, Any], first: int) -> None:
    edges = data["customers"]["edges"]
    assert len(edges) == first
    assert sum(len(e["node"]["orders"]["nodes"]) for e in edges) > 0
    assert any(e["node"]["identifiers"] for e in edges)


async def test_summaries_batch_too(gql: GraphQL) -> None:
    query = """query($first: Int!) { customers(first: $first) { nodes {
      lifetimeValue orderCount lastOrderAt openTicketCount } } }"""
    small = await gql.counted(query, first=5)
    large = await gql.counted(query, first=100)
    # one statement: the page with its figures (compiled: schema/execution/compiled.py)
    assert small[:2] == large[:2] == (1, 0)


async def test_edges_back_to_customer_batch(gql: GraphQL) -> None:
    """Orders fetched by id resolve their customers with one profile statement, not one each."""
    query = "{{ {} }}".format(
        " ".join(f'o{i}: order(id: "{900001 + i % 3}") {{ customer {{ fullName }} }}' for i in range(6))
    )
    sql, cypher, data = await gql.counted(query)
    assert {o["customer"]["fullName"] for o in data.values()} == {"李雷"}
    assert (sql, cypher) == (3, 0)  # orders, their customers' profiles, the audit record of the names


async def test_customers_listed_once_are_not_fetched_again(gql: GraphQL) -> None:
    """The list primes the profile loader, so orders' customers cost no statement of their own."""
    query = """{ customers(first: 50) { nodes { orders(first: 3) { nodes { customer { fullName } } } } } }"""
    sql, cypher, _ = await gql.counted(query)
    assert (sql, cypher) == (3, 0)  # the page, the orders, the audit record of the names
