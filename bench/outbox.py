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
import contextlib
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app import create_app
from bench import data, tokens
from c360.services.neo4j import LocalNeo4j
from c360.services.postgres import LocalPostgres
from core import collector, migrations
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


def _process_cpu(pid: int) -> float:
    """CPU seconds (user and system) a process has used, from ``/proc``; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


@dataclass
class ServerCpu:
    """CPU seconds of the relay's process, Neo4j and PostgreSQL's backends over a measured interval: the relay's
    steps share the machine's cores, so their sum bounds the rate whatever the pipelining overlaps."""

    settings: Settings
    start: dict[str, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)

    def _now(self) -> dict[str, float]:
        neo4j_pid = LocalNeo4j(self.settings)._pid()
        pg_pid = LocalPostgres(self.settings)._pid()
        return {
            "relay (Python)": time.process_time(),
            "Neo4j": _process_cpu(neo4j_pid) if neo4j_pid else 0.0,
            "PostgreSQL": sum(_process_cpu(p) for p in _children(pg_pid)) if pg_pid else 0.0,
        }

    def __enter__(self) -> ServerCpu:
        self.start = self._now()
        return self

    def __exit__(self, *_: object) -> None:
        end = self._now()
        self.used = {k: end[k] - self.start[k] for k in end}


async def backlog_drain(settings: Settings, records: int) -> tuple[float, float, dict[str, float]]:
    """Seconds to enqueue ``records`` (no relay), seconds one relay takes to resolve them all, and the CPU each
    process spent on it."""
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
        async with (await relay._connections()).acquire():
            pass  # the claim's connection exists before the CPU of PostgreSQL's backends is read
        with ServerCpu(settings) as cpu:
            started = time.perf_counter()
            await relay.drain()
            drained = time.perf_counter() - started
    finally:
        await relay.close()
        await relay_graph.close()
    conn = await asyncpg.connect(settings.migration_dsn_for("profiles"))
    try:
        left = await conn.fetchval(
            "SELECT count(*) FROM profiles.source_records WHERE applied_event_id IS NULL"
        )
    finally:
        await conn.close()
    if left:  # a drain that stopped on failures is no throughput
        raise RuntimeError(f"{left} records were not applied: the relay failed")
    return enqueued, drained, cpu.used


def report(
    args: argparse.Namespace,
    accepted: list[float],
    waited: list[float],
    enqueue: float,
    drain: float,
    cpu: dict[str, float],
    loads: list[tuple[str, tuple[float, float, float]]],
) -> str:
    rate = args.backlog / drain
    per_record = {k: v / args.backlog * 1e6 for k, v in cpu.items()}
    total = sum(per_record.values())
    cores = os.cpu_count() or 1
    cpu_rows = "\n".join(f"| {k} | {v:.2f} s | {per_record[k]:.0f} µs |" for k, v in cpu.items())
    load_rows = ", ".join(f"{when}: {a:.1f} / {b:.1f} / {c:.1f}" for when, (a, b, c) in loads)
    outage = OUTAGE_RECORDS / rate
    measured = args.backlog >= OUTAGE_RECORDS
    ms = 1000
    return f"""# Write path: acknowledgement latency, relay throughput, backlog drain ({datetime.now(UTC):%Y-%m-%d})

Command: `uv run python -m bench.outbox --batches {args.batches} --backlog {args.backlog} --budget {args.budget}
--pipeline {args.pipeline}` on the size-S benchmark servers (empty identity tables), {platform.machine()},
{platform.python_version()}, {cores} cores shared with other work. Load average (1 / 5 / 15 min): {load_rows}.

## Acknowledgement latency of a {BATCH}-record `ingestSourceRecords` ({args.batches} batches, in process)

| answer | p50 | p99 | mean |
|---|---|---|---|
| `ACCEPTED` (wait off: records and event committed in PostgreSQL) | {percentile(accepted, 0.5) * ms:.0f} ms | {percentile(accepted, 0.99) * ms:.0f} ms | {statistics.mean(accepted) * ms:.0f} ms |
| outcome (default wait: the in-process relay resolved the batch) | {percentile(waited, 0.5) * ms:.0f} ms | {percentile(waited, 0.99) * ms:.0f} ms | {statistics.mean(waited) * ms:.0f} ms |

## Relay throughput and backlog drain

- Backlog of {args.backlog:,} records ({args.backlog // BATCH} events of {BATCH}) enqueued in {enqueue:.1f} s
  ({args.backlog / enqueue:,.0f} records/s acknowledged, no relay running).
- One relay resolved it in {drain:.1f} s: **{rate:,.0f} records/s** ({args.budget} records per Neo4j transaction,
  {args.pipeline} transactions pipelined per claim: the golden records, aliases and projection of one written back
  while the graph applies the next, all committed with the claim's PostgreSQL transaction).
- CPU the drain cost, per process (the relay's steps share the {cores} cores, so
  {cores} × 1 s / {total:.0f} µs = **{cores * 1e6 / total:,.0f} records/s** is the most any overlap can give here):

| process | CPU | per record |
|---|---|---|
{cpu_rows}
| all | {sum(cpu.values()):.2f} s | {total:.0f} µs |

- A 10-minute Neo4j outage at 500 records/s leaves {OUTAGE_RECORDS:,} records: {"measured" if measured else "extrapolated linearly from the measured rate (the backlog grows the graph, so later records may resolve slower: an estimate)"} **{outage / 60:.1f} min** to drain.
- Goal ≥ 5,000 records/s resolved: {"met" if rate >= 5000 else "not met (see the profile notes below)"}.
"""


async def measure(args: argparse.Namespace, settings: Settings) -> str:
    collector.tune(settings.gc_gen0_threshold)  # as the API and `c360 relay` do
    loads = [("start", os.getloadavg())]
    await empty(settings)
    accepted = await ack_latency(settings, args.batches, 0.0, "ack")
    await empty(settings)  # the accepted batches are left pending: the next run must not drain them first
    waited = await ack_latency(settings, args.batches, settings.ingest_wait, "sync")
    loads.append(("after the latency runs", os.getloadavg()))
    await empty(settings)
    enqueue, drain, cpu = await backlog_drain(settings, args.backlog)
    loads.append(("after the drain", os.getloadavg()))
    return report(args, accepted, waited, enqueue, drain, cpu, loads)


def main(args: argparse.Namespace) -> None:
    size = data.SIZES["s"]
    try:
        settings = data.bench_settings(size).model_copy(
            update={"relay_batch_records": args.budget, "relay_pipeline": args.pipeline}
        )
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
    parser.add_argument("--budget", type=int, default=2000, help="records per Neo4j transaction of the relay")
    parser.add_argument(
        "--pipeline", type=int, default=4, help="Neo4j transactions pipelined per relay claim"
    )
    parser.add_argument("--notes", default="", help="text appended to the report")
    parser.add_argument("--keep-servers", action="store_true")
    main(parser.parse_args())
