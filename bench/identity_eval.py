"""Identity-resolution quality and speed, on data with known truth. Run on demand, not in tests:

    uv run --group bench python -m bench.identity_eval --mode offline [--sets synthetic,febrl1,febrl2,febrl3,febrl4]
        [--people 3000] [--model train|config] [--batch 1000]
    uv run --group bench python -m bench.identity_eval --mode ingest [--sets synthetic,febrl1,febrl2] [--batch 500]
    uv run --group bench python -m bench.identity_eval --write-sample var/matching/sample.jsonl [--people 3000]

Two modes:

- *offline*: the matching model alone, no server: the records arrive in stream order in batches (``--batch``,
  1,000), and each batch is resolved as the relay resolves it: blocking keys, the in-process scorer and the
  decision policy (``graph_store.resolution.matching.decide``) with the thresholds of
  ``config/matching/matching.toml`` (``bench/identity_offline.py``), so the model's quality is known before
  ingestion uses it. ``--model train`` (the default) trains a model on each set first, unsupervised, as Splink is
  used on a new data set; ``--model config`` scores with the repository's artefact.
- *ingest*: every record through the same path as ``ingestSourceRecords`` (PostgreSQL, the outbox, the relay,
  Neo4j), on servers of its own under ``var/eval`` (ports 54349 and 17707, or ``C360_EVAL_PG_PORT`` and
  ``C360_EVAL_NEO4J_PORT``), so nothing else is touched.

Both print pairwise precision, recall and F1, B-cubed F1, clusters against truth, the clusters that join different
people, the largest cluster and the rate; offline adds the review queue, the blocking recall and candidates per
record, and the synthetic set's evidence ceiling. The data sets are in ``bench/identity_sets.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import asyncpg
import orjson

from bench.identity_offline import BATCH, HEADER, Quality
from bench.identity_offline import evaluate as evaluate_offline
from bench.identity_sets import DataSet, Labelled, evidence_ceiling, febrl, matching_record, synthetic
from c360 import services
from core import migrations
from core.postgres import Postgres
from core.settings import PROJECT_ROOT, Settings
from graph_store.constraints import ensure_constraints
from graph_store.driver import GraphStore
from graph_store.identity import clear
from graph_store.resolution.matching import Model, load_config
from graph_store.resolution.matching.dates import birth_date
from graph_store.resolution.plan import Outcome
from graph_store.resolution.records import RawIdentifier, SourceRecord
from graph_store.resolution.rules import MatchingRules, load_rules
from subgraphs.kit.sources import DataSources
from subgraphs.profiles.ingestion import ingest
from subgraphs.profiles.relay import relaying

SETS = ("synthetic", "febrl1", "febrl2", "febrl3", "febrl4")


def load(name: str, people: int, rules: MatchingRules) -> DataSet:
    if name == "synthetic":
        data = synthetic(people)
        data.ceiling = evidence_ceiling(data, rules)
        return data
    return febrl(int(name.removeprefix("febrl")))


# Offline ------------------------------------------------------------------------------------------------------


def trained_model(data: DataSet, rules: MatchingRules) -> Model:
    from c360.matching.train import train

    records = [matching_record(item, rules) for item in data.records]
    if data.link:
        sides = [[r for r, item in zip(records, data.records, strict=True) if item.side == s] for s in (0, 1)]
        return train(sides, version=1, link_type="link_only", description=data.name)
    return train([records], version=1, description=data.name)


def offline(names: list[str], people: int, model_source: str, batch: int) -> None:
    config = load_config()
    rules = load_rules()
    print(
        f"offline: thresholds merge_at {config.thresholds.merge_at}, review_at {config.thresholds.review_at}, "
        f"conflict_below {config.thresholds.conflict_below} (config/matching/matching.toml); batches of {batch} "
        "in stream order; model: "
        + ("trained on each set (unsupervised)" if model_source == "train" else str(config.model_path))
    )
    results: list[Quality] = []
    for name in names:
        data = load(name, people, rules)
        started = time.perf_counter()
        model = trained_model(data, rules) if model_source == "train" else config.model
        trained = time.perf_counter() - started
        results.append(evaluate_offline(data, model, config.thresholds, rules, batch))
        print(f"  {data.name}: {len(data.records):,} records, model in {trained:.1f} s", file=sys.stderr)
    print(HEADER)
    for quality in results:
        print(quality.line())


# Through the ingest path --------------------------------------------------------------------------------------


def source_record(item: Labelled) -> SourceRecord:
    """The labelled record as a source sends it: its names (parts, or the full name), address lines, postcode,
    city and region, the birth date as written beside its ISO form when it reads as a date; identifiers as
    written."""
    a = item.attributes
    attributes = {
        name: a.get(name)
        for name in (
            "given_name", "family_name", "full_name", "gender", "address", "address_2", "postcode", "city", "region"
        )
    }  # fmt: skip
    written = a.get("birth_date")
    born = birth_date(written).full
    if born:
        with contextlib.suppress(ValueError):
            attributes["birth_date"] = date.fromisoformat(born).isoformat()
    if written and str(written) != attributes.get("birth_date"):
        attributes["birth_date_as_written"] = str(written)
    return SourceRecord(
        item.system,
        item.external_id,
        item.observed_at,
        {k: v for k, v in attributes.items() if v},
        tuple(RawIdentifier(kind, value, app_id) for kind, value, app_id in item.identifiers),
    )


@dataclass
class Report:
    name: str
    records: int
    rejected: int
    precision: float
    recall: float
    f1: float
    clusters: int
    true_clusters: int
    impure_clusters: int
    largest: int
    seconds: float

    def line(self) -> str:
        rate = self.records / self.seconds if self.seconds else 0.0
        return (
            f"| {self.name} | {self.records:,} | {self.rejected:,} | {self.precision:.4f} | {self.recall:.4f} | "
            f"{self.f1:.4f} | {self.clusters:,} vs {self.true_clusters:,} | {self.impure_clusters} | "
            f"{self.largest} | {rate:,.0f} |"
        )


def _pairs(sizes: Counter[object]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes.values())


async def through_ingest(data: DataSet, settings: Settings, batch: int) -> Report:
    postgres = Postgres(settings)
    await postgres.start()
    graph = GraphStore(settings)
    records = [source_record(item) for item in data.records]
    try:
        await ensure_constraints(graph)
        await clear(graph)
        conn = await asyncpg.connect(settings.migration_dsn_for("profiles"))  # truncating is the owner's
        await conn.execute(
            "TRUNCATE profiles.customers, profiles.customer_aliases, profiles.field_provenance,"
            " profiles.rejected_records, profiles.source_records, profiles.source_record_claims,"
            " profiles.customer_identifiers, profiles.outbox"
        )
        await conn.close()
        async with relaying(settings) as outcomes:
            sources = DataSources(settings, postgres, graph, outcomes)
            rejected = 0
            started = time.perf_counter()
            for start in range(0, len(records), batch):
                result = await ingest(sources, records[start : start + batch], 600.0)
                rejected += sum(1 for outcome in result.results if not isinstance(outcome, Outcome))
            seconds = time.perf_counter() - started
        rows = await graph.read(
            "MATCH (sr:SourceRecord)-[:RESOLVES_TO]->(c:Customer) RETURN sr.key AS key, c.id AS customer"
        )
        final = {r["key"]: r["customer"] for r in rows}
    finally:
        await postgres.close()
        await graph.close()
    person_of = {record.key: item.person for record, item in zip(records, data.records, strict=True)}
    kept = [key for key in final if key in person_of]
    predicted = _pairs(Counter(final[k] for k in kept))
    truth = _pairs(Counter(person_of[k] for k in kept))
    true_positive = _pairs(Counter((final[k], person_of[k]) for k in kept))
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / truth if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    people_in: dict[str, set[str]] = defaultdict(set)
    for key in kept:
        people_in[final[key]].add(person_of[key])
    sizes = Counter(final[k] for k in kept)
    return Report(
        data.name,
        len(records),
        rejected,
        precision,
        recall,
        f1,
        len(sizes),
        len({person_of[k] for k in kept}),
        sum(1 for people in people_in.values() if len(people) > 1),
        max(sizes.values(), default=0),
        seconds,
    )


def prepare_servers() -> Settings:
    """Own servers for the evaluation, migrated; nothing else is touched."""
    base = Settings(
        _env_file=None,
        state_dir=PROJECT_ROOT / "var" / "eval",
        local_pg_port=int(os.environ.get("C360_EVAL_PG_PORT", 54349)),
        local_neo4j_bolt_port=int(os.environ.get("C360_EVAL_NEO4J_PORT", 17707)),
    )
    settings = services.ensure(base)
    migrations.upgrade(settings)
    return settings


async def ingest_mode(settings: Settings, names: list[str], people: int, batch: int) -> None:
    rules = load_rules()
    reports = [await through_ingest(load(name, people, rules), settings, batch) for name in names]
    print(f"ingest: rules {settings.identity_rules}; batch {batch}")
    print(
        "| data set | records | rejected | precision | recall | F1 | clusters vs truth | clusters joining people "
        "| largest | records/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for report in reports:
        print(report.line())


def write_sample(path: Path, people: int) -> None:
    """The synthetic set as JSON lines of matching records (the training command's input), without labels."""
    rules = load_rules()
    data = synthetic(people)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for item in data.records:
            out.write(orjson.dumps(matching_record(item, rules)) + b"\n")
    print(f"{len(data.records):,} records of {people:,} synthetic people written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Identity-resolution quality and speed on labelled data.")
    parser.add_argument("--mode", choices=("offline", "ingest"), default="offline")
    parser.add_argument("--sets", default=None, help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument(
        "--people", type=int, default=3000, help="people in the synthetic set (at most 50,000)"
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="records per batch (ingest: 500, at most 1,000; offline: 1,000)",
    )
    parser.add_argument("--model", choices=("train", "config"), default="train", help="offline: which model")
    parser.add_argument("--write-sample", type=Path, default=None, help="write a training sample and stop")
    args = parser.parse_args()
    people = min(args.people, 50_000)
    if args.write_sample:
        write_sample(args.write_sample, people)
        return
    default = SETS if args.mode == "offline" else ("synthetic", "febrl1", "febrl2")
    names = args.sets.split(",") if args.sets else list(default)
    unknown = set(names) - set(SETS)
    if unknown:
        parser.error(f"unknown data sets: {', '.join(sorted(unknown))}")
    if args.mode == "offline":
        offline(names, people, args.model, args.batch or BATCH)
    else:
        asyncio.run(ingest_mode(prepare_servers(), names, people, min(args.batch or 500, 1000)))


if __name__ == "__main__":
    main()
