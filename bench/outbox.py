"""The write path's figures: acknowledgement latency of 500-record ingest batches, relay throughput, backlog drain.

``uv run python -m bench.outbox [--batches 40] [--backlog 60000]`` on the size-S benchmark servers (their own state
directory and ports, ``C360_BENCH_S_PG_PORT`` / ``C360_BENCH_S_NEO4J_PORT``), whose identity tables it empties
first; the servers are stopped at the end unless ``--keep-servers``. Writes a markdown report to
``bench/results/outbox-<date>.md``.

- Acknowledgement latency: a 500-record ``ingestSourceRecords`` through the API in process (HTTP and GraphQL
  included, no network), as the client sees it: with the wait off (``ACCEPTED``: the PostgreSQL commit of records
  and event) and with the default wait (the relay's outcome, in process).
- Relay throughput: a backlog enqueued with no relay running, then drained by one relay; records resolved per
  second. The drain of a 10-minute outage at 500 records/s (300,000 records) is measured on ``--backlog`` records
  and extrapolated linearly when smaller (said so in the report).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from app import create_app
from bench import data, tokens
from core import migrations
from core.postgres import Postgres
from core.settings import PROJECT_ROOT, Settings
from graph_store.constraints import ensure_constraints
from graph_store.driver import GraphStore
from graph_store.identifiers import IdentifierType
from graph_store.identity import clear
from graph_store.resolution.records import RawIdentifier, SourceRecord
from subgraphs.kit.sources import DataSources
from subgraphs.profiles.ingestion import ingest
from subgraphs.profiles.relay import identity_relay

INGEST = """mutation($records: [SourceRecordInput!]!) { ingestSourceRecords(records: $records) {
  created linked merged unchanged rejected accepted } }"""
BATCH = 500
OUTAGE_RECORDS = 300_000


def people(prefix: str, start: int, count: int) -> list[dict[str, Any]]:
    """Four records per person (phone; email; both: a merge; email again), as source systems send them."""
    out = []
    for person in range(start, start + count):
        phone, email = f"13{person % 1_000_000_000:09d}", f"{prefix}{person}@bench.cn"
        for n, ids in enumerate([[("PHONE", phone)], [("EMAIL", email)], [("PHONE", phone), ("EMAIL", email)],
                                 [("EMAIL", email)]]):  # fmt: skip
            out.append(
                {
                    "system": ["crm", "ecommerce", "pos", "wechat"][n],
                    "externalId": f"{prefix}-{person}-{n}",
                    "observedAt": f"2026-10-0{n + 1}T00:00:00+00:00",
                    "attributes": {"givenName": f"G{person}", "familyName": "Bench", "city": "Hangzhou"},
                    "identifiers": [{"type": t, "value": v} for t, v in ids],
                }
            )
    return out


def as_record(item: dict[str, Any]) -> SourceRecord:
    return SourceRecord(
        item["system"],
        item["externalId"],
        datetime.fromisoformat(item["observedAt"]),
        {"given_name": item["attributes"]["givenName"], "family_name": "Bench", "city": "Hangzhou"},
        tuple(RawIdentifier(IdentifierType(i["type"].lower()), i["value"]) for i in item["identifiers"]),
    )


async def empty(settings: Settings) -> None:
    conn = await asyncpg.connect(settings.migration_dsn_for("profiles"))
    try:
        await conn.execute(
            "TRUNCATE profiles.customers, profiles.customer_aliases, profiles.field_provenance,"
            " profiles.rejected_records, profiles.source_records, profiles.source_record_claims,"
            " profiles.customer_identifiers, profiles.outbox"
        )
    finally:
        await conn.close()
    graph = GraphStore(settings)
    try:
        await ensure_constraints(graph)
        await clear(graph)
    finally:
        await graph.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def ack_latency(settings: Settings, batches: int, wait: float, prefix: str) -> list[float]:
    app = create_app(
        settings.model_copy(update={"ingest_wait": wait, "relay_in_process": wait > 0, **tokens.settings()})
    )
    seconds = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=tokens.headers()
        ) as http,
    ):
        for n in range(batches + 2):
            records = people(prefix, n * BATCH // 4, BATCH // 4)
            started = time.perf_counter()
            body = (
                await http.post("/graphql", json={"query": INGEST, "variables": {"records": records}})
            ).json()
            elapsed = time.perf_counter() - started
            assert "errors" not in body, body["errors"]
            if n >= 2:  # the first two warm the caches and pools
                seconds.append(elapsed)
    return seconds


async def backlog_drain(settings: Settings, records: int) -> tuple[float, float]:
    """Seconds to enqueue ``records`` (no relay) and seconds one relay takes to resolve them all."""
    postgres = Postgres(settings)
    await postgres.start()
    graph = GraphStore(settings)
    sources = DataSources(settings, postgres, graph)
    try:
        started = time.perf_counter()
        for n in range(0, records, BATCH):
            await ingest(sources, [as_record(r) for r in people("bl", n // 4, BATCH // 4)], wait=0.0)
        enqueued = time.perf_counter() - started
    finally:
        await postgres.close()
        await graph.close()
    relay, relay_graph = identity_relay(settings)
    try:
        started = time.perf_counter()
        await relay.drain()
        drained = time.perf_counter() - started
    finally:
        await relay.close()
        await relay_graph.close()
    return enqueued, drained


def report(
    args: argparse.Namespace, accepted: list[float], waited: list[float], enqueue: float, drain: float
) -> str:
    rate = args.backlog / drain
    outage = OUTAGE_RECORDS / rate
    measured = args.backlog >= OUTAGE_RECORDS
    ms = 1000
    return f"""# Write path: acknowledgement latency, relay throughput, backlog drain ({datetime.now(UTC):%Y-%m-%d})

Command: `uv run python -m bench.outbox --batches {args.batches} --backlog {args.backlog}` on the size-S benchmark
servers (empty identity tables), {platform.machine()}, {platform.python_version()}, shared 2-core machine.

## Acknowledgement latency of a {BATCH}-record `ingestSourceRecords` ({args.batches} batches, in process)

| answer | p50 | p99 | mean |
|---|---|---|---|
| `ACCEPTED` (wait off: records and event committed in PostgreSQL) | {percentile(accepted, 0.5) * ms:.0f} ms | {percentile(accepted, 0.99) * ms:.0f} ms | {statistics.mean(accepted) * ms:.0f} ms |
| outcome (default wait: the in-process relay resolved the batch) | {percentile(waited, 0.5) * ms:.0f} ms | {percentile(waited, 0.99) * ms:.0f} ms | {statistics.mean(waited) * ms:.0f} ms |

## Relay throughput and backlog drain

- Backlog of {args.backlog:,} records ({args.backlog // BATCH} events of {BATCH}) enqueued in {enqueue:.1f} s
  ({args.backlog / enqueue:,.0f} records/s acknowledged, no relay running).
- One relay resolved it in {drain:.1f} s: **{rate:,.0f} records/s** (claims of {data_budget(args)} records per
  Neo4j transaction, golden records, aliases and projection written back in the same PostgreSQL transaction).
- A 10-minute Neo4j outage at 500 records/s leaves {OUTAGE_RECORDS:,} records: {"measured" if measured else "extrapolated linearly from the measured rate (the backlog grows the graph, so later records may resolve slower: an estimate)"} **{outage / 60:.1f} min** to drain.
- Goal ≥ 5,000 records/s resolved: {"met" if rate >= 5000 else "not met (see the profile notes below)"}.
"""


def data_budget(args: argparse.Namespace) -> int:
    return int(args.budget)


async def measure(args: argparse.Namespace, settings: Settings) -> str:
    await empty(settings)
    accepted = await ack_latency(settings, args.batches, 0.0, "ack")
    await empty(settings)  # the accepted batches are left pending: the next run must not drain them first
    waited = await ack_latency(settings, args.batches, settings.ingest_wait, "sync")
    await empty(settings)
    enqueue, drain = await backlog_drain(settings, args.backlog)
    return report(args, accepted, waited, enqueue, drain)


def main(args: argparse.Namespace) -> None:
    size = data.SIZES["s"]
    try:
        settings = data.bench_settings(size).model_copy(update={"relay_batch_records": args.budget})
        migrations.upgrade(settings)
        text = asyncio.run(measure(args, settings))
        out = PROJECT_ROOT / "bench" / "results" / f"outbox-{datetime.now(UTC):%Y-%m-%d}.md"
        out.write_text(text + (args.notes or ""))
        print(text)
        print(f"written to {out.relative_to(PROJECT_ROOT)}")
    finally:
        if not args.keep_servers:
            data.stop_servers(size)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--backlog", type=int, default=60_000)
    parser.add_argument("--budget", type=int, default=2000, help="records per relay claim")
    parser.add_argument("--notes", default="", help="text appended to the report")
    parser.add_argument("--keep-servers", action="store_true")
    main(parser.parse_args())
