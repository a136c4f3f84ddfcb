"""Real PostgreSQL and Neo4j for the whole session: local test servers, or the ones C360_TEST_* configure."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from app import create_app
from c360.seed.loader import seed
from core import logs, migrations
from core.metrics import ROUND_TRIPS
from core.settings import PROJECT_ROOT, Settings
from graph_store.driver import GraphStore
from tests import auth, canaries, fixtures

TEST_DATABASE = "c360_test"
LOG_CANARIES = (
    "13800138000",
    "li.lei@example.com",
    "o6_bLiLeiUnion",
    "oXLiLeiOpen",
    "13900139000",
    *canaries.MARKERS,
)
"""Personal data of the fixture customers: none of it may reach a log line during the whole session."""
GENERATED_CUSTOMERS = 120
ERASURE_SECRET = SecretStr("c360-test-erasure-secret-0123456789")


def _base_settings() -> Settings:
    """Test services never touch the demo's: their own state directory and ports, or explicit C360_TEST_* URLs.

    With ``C360_TEST_DATABASE_URL`` set, ``C360_TEST_MIGRATION_DATABASE_URL`` and ``C360_TEST_APP_DB_ROLE`` say
    who owns the schemas and which role the API runs as (unset: the one role does both).
    """
    return Settings(
        _env_file=None,
        database_url=os.environ.get("C360_TEST_DATABASE_URL"),
        migration_database_url=os.environ.get("C360_TEST_MIGRATION_DATABASE_URL"),
        app_db_role=os.environ.get("C360_TEST_APP_DB_ROLE"),
        neo4j_uri=os.environ.get("C360_TEST_NEO4J_URI"),
        neo4j_password=os.environ.get("C360_TEST_NEO4J_PASSWORD"),
        state_dir=PROJECT_ROOT / "var" / "test",
        local_pg_port=int(os.environ.get("C360_TEST_PG_PORT", "54339")),
        local_neo4j_bolt_port=int(os.environ.get("C360_TEST_NEO4J_PORT", "17697")),
        profile="development",  # GraphiQL, introspection and open subgraph endpoints, as the tests exercise them
        auth_dev_secret=auth.SECRET,
        erasure_secret=ERASURE_SECRET,
        # Tests that read an ingest's outcome wait for the relay however busy the machine is; the wait ends as soon
        # as it has applied the records (tests of `ACCEPTED` take Neo4j away or set their own wait).
        ingest_wait=60.0,
        request_timeout=120.0,  # the ingest wait is capped a second before the deadline
        # Shedding on event-loop lag would refuse requests of a busy machine; the overload tests set their own.
        shed_loop_lag=0.0,
    )


async def _create_database(dsn: str, name: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def _in_database(dsn: str, name: str) -> str:
    return dsn.rsplit("/", 1)[0] + f"/{name}"


class LogLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.canaries: list[str] = list(LOG_CANARIES)
        """What no line may hold; tests add the personal data they create (``watch``)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()} {record.exc_text or ''}")

    def watch(self, values: Iterable[str]) -> None:
        self.canaries.extend(values)

    def holding(self, values: Iterable[str]) -> list[str]:
        found = list(values)
        return [line[:200] for line in self.lines if any(value in line for value in found)]


SESSION_LOG = LogLines()
"""Every log record of the session (the project's at debug level, libraries' at warning)."""


@pytest.fixture(scope="session", autouse=True)
def no_personal_data_in_logs() -> Iterator[None]:
    """Every record of the session is checked for canaries, and for the personal data tests watch."""
    logs.install_scrubbing()
    root, ours = logging.getLogger(), logging.getLogger("c360")
    previous = ours.level
    root.addHandler(SESSION_LOG)
    ours.setLevel(logging.DEBUG)
    yield
    root.removeHandler(SESSION_LOG)
    ours.setLevel(previous)
    assert SESSION_LOG.holding(SESSION_LOG.canaries) == [], "personal data reached the logs"


@pytest.fixture(scope="session", autouse=True)
def no_canary_in_forbidden_responses() -> Iterator[None]:
    """Every JSON response of the in-process clients, over the whole session: a canary marker only for callers
    whose roles may read its class unmasked."""
    yield
    assert canaries.WATCH.leaks == [], canaries.WATCH.leaks[:20]


@pytest.fixture(scope="session")
def service_settings() -> Iterator[Settings]:
    """Settings pointing at running servers (the server-level DSN, before the test database exists).

    Local servers this session starts, it stops at the end; servers that were already running stay up.
    """
    from c360 import services
    from c360.services.neo4j import LocalNeo4j
    from c360.services.postgres import LocalPostgres

    base = _base_settings()
    started = [
        server
        for server, local in (
            (LocalPostgres(base), not base.services_configured),
            (LocalNeo4j(base), base.neo4j_uri is None),
        )
        if local and not server.running()
    ]
    try:
        yield services.ensure(base)
    finally:  # also when one of them failed to start: the other stops with the session
        for server in started:
            server.stop()


@pytest.fixture(scope="session")
def settings(service_settings: Settings) -> Settings:
    """The API's settings on the test database: its application role, with the owner's DSN for migrations."""
    assert service_settings.database_url is not None
    owner = service_settings.migration_database_url or service_settings.database_url
    asyncio.run(_create_database(owner, TEST_DATABASE))
    test_settings = service_settings.model_copy(
        update={
            "database_url": _in_database(service_settings.database_url, TEST_DATABASE),
            "migration_database_url": _in_database(owner, TEST_DATABASE),
        }
    )
    migrations.upgrade(test_settings)
    asyncio.run(seed(test_settings, GENERATED_CUSTOMERS, seed_value=7, progress=False))
    asyncio.run(fixtures.load(test_settings.as_owner()))
    asyncio.run(canaries.load(test_settings.as_owner()))
    return test_settings


@pytest.fixture(scope="session")
def owner_settings(settings: Settings) -> Settings:
    """The test database as the schemas' owner: for fixtures that set up data or compute expected values."""
    return settings.as_owner()


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=canaries.transport(app), base_url="http://testserver", headers=auth.headers()
        ) as http,
    ):
        yield http


@pytest.fixture(scope="session")
async def pg(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection (as the schemas' owner) for computing expected values independently of the API."""
    conn = await asyncpg.connect(settings.as_owner().database_url)
    yield conn
    await conn.close()


@pytest.fixture(scope="session")
async def graph(settings: Settings) -> AsyncIterator[GraphStore]:
    """Direct Cypher access, for setting up graph data and computing expected values independently of the API."""
    store = GraphStore(settings)
    yield store
    await store.close()


class FreshCustomers:
    """Generated customers with no relationship and no shared identifier; each test takes its own."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids

    def take(self, count: int) -> list[str]:
        assert len(self.ids) >= count, "not enough unrelated customers left for this test"
        taken, self.ids = self.ids[:count], self.ids[count:]
        return taken


@pytest.fixture(scope="session")
async def fresh(graph: GraphStore) -> FreshCustomers:
    records = await graph.read(
        """
        MATCH (c:Customer)
        WHERE c.mergedInto IS NULL AND c.id <> $canary
          AND NOT EXISTS { (c)-[:MEMBER_OF|WORKS_AT|REFERRED]-() }
          AND NOT EXISTS { (c)-[:HAS_IDENTIFIER]->()<-[:HAS_IDENTIFIER]-(o) WHERE o <> c }
        RETURN c.id AS id ORDER BY id
        """,
        canary=canaries.CANARY,
    )
    return FreshCustomers([r["id"] for r in records])


class NewCustomers:
    """Customers of a test's own, as golden records only: writes about a customer's service history (tickets,
    interactions) name their customer by id, and the shared pool of unrelated generated customers is left to the
    tests that need a clean identity graph."""

    def __init__(self, pg: asyncpg.Connection) -> None:
        self.pg = pg

    async def take(self, count: int) -> list[str]:
        ids = [str(uuid.uuid4()) for _ in range(count)]
        await self.pg.executemany(
            "INSERT INTO profiles.customers (id, given_name, family_name, full_name, gender, country_code, loyalty_tier,"
            " loyalty_points, status, created_at, updated_at)"
            " VALUES ($1, 'Xiaoce', 'Ceshi', 'Ceshi Xiaoce', 'unknown', 'CN', 'bronze', 0, 'active', now(), now())",
            [(uuid.UUID(i),) for i in ids],
        )
        return ids


@pytest.fixture(scope="session")
def customers(pg: asyncpg.Connection) -> NewCustomers:
    """Golden records made on demand, for tests that write orders, tickets or interactions for someone."""
    return NewCustomers(pg)


class GraphQL:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, query: str, path: str = "/graphql", **variables: Any) -> dict[str, Any]:
        response = await self.http.post(path, json={"query": query, "variables": variables})
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, path: str = "/graphql", **variables: Any) -> dict[str, Any]:
        body = await self(query, path, **variables)
        assert "errors" not in body, body.get("errors")
        data: dict[str, Any] = body["data"]
        return data

    async def counted(
        self, query: str, path: str = "/graphql", **variables: Any
    ) -> tuple[int, int, dict[str, Any]]:
        """SQL statements and Cypher calls the request cost, with its data."""
        sql, cypher = ROUND_TRIPS.snapshot()
        data = await self.data(query, path, **variables)
        return ROUND_TRIPS.sql - sql, ROUND_TRIPS.cypher - cypher, data

    async def error(self, query: str, path: str = "/graphql", **variables: Any) -> dict[str, Any]:
        """The one error a request must fail with."""
        body = await self(query, path, **variables)
        assert len(body.get("errors") or []) == 1, body
        error: dict[str, Any] = body["errors"][0]
        return error


@pytest.fixture(scope="session")
def gql(client: httpx.AsyncClient) -> GraphQL:
    return GraphQL(client)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The differential replay of the suite's queries runs once every other test has sent its requests; the demo
    test reseeds a database and the shared graph, so it runs after everything else."""

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("runs_last") is not None:
            return 2
        return 1 if item.get_closest_marker("after_the_suite") is not None else 0

    items.sort(key=rank)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "runs_last: reseeds shared services, so it runs after all other tests")
    config.addinivalue_line(
        "markers",
        "after_the_suite: replays what the other tests sent, so it runs after them (before runs_last)",
    )
