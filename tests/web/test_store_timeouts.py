"""The API's store clients carry server-side timeouts below the request deadline; batch jobs' clients do not."""

from __future__ import annotations

import neo4j

from core.settings import Settings
from graph_store.driver import GraphStore


async def test_neo4j_queries_carry_the_transaction_timeout(settings: Settings) -> None:
    timed = GraphStore(settings, transaction_timeout=2.5)
    plain = GraphStore(settings)
    try:
        query = timed._query("RETURN 1")
        assert isinstance(query, neo4j.Query)
        assert query.timeout == 2.5
        assert plain._query("RETURN 1") == "RETURN 1"
        assert [r[0] for r in await timed.read("RETURN 1")] == [1]
    finally:
        await timed.close()
        await plain.close()


def test_store_timeouts_sit_below_the_request_deadline() -> None:
    defaults = Settings(_env_file=None)
    assert defaults.pg_statement_timeout < defaults.request_timeout
    assert defaults.neo4j_transaction_timeout < defaults.request_timeout
    assert defaults.body_timeout < defaults.request_timeout
