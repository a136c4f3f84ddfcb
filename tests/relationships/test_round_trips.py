"""Relationship fields batch: a page of customers costs the same number of calls for 5 customers as for 50."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from graph_store import identity
from graph_store.driver import GraphStore
from tests.conftest import FreshCustomers, GraphQL
from tests.relationships.helpers import add_contact, create_account, link

LIST = """query($first: Int!) { customers(first: $first) { nodes {
  id
  household { id memberCount members { role customer { fullName } } }
  accounts { title account { name parent { name } } }
  referredBy { campaign referrer { fullName } }
  referrals { referred { fullName } }
  sharedIdentifiers { type sharedWith { fullName } }
} } }"""

# households, accounts of customers, accounts by id, their parents by id, referrers, referrals, shared identifiers
EXPECTED_CYPHER = 7
# The page, then at most one profile batch per field that names customers (members, referrer, referrals, shared
# identifiers): those batches merge when their Cypher answers arrive in the same tick, so the bound is what is fixed.
# Plus the request's audit record: the names are unmasked contact PII for the administrator (one INSERT).
MIN_SQL, MAX_SQL = 3, 6


@pytest.fixture(scope="module")
async def first_customer(
    gql: GraphQL, pg: asyncpg.Connection, graph: GraphStore, fresh: FreshCustomers
) -> str:
    """Give the first listed customer every kind of relationship, so both page sizes do the same kinds of work.

    The first customer is one of its own, with the smallest id there is: customers that earlier tests ingest get
    random ids, and one of them listed first would be shared with other tests' relationships.
    """
    first = "00000000-0000-4000-8000-000000000000"
    await pg.execute(
        "INSERT INTO profiles.customers (id, given_name, family_name, full_name, gender, city, country_code,"
        " loyalty_tier, loyalty_points, status, created_at, updated_at)"
        " VALUES ($1, 'Ada', 'First', 'Ada First', 'female', 'Hangzhou', 'CN', 'silver', 10, 'active', now(), now())"
        " ON CONFLICT (id) DO NOTHING",
        uuid.UUID(first),
    )
    joiner, referred, sharer = fresh.take(3)
    device = str(uuid.uuid4())
    await identity.load_links(
        graph,
        [
            {
                "customer": c,
                "type": "device_id",
                "value": device,
                "key": f"device_id:{device}",
                "raw": device,
                "source": "app",
                "observedAt": datetime(2026, 10, 1, tzinfo=UTC),
            }
            for c in (first, sharer)
        ],
    )
    parent = await create_account(gql, "Round Trip Group")
    await add_contact(gql, first, await create_account(gql, "Round Trip Branch", parent=parent))
    await link(gql, "HOUSEHOLD", joiner, first)
    await link(gql, "REFERRAL", first, referred)
    return first


@pytest.mark.parametrize("first", [5, 50])
async def test_relationship_fields_cost_constant_calls(gql: GraphQL, first_customer: str, first: int) -> None:
    sql, cypher, data = await gql.counted(LIST, first=first)
    nodes = data["customers"]["nodes"]
    assert len(nodes) == first
    head = nodes[0]
    assert head["id"] == first_customer
    assert head["household"]["members"]
    assert head["accounts"][0]["account"]["parent"]["name"] == "Round Trip Group"
    assert head["referrals"]
    assert head["sharedIdentifiers"]
    assert cypher == EXPECTED_CYPHER
    assert MIN_SQL <= sql <= MAX_SQL


async def test_related_costs_one_call_per_level(gql: GraphQL, first_customer: str) -> None:
    query = """query($first: Int!) { customers(first: $first) { nodes {
      related(maxDepth: 3, first: 10) { distance customer { id } } } } }"""
    for first in (5, 50):
        _, cypher, data = await gql.counted(query, first=first)
        assert len(data["customers"]["nodes"]) == first
        assert data["customers"]["nodes"][0]["related"]
        # One call per level at most; a level is skipped when every origin already has a full page.
        assert 1 <= cypher <= 3
