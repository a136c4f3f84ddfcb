"""`hasOpenTickets` is answered by the tickets subgraph: in SQL when both share a database, by keyset otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from core.settings import Settings
from subgraphs.profiles import repository
from tests.conftest import GraphQL
from tests.servers import in_process

PAGE = """
query ($first: Int!, $after: String, $open: Boolean!) {
  customers(first: $first, after: $after, filter: {hasOpenTickets: $open}) {
    totalCount nodes { id } pageInfo { hasNextPage endCursor }
  }
}
"""


async def _expected(pg: asyncpg.Connection, wanted: bool) -> list[str]:
    rows = await pg.fetch(
        "SELECT c.id::text AS id FROM profiles.customers c WHERE "
        + ("" if wanted else "NOT ")
        + "EXISTS (SELECT 1 FROM tickets.tickets t LEFT JOIN profiles.customer_aliases a ON a.alias_id = t.customer_id"
        " WHERE coalesce(a.customer_id, t.customer_id) = c.id AND t.status IN ('new', 'open', 'pending'))"
        " ORDER BY c.id"
    )
    return [r["id"] for r in rows]


async def _walk(gql: GraphQL, wanted: bool, first: int) -> tuple[list[str], set[int]]:
    ids: list[str] = []
    totals: set[int] = set()
    after: str | None = None
    while True:
        page: Any = (await gql.data(PAGE, first=first, after=after, open=wanted))["customers"]
        ids += [n["id"] for n in page["nodes"]]
        totals.add(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            return ids, totals
        after = page["pageInfo"]["endCursor"]


@pytest.fixture(scope="module")
async def separate(settings: Settings) -> AsyncIterator[GraphQL]:
    """The tickets subgraph on a DSN of its own (same server, another connection string): no SQL join possible."""
    assert settings.database_url is not None
    own = settings.model_copy(
        update={"subgraph_dsns": {"tickets": settings.database_url + "?application_name=c360-tickets"}}
    )
    assert not own.shares_database("profiles", "tickets")
    async with in_process(own) as http:
        yield GraphQL(http)


@pytest.mark.parametrize("wanted", [True, False])
async def test_one_database_filters_and_counts_in_one_statement_each(
    gql: GraphQL, pg: asyncpg.Connection, wanted: bool
) -> None:
    expected = await _expected(pg, wanted)
    assert expected  # the seeded data has customers on both sides
    sql, cypher, data = await gql.counted(PAGE, first=100, after=None, open=wanted)
    page = data["customers"]
    assert [n["id"] for n in page["nodes"]] == expected[:100]
    assert page["totalCount"] == len(expected)
    # One compiled statement: the page with its count (no list of ids travels through Python).
    assert (sql, cypher) == (1, 0)
    ids, totals = await _walk(gql, wanted, first=7)
    assert ids == expected
    assert totals == {len(expected)}


@pytest.mark.parametrize("wanted", [True, False])
async def test_separate_databases_page_by_keyset(
    separate: GraphQL, pg: asyncpg.Connection, wanted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "SCAN", 10)  # several keyset steps per page on the small test data
    expected = await _expected(pg, wanted)
    ids, totals = await _walk(separate, wanted, first=7)
    assert ids == expected
    assert totals == {len(expected)}
