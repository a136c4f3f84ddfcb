"""Overload protection on a real uvicorn over loopback: shedding, rate limits, deadlines, slow clients.

Slowness is real and controlled: a test connection holds ``ACCESS EXCLUSIVE`` on ``profiles.customers``, so every
statement reading it waits in PostgreSQL until the lock goes. Nothing asserts a latency; the tests assert status
codes, headers, codes, counts, and what PostgreSQL and the pool show afterwards. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, cast

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY
from starlette.routing import Route

from app import GraphQLApp, create_app
from core.settings import Settings
from graph_store.driver import GraphStore
from subgraphs.kit.sources import DataSources
from tests import auth, fixtures
from tests.servers import free_port, serving
from web.server import uvicorn_options
from web.shedding import InFlightLimit

PROFILE = {
    "query": "query($id: ID!) { customer(id: $id) { fullName } }",
    "variables": {"id": fixtures.LI_LEI},
}
CHEAP = {"query": "{ __typename }"}


@contextlib.asynccontextmanager
async def api(settings: Settings, **overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, DataSources]]:
    """The whole API on a free loopback port with ``overrides``; yields a client and the app's data sources."""
    tuned = settings.model_copy(update=overrides)
    app = create_app(tuned)
    port = free_port()
    async with (
        serving(app, port, **uvicorn_options(tuned)) as url,
        httpx.AsyncClient(base_url=url, timeout=30, headers=auth.headers()) as http,
    ):
        route = next(r for r in app.router.routes if isinstance(r, Route) and r.path == "/graphql")
        yield http, cast("GraphQLApp", route.app)._holder["sources"]


@contextlib.asynccontextmanager
async def customers_locked(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection holding ACCESS EXCLUSIVE on profiles.customers until the block ends."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("LOCK TABLE profiles.customers IN ACCESS EXCLUSIVE MODE")
        try:
            yield conn
        finally:
            await tx.rollback()
    finally:
        await conn.close()


def refused(reason: str) -> float:
    return REGISTRY.get_sample_value("c360_refused_requests_total", {"reason": reason}) or 0.0


async def waiting_on_lock(conn: asyncpg.Connection) -> int:
    """Statements of other sessions of this database that wait for a lock (a fresh statistics snapshot: ``conn``
    is inside the locking transaction, which would otherwise see its first one again)."""
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    count: int = await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
    )
    return count


async def eventually(check: Callable[[], Awaitable[bool]], tries: int = 200, pause: float = 0.05) -> bool:
    for _ in range(tries):
        if await check():
            return True
        await asyncio.sleep(pause)
    return False


async def test_requests_past_the_in_flight_limit_are_shed_at_once(settings: Settings) -> None:
    async with api(
        settings, max_in_flight=2, shed_loop_lag=0, request_timeout=60, pg_statement_timeout=50
    ) as (http, _):
        async with customers_locked(settings) as lock:
            held = [asyncio.create_task(http.post("/graphql", json=PROFILE)) for _ in range(2)]
            assert await eventually(lambda: _equals(waiting_on_lock(lock), 2))
            before = refused("overloaded")

            shed = await http.post("/graphql", json=CHEAP)
            assert shed.status_code == 503
            assert shed.headers["retry-after"] == "1"
            assert shed.json() == {
                "errors": [
                    {
                        "message": "The server is at capacity; retry later.",
                        "extensions": {"code": "OVERLOADED"},
                    }
                ]
            }
            subgraph = await http.post("/subgraphs/profiles/graphql", json=CHEAP)
            assert subgraph.status_code == 503
            assert refused("overloaded") == before + 2
            assert (await http.get("/healthz")).status_code == 200
            metrics = (await http.get("/metrics")).text
            assert "c360_in_flight_requests 2.0" in metrics
            assert "c360_in_flight_limit 2.0" in metrics
            assert all(not task.done() for task in held)
        answers = await asyncio.wait_for(asyncio.gather(*held), 30)  # the lock is gone: both finish
        assert [a.json() for a in answers] == [{"data": {"customer": {"fullName": "李雷"}}}] * 2
        assert (await http.post("/graphql", json=CHEAP)).status_code == 200


async def _equals(count: Awaitable[int], wanted: int) -> bool:
    return await count == wanted


async def test_a_client_past_its_budget_gets_429_with_what_is_left(settings: Settings) -> None:
    # 4 units in any 4 s window: the fifth request of a quick burst is refused.
    async with api(settings, rate_limit_per_second=1, rate_limit_burst=4) as (http, _):
        before = refused("rate_limited")
        answers = [await http.post("/graphql", json=CHEAP) for _ in range(5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
        assert [a.headers["ratelimit-remaining"] for a in answers] == ["3", "2", "1", "0", "0"]
        assert {a.headers["ratelimit-limit"] for a in answers} == {"4"}
        last = answers[-1]
        retry_after = int(last.headers["retry-after"])
        assert 1 <= retry_after <= 4
        assert last.json()["data"] is None
        [error] = last.json()["errors"]
        assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry_after, "remaining": 0}
        assert "retry-after" not in answers[0].headers
        assert refused("rate_limited") == before + 1
        health = await http.get("/healthz")
        assert health.status_code == 200
        assert "ratelimit-remaining" not in health.headers


async def test_a_request_spends_its_estimated_cost_from_its_principal_s_budget(settings: Settings) -> None:
    page = {"query": "{ customers(first: 10) { nodes { id fullName } } }"}
    async with api(settings, rate_limit_per_second=100, rate_limit_burst=200) as (http, _):
        first = await http.post("/graphql", json=page)
        spent = 200 - int(first.headers["ratelimit-remaining"])
        assert spent == 1 + 1 + 10 * 2  # customers, nodes, and id and fullName on each of the 10
        second = await http.post("/graphql", json=page)
        assert int(second.headers["ratelimit-remaining"]) == 200 - 2 * spent
        other = auth.headers(("agent",), subject="another-agent")
        theirs = await http.post("/graphql", json=page, headers=other)
        assert int(theirs.headers["ratelimit-remaining"]) == 200 - spent  # a budget of its own


async def test_the_deadline_cancels_the_work_and_frees_the_connection(settings: Settings) -> None:
    async with api(settings, request_timeout=1, pg_statement_timeout=50) as (http, sources):
        pool = sources.postgres.db("profiles").pool
        async with customers_locked(settings) as lock:
            before = refused("deadline_exceeded")
            answer = await http.post("/graphql", json=PROFILE)
            assert answer.status_code == 504
            assert refused("deadline_exceeded") == before + 1
            [error] = answer.json()["errors"]
            assert error["extensions"] == {"code": "DEADLINE_EXCEEDED"}
            # Still locked, yet the statement is gone: the cancellation reached PostgreSQL.
            assert await eventually(lambda: _equals(waiting_on_lock(lock), 0))

        async def pool_idle() -> bool:
            return bool(pool.get_idle_size() == pool.get_size())

        assert await eventually(pool_idle)
        assert pool.get_size() <= settings.pg_pool_max
        assert await pool.fetchval("SHOW statement_timeout") == "50s"
        after = await http.post("/graphql", json=PROFILE)
        assert after.json() == {"data": {"customer": {"fullName": "李雷"}}}


async def test_statement_timeout_stops_a_statement_below_the_deadline(settings: Settings) -> None:
    async with (
        api(settings, request_timeout=30, pg_statement_timeout=0.5) as (http, sources),
        customers_locked(settings) as lock,
    ):
        answer = await http.post("/graphql", json=PROFILE)
        assert answer.status_code == 200
        body = answer.json()
        assert body["data"] == {"customer": None}
        assert [e["extensions"]["code"] for e in body["errors"]] == ["DATA_SOURCE_UNAVAILABLE"]
        assert await waiting_on_lock(lock) == 0
        pool = sources.postgres.db("profiles").pool
        assert pool.get_idle_size() == pool.get_size()


async def _raw(port: int, data: bytes, wait: float = 15) -> bytes:
    """What the server sends back to ``data`` before it closes the connection (bounded by ``wait``)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), wait)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


@pytest.fixture(scope="module")
async def slow_client_port(settings: Settings) -> AsyncIterator[int]:
    tuned = settings.model_copy(update={"body_timeout": 0.5, "header_timeout": 0.5})
    port = free_port()
    async with serving(create_app(tuned), port, **uvicorn_options(tuned)):
        yield port


async def test_a_body_that_stops_midway_gets_408(slow_client_port: int) -> None:
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
        + f"Authorization: {auth.headers()['authorization']}\r\n\r\n".encode()
    )
    answer = await _raw(slow_client_port, head + b'{"query": "{')
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"code":"REQUEST_TIMEOUT"' in answer


async def test_headers_that_do_not_arrive_in_time_close_the_connection(slow_client_port: int) -> None:
    assert await _raw(slow_client_port, b"POST /graphql HTTP/1.1\r\nHost: x\r\n") == b""


async def test_an_idle_keep_alive_connection_is_closed(slow_client_port: int) -> None:
    answer = await _raw(slow_client_port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /hea")
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.count(b"HTTP/1.1") == 1


async def test_the_bound_shrinks_while_the_loop_lags_and_grows_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sampler alone, with made-up lag: a quarter off per late sample, one back per calm one, never above."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not called")

    limit = InFlightLimit(app, max_in_flight=16, lag_target=0.005)
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(limit, "_sample_later", lambda loop: setattr(limit, "_due", loop.time()))
    limit.in_flight = 3  # busy, so it keeps sampling
    limit._due = loop.time() - 0.05  # this sample is 50 ms late
    limit._sample(loop)
    assert limit.limit == 12
    for _ in range(10):
        limit._due = loop.time() - 0.05
        limit._sample(loop)
    assert limit.limit == 1
    for _ in range(30):
        limit._due = loop.time()  # on time
        limit._sample(loop)
    assert limit.limit == 16
    limit.in_flight = 0
    limit._due = loop.time()
    limit._sample(loop)
    assert limit._due is None  # idle at full bound: sampling stops


@contextlib.contextmanager
def neo4j_paused(settings: Settings) -> Iterator[None]:
    """SIGSTOP on the test session's own Neo4j until the block ends (SIGCONT whatever happens)."""
    from c360.services.neo4j import LocalNeo4j

    local = LocalNeo4j(settings)
    if settings.neo4j_uri != local.uri or not local.pid_file.exists():
        pytest.skip("needs the local test Neo4j, whose process the test may pause")
    pid = int(local.pid_file.read_text())
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def test_a_paused_neo4j_meets_the_deadline_and_leaves_no_transaction(
    settings: Settings, graph: GraphStore
) -> None:
    # `sourceRecords` reads the graph (identifiers no longer do: they answer from PostgreSQL's projection).
    query = {
        "query": "query($id: ID!) { customer(id: $id) { fullName sourceRecords { system } } }",
        "variables": {"id": fixtures.LI_LEI},
    }
    async with api(settings, request_timeout=1) as (http, _):
        assert (await http.post("/graphql", json=query)).json()["data"]["customer"]["sourceRecords"] == []
        with neo4j_paused(settings):
            answer = await http.post("/graphql", json=query)
        assert answer.status_code == 504
        assert answer.json()["errors"][0]["extensions"] == {"code": "DEADLINE_EXCEEDED"}

        async def only_this_transaction() -> bool:
            rows = await graph.read("SHOW TRANSACTIONS YIELD transactionId RETURN count(*) AS n")
            return bool(rows[0]["n"] == 1)

        assert await eventually(only_this_transaction)
        after = await http.post("/graphql", json=query)
        assert after.status_code == 200
        assert after.json()["data"]["customer"]["sourceRecords"] == []
