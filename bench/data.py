"""The benchmark's own servers and data sets: one pair of servers per size, seeded once, reused after.

Size M lives under ``var/bench`` (ports 54359 and 17717), size S under ``var/bench-s`` (54379 and 17737): the
test suite's smoke run at S never reseeds the M data set, and neither touches the demo's or the tests' servers.
``C360_BENCH_<S|M>_PG_PORT`` and ``C360_BENCH_<S|M>_NEO4J_PORT`` move a size's ports, so two checkouts on one
machine can run the benchmark at once. The configured ``C360_*`` connection settings are deliberately ignored,
since seeding replaces all data. As in production, the API connects as its own role (``c360_app``); setting up
statement statistics, seeding and the peers' SQL run as the owner.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg

from c360 import services
from c360.seed import loader
from c360.seed.generator import BENCH, Volumes
from core import migrations
from core.settings import PROJECT_ROOT, Settings
from graph_store.driver import GraphStore

PEER_SQL = Path(__file__).parent / "peers" / "postgraphile.sql"


@dataclass(frozen=True)
class Size:
    name: str
    customers: int
    state: Path
    pg_port: int
    bolt_port: int
    volumes: Volumes = BENCH


def _port(size: str, server: str, default: int) -> int:
    """A size's port for one server, from ``C360_BENCH_<SIZE>_<SERVER>_PORT`` when set."""
    return int(os.environ.get(f"C360_BENCH_{size.upper()}_{server}_PORT", default))


SIZES = {
    "s": Size(
        "s", 10_000, PROJECT_ROOT / "var" / "bench-s", _port("s", "PG", 54379), _port("s", "NEO4J", 17737)
    ),
    "m": Size(
        "m", 100_000, PROJECT_ROOT / "var" / "bench", _port("m", "PG", 54359), _port("m", "NEO4J", 17717)
    ),
}


def local_settings(size: Size) -> Settings:
    return Settings(state_dir=size.state, local_pg_port=size.pg_port, local_neo4j_bolt_port=size.bolt_port)


def bench_settings(size: Size) -> Settings:
    """Local servers only: never the configured database, which seeding would replace."""
    base = local_settings(size).model_copy(
        update=dict(
            database_url=None,
            subgraph_dsns={},
            migration_database_url=None,
            subgraph_migration_dsns={},
            neo4j_uri=None,
            max_page_size=200,
            graphiql=False,
        )
    )
    return services.ensure(base)


def stop_servers(size: Size) -> None:
    from c360.services import neo4j, postgres

    settings = local_settings(size)
    neo4j.LocalNeo4j(settings).stop()
    postgres.LocalPostgres(settings).stop()


async def _statement_stats_ready(dsn: str) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        preloaded = await conn.fetchval("SHOW shared_preload_libraries")
        if "pg_stat_statements" not in preloaded:
            await conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
            return False
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return True
    finally:
        await conn.close()


def prepare(size: Size, reseed: bool = False, progress: bool = True) -> Settings:
    """Servers up with statement statistics, schema migrated, data of ``size`` loaded (once), peers' SQL applied."""
    from c360.services import postgres

    settings = bench_settings(size)
    dsn = settings.migration_dsn_for(
        "profiles"
    )  # the owner (the cluster's superuser): ALTER SYSTEM, extensions
    if not asyncio.run(_statement_stats_ready(dsn)):
        local = postgres.LocalPostgres(settings)
        local.stop()
        local.ensure_running()
        if not asyncio.run(_statement_stats_ready(dsn)):
            raise RuntimeError("pg_stat_statements could not be preloaded on the benchmark's PostgreSQL")
    migrations.upgrade(settings)
    marker = size.state / "dataset.json"
    wanted = {"size": size.name, "customers": size.customers, "volumes": asdict(size.volumes)}
    have = json.loads(marker.read_text()) if marker.exists() else None
    if reseed or have != wanted or asyncio.run(loader.customer_count(settings)) != size.customers:
        marker.unlink(missing_ok=True)
        asyncio.run(loader.seed(settings, size.customers, 360, progress=progress, volumes=size.volumes))
        marker.write_text(json.dumps(wanted))
    asyncio.run(_apply_peer_sql(dsn))
    return settings


async def _apply_peer_sql(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(PEER_SQL.read_text())
    finally:
        await conn.close()


@dataclass(frozen=True)
class Inputs:
    """What the workload asks for, drawn with a fixed seed so every system and every run sees the same requests."""

    customer_ids: list[str]
    phones: list[str]

    def variables(self, query: str) -> list[dict[str, str | None]]:
        """The variables of each request of a query looked up by key (Q5 by phone, the others by id)."""
        if query == "q5":
            return [{"phone": phone} for phone in self.phones]
        return [{"id": cid} for cid in self.customer_ids]


async def draw_inputs(settings: Settings, count: int, seed: int = 6) -> Inputs:
    """Customers of every kind (busy or quiet), and phones that belong to exactly one customer."""
    conn = await asyncpg.connect(settings.dsn_for("profiles"))
    try:
        ids = [r["id"] for r in await conn.fetch("SELECT id::text AS id FROM profiles.customers ORDER BY id")]
    finally:
        await conn.close()
    rng = random.Random(seed)
    chosen = rng.sample(ids, min(count, len(ids)))
    graph = GraphStore(settings)
    try:
        rows = await graph.read(
            """
            UNWIND $ids AS id
            MATCH (c:Customer {id: id})-[:HAS_IDENTIFIER]->(i:Identifier {type: 'phone'})
            WHERE COUNT { (i)<-[:HAS_IDENTIFIER]-(:Customer) } = 1
            RETURN id, min(i.value) AS phone ORDER BY id
            """,
            ids=chosen,
        )
    finally:
        await graph.close()
    phones = [r["phone"] for r in rows]
    rng.shuffle(phones)
    return Inputs(customer_ids=chosen, phones=phones)
