"""Bulk loading of generated data: COPY into PostgreSQL (with the projection of identifiers the graph gets), UNWIND
batches into Neo4j, with a progress bar."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
from tqdm import tqdm

from c360.seed import generator as gen
from c360.seed import records as sent_records
from core import audit, registry
from core.postgres import Postgres
from core.settings import Settings
from graph_store import identity
from graph_store.constraints import ensure_constraints
from graph_store.driver import GraphStore
from graph_store.relationships import bulk
from graph_store.resolution.records import SourceRecord

TABLES = (
    # (subgraph, table, chunk attribute, columns)
    ("profiles", "customers", "customers", gen.CUSTOMER_COLUMNS),
    ("orders", "orders", "orders", gen.ORDER_COLUMNS),
    ("orders", "order_items", "order_items", gen.ORDER_ITEM_COLUMNS),
    ("tickets", "tickets", "tickets", gen.TICKET_COLUMNS),
    ("tickets", "ticket_comments", "ticket_comments", gen.TICKET_COMMENT_COLUMNS),
    ("interactions", "interactions", "interactions", gen.INTERACTION_COLUMNS),
)
SEQUENCES = (
    ("orders", "orders"),
    ("orders", "order_items"),
    ("tickets", "tickets"),
    ("tickets", "ticket_comments"),
    ("interactions", "interactions"),
)


@dataclass
class SeedReport:
    customers: int = 0
    rows: int = 0
    links: int = 0
    relationships: int = 0
    seconds: float = 0.0


async def reset(postgres: Postgres, graph: GraphStore) -> None:
    """Empty every table of every PostgreSQL subgraph and the graph; not their migration state, and not the audit
    (append-only: who read what stays true whatever data comes next)."""
    for subgraph in registry.POSTGRES:
        db = postgres.db(subgraph)
        tables = await db.fetch(
            "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables"
            " WHERE schemaname = $1 AND tablename <> 'alembic_version'"
            " AND format('%s.%s', schemaname, tablename) <> ALL($2::text[])",
            subgraph,
            list(audit.APPEND_ONLY),
        )
        if tables:
            await db.fetch(f"TRUNCATE {', '.join(t['name'] for t in tables)} CASCADE")
    await identity.clear(graph)


PROJECTION_COLUMNS = ("customer_id", "key", "type", "value", "source", "observed_at", "rule")


def projection_rows(links: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The identity links of a seed as rows of PostgreSQL's projection of current identifiers: the first link of
    a customer to an identifier wins, as it does in the graph (``MERGE … ON CREATE``)."""
    rows: dict[tuple[str, str], tuple[Any, ...]] = {}
    for link in links:
        rows.setdefault(
            (link["customer"], link["key"]),
            (
                uuid.UUID(link["customer"]),
                link["key"],
                link["type"],
                link["value"],
                link["source"],
                link["observedAt"],
                "seed",
            ),
        )
    return list(rows.values())


async def _load_graph(graph: GraphStore, chunk: gen.Chunk) -> None:
    await identity.load_links(graph, chunk.links)
    await bulk.load(graph, chunk.relationships)


async def seed(
    settings: Settings,
    customers: int,
    seed_value: int = 360,
    progress: bool = True,
    volumes: gen.Volumes = gen.DEMO,
    source_records: bool = False,
) -> SeedReport:
    """Replace all data with a generated data set of ``customers`` customers.

    With ``source_records``, each customer's systems then send their records through the identity stream
    (``c360.seed.records``): the customers get source records, provenance and history, as ingested ones do.
    """
    if not 1 <= customers <= 1_000_000:
        raise ValueError("customers must be between 1 and 1,000,000")
    started = time.perf_counter()
    postgres = Postgres(settings.as_owner())  # truncating and setting sequences is the owner's, not the API's
    await postgres.start()
    graph = GraphStore(settings)
    report = SeedReport()
    sent: list[SourceRecord] = []
    try:
        await ensure_constraints(graph)
        await reset(postgres, graph)
        generator = gen.Generator(seed_value, volumes=volumes)
        # The graph load of one chunk runs while the next chunk is generated and copied: Neo4j works on its own core.
        pending: asyncio.Task[None] | None = None
        with tqdm(total=customers, unit="customers", disable=not progress, desc="seeding") as bar:
            for chunk in generator.chunks(customers):
                for subgraph, table, attr, columns in TABLES:
                    records = getattr(chunk, attr)
                    if records:
                        async with postgres.db(subgraph).pool.acquire() as conn:
                            await conn.copy_records_to_table(
                                table, records=records, columns=columns, schema_name=subgraph
                            )
                        report.rows += len(records)
                async with postgres.db("profiles").pool.acquire() as conn:
                    await conn.copy_records_to_table(
                        "customer_identifiers",
                        records=projection_rows(chunk.links),
                        columns=PROJECTION_COLUMNS,
                        schema_name="profiles",
                    )
                if pending is not None:
                    await pending
                pending = asyncio.create_task(_load_graph(graph, chunk))
                if source_records:
                    sent += sent_records.source_records(chunk.customers, chunk.links)
                report.links += len(chunk.links)
                report.relationships += len(chunk.relationships)
                report.customers += len(chunk.customers)
                bar.update(len(chunk.customers))
            if pending is not None:
                await pending
        for subgraph, table in SEQUENCES:
            await postgres.db(subgraph).fetch(
                f"SELECT setval(pg_get_serial_sequence('{subgraph}.{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {subgraph}.{table}), 0) + 1, false)"
            )
        if sent:
            await sent_records.ingest_all(settings, sent)
        for subgraph, table, _, _ in TABLES:
            await postgres.db(subgraph).fetch(f"ANALYZE {subgraph}.{table}")
    finally:
        await postgres.close()
        await graph.close()
    report.seconds = time.perf_counter() - started
    return report


async def customer_count(settings: Settings) -> int:
    """How many customers are loaded: whether a seeded data set is still there."""
    conn = await asyncpg.connect(settings.dsn_for("profiles"))
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM profiles.customers")
        return count
    finally:
        await conn.close()
