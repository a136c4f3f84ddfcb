"""``c360 ingest``: a file of source records through the same ingestion path as the GraphQL mutation."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from tqdm import tqdm

from c360.ingest import Unreadable, count_lines, read
from core.postgres import Postgres
from core.settings import Settings
from graph_store.constraints import ensure_constraints
from graph_store.driver import GraphStore
from graph_store.resolution.records import Rejection, SourceRecord
from subgraphs.kit.sources import DataSources
from subgraphs.profiles.ingestion import Accepted, ingest, keep_unreadable
from subgraphs.profiles.relay import relaying


@dataclass
class Summary:
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        parts = ", ".join(
            f"{self.counts[s]} {s}"
            for s in ("created", "linked", "merged", "unchanged", "rejected", "accepted")
            if s != "accepted" or self.counts[s]
        )
        rate = self.records / self.seconds if self.seconds else 0.0
        return f"ingested {self.records} records in {self.seconds:.1f}s ({rate:.0f}/s): {parts}"


async def ingest_file(
    settings: Settings, path: Path, system: str, batch_size: int, wait: float = 60.0
) -> Summary:
    """Each batch is committed with its outbox event, then resolved by a relay running beside the job; a batch
    waits up to ``wait`` seconds for its outcome (``accepted`` in the summary past that, or while Neo4j is down)."""
    postgres = Postgres(settings)
    await postgres.start()
    graph = GraphStore(settings)
    summary = Summary()
    started = time.perf_counter()
    try:
        await ensure_constraints(graph)
        items = read(path, system)
        async with relaying(settings) as outcomes:
            sources = DataSources(settings, postgres, graph, outcomes)
            with tqdm(total=count_lines(path), unit="records", desc="ingesting") as bar:
                while chunk := list(islice(items, batch_size)):
                    records = [item for item in chunk if isinstance(item, SourceRecord)]
                    unreadable: list[Rejection] = [
                        item.rejection for item in chunk if isinstance(item, Unreadable)
                    ]
                    await keep_unreadable(postgres.db("profiles"), unreadable, settings)
                    summary.counts["rejected"] += len(unreadable)
                    if records:
                        result = await ingest(sources, records, wait)
                        for outcome in result.results:
                            summary.counts[_status(outcome)] += 1
                    bar.update(len(chunk))
    finally:
        await postgres.close()
        await graph.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _status(outcome: object) -> str:
    if isinstance(outcome, Rejection):
        return "rejected"
    if isinstance(outcome, Accepted):
        return "accepted"
    return str(getattr(outcome, "status"))  # noqa: B009
