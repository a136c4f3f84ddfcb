"""Identity-resolution quality and speed, on data with known truth. Run on demand, not in tests:

    uv run --group bench python -m bench.identity_eval --mode offline [--sets synthetic,febrl1,febrl2,febrl3,febrl4]
        [--people 3000] [--model train|config] [--batch 1000]
    uv run --group bench python -m bench.identity_eval --mode ingest [--sets synthetic,febrl1,febrl2] [--batch 500]
        [--model train|config] [--explain]
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
  ``C360_EVAL_NEO4J_PORT``; stopped at the end unless ``--keep-servers``), so nothing else is touched, in the same
  stream order as offline. ``--model train``
  (the default) does what a deployment does before it points ``C360_MATCHING_CONFIG`` at a model of its own: it
  trains one with ``c360 matching train`` on the set's records as the API validates them (``model_input``: what
  the relay scores), writes it with a matching configuration holding the repository's thresholds under
  ``var/eval/matching/<set>/``, and the relay resolves the set with it; ``--model config`` uses the repository's
  configuration. ``--explain`` tallies, for the clusters joining different people, the identity events that
  joined records of different people (kind, rule, identifier types).

Both print pairwise precision, recall and F1, B-cubed F1, clusters against truth, the clusters that join different
people, the largest cluster and the rate; offline adds the review queue, the blocking recall and candidates per
record, and the synthetic set's evidence ceiling. The data sets are in ``bench/identity_sets.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from bench.identity_offline import BATCH, HEADER, Quality
from bench.identity_offline import evaluate as evaluate_offline
from bench.identity_sets import DataSet, Labelled, evidence_ceiling, febrl, matching_record, synthetic
from c360 import services
from core import migrations
from core.errors import InvalidIdentifier
from core.postgres import Postgres
from core.settings import PROJECT_ROOT, Settings
from graph_store.constraints import ensure_constraints
from graph_store.driver import GraphStore
from graph_store.identifiers import normalize
from graph_store.identity import clear
from graph_store.resolution.matchable import model_input
from graph_store.resolution.matching import Model, load_config
from graph_store.resolution.matching.dates import birth_date
from graph_store.resolution.plan import Outcome
from graph_store.resolution.records import RawIdentifier, SourceRecord, ValidRecord, validate
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
    model: str
    records: int
    rejected: int
    precision: float
    recall: float
    f1: float
    clusters: int
    true_clusters: int
    impure_clusters: int
    largest: int
    review_pairs: int
    review_customers: int
    seconds: float
    ceiling: float | None = None
    causes: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        rate = self.records / self.seconds if self.seconds else 0.0
        ceiling = f"{self.ceiling:.4f}" if self.ceiling is not None else "-"
        return (
            f"| {self.name} | {self.model} | {self.records:,} | {self.rejected:,} | {self.precision:.4f} | "
            f"{self.recall:.4f} | {self.f1:.4f} | {ceiling} | {self.clusters:,} vs {self.true_clusters:,} | "
            f"{self.impure_clusters} | {self.largest} | {self.review_pairs:,} | {self.review_customers:,} "
            f"({self.review_customers / self.records:.1%}) | {rate:,.0f} |"
        )


INGEST_HEADER = (
    "| data set | model | records | rejected | precision | recall | F1 | evidence ceiling | clusters vs truth "
    "| clusters joining people | largest | review pairs | customers in review (of records) | records/s |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def _pairs(sizes: Counter[object]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes.values())


def _stream(data: DataSet) -> list[Labelled]:
    """The records in arrival order, as offline: observation time, then as listed; a linkage's second file after
    its first."""
    return sorted(data.records, key=lambda item: (item.side, item.observed_at))


OPEN_REVIEWS = """
    SELECT coalesce(x.customer_id, m.customer_a)::text AS a, coalesce(y.customer_id, m.customer_b)::text AS b
    FROM profiles.match_candidates m
    LEFT JOIN profiles.customer_aliases x ON x.alias_id = m.customer_a
    LEFT JOIN profiles.customer_aliases y ON y.alias_id = m.customer_b
    WHERE m.status = 'open' AND coalesce(x.customer_id, m.customer_a) <> coalesce(y.customer_id, m.customer_b)
"""
"""The open review queue as ``matchCandidates`` lists it: pairs followed through later merges, still two."""


async def through_ingest(data: DataSet, settings: Settings, batch: int, model: str, explain: bool) -> Report:
    postgres = Postgres(settings)
    await postgres.start()
    graph = GraphStore(settings)
    stream = _stream(data)
    records = [source_record(item) for item in stream]
    try:
        await ensure_constraints(graph)
        await clear(graph)
        conn = await asyncpg.connect(settings.migration_dsn_for("profiles"))  # truncating is the owner's
        await conn.execute(
            "TRUNCATE profiles.customers, profiles.customer_aliases, profiles.field_provenance,"
            " profiles.rejected_records, profiles.source_records, profiles.source_record_claims,"
            " profiles.customer_identifiers, profiles.match_keys, profiles.match_candidates, profiles.outbox"
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
            "MATCH (sr:SourceRecord)-[:RESOLVES_TO]->(c:Customer) RETURN sr.key AS key, c.id AS customer,"
            " sr.origin AS origin"
        )
        final = {r["key"]: r["customer"] for r in rows}
        origin = {r["key"]: r["origin"] for r in rows}
        reviews = await postgres.db("profiles").fetch(OPEN_REVIEWS)
        events = (
            await graph.read(
                "MATCH (e:IdentityEvent)-[:ABOUT]->(c:Customer) WHERE e.kind IN ['merge', 'link']"
                " RETURN e.kind AS kind, e.record AS record, e.rule AS rule, e.other AS other,"
                " e.identifiers AS identifiers, e.score AS score, c.id AS customer ORDER BY id(e)"
            )
            if explain
            else []
        )
    finally:
        await postgres.close()
        await graph.close()
    person_of = {record.key: item.person for record, item in zip(records, stream, strict=True)}
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
    impure = {c for c, people in people_in.items() if len(people) > 1}
    causes = _causes(events, final, origin, person_of, impure, stream) if explain else Counter()
    return Report(
        data.name,
        model,
        len(records),
        rejected,
        precision,
        recall,
        f1,
        len(sizes),
        len({person_of[k] for k in kept}),
        len(impure),
        max(sizes.values(), default=0),
        len(reviews),
        len({c for r in reviews for c in (r["a"], r["b"])}),
        seconds,
        data.ceiling,
        causes,
    )


def _causes(
    events: Sequence[Mapping[str, Any]],
    final: dict[str, str],
    origin: dict[str, str],
    person_of: dict[str, str],
    impure: set[str],
    stream: list[Labelled],
) -> Counter[str]:
    """For the clusters joining different people, the events that joined records of different people, tallied by
    kind, rule and the identifier types that decided them (with how many people the set's records give that
    identifier). Sides are replayed from the events in creation order over each record's first customer; an
    event is a wrong join when the record behind it has no record of its own person on a side it joined."""
    carriers: dict[str, set[str]] = defaultdict(set)
    for item in stream:
        for kind, value, app_id in item.identifiers:
            with contextlib.suppress(InvalidIdentifier):
                carriers[normalize(kind, value, region="CN", app_id=app_id).key].add(item.person)
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while c in parent:
            c = parent[c]
        return c

    members: dict[str, set[str]] = defaultdict(set)
    for key, first in origin.items():
        if first is not None:
            members[first].add(key)

    def persons(customer: str, leave_out: str) -> set[str]:
        root = find(customer)
        return {person_of[k] for c in members if find(c) == root for k in members[c] if k != leave_out}

    tally: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for e in events:
        record, customer = e["record"], e["customer"]
        sides = [customer] if e["kind"] == "link" else [customer, e["other"]]
        wrong = (
            record in person_of
            and final.get(record) in impure
            and any(person_of[record] not in persons(side, record) for side in sides)
        )
        if wrong:
            shared = sorted(e["identifiers"] or ())
            kinds = "+".join(sorted({i.split(":", 1)[0] for i in shared})) or "none"
            spread = max((len(carriers.get(i, ())) for i in shared), default=0)
            score = e["score"]
            cause = f"{e['kind']} by {e['rule']!r}, identifiers {kinds}" + (
                f" (carried by {spread} people)" if shared else ""
            )
            if score is not None:
                cause += ", scored" + (" >= 6" if score >= 6 else " < 6")
            tally[cause] += 1
            examples[cause].append(f"{record} score={score} ids={shared}")
        if e["kind"] == "merge" and e["other"]:
            gone, kept = find(e["other"]), find(customer)
            if gone != kept:
                parent[gone] = kept
    for cause, found in examples.items():
        print(f"  {cause}: {len(found)}; e.g. {'; '.join(found[:3])}", file=sys.stderr)
    return tally


def _eval_settings() -> Settings:
    return Settings(
        _env_file=None,
        state_dir=PROJECT_ROOT / "var" / "eval",
        local_pg_port=int(os.environ.get("C360_EVAL_PG_PORT", 54349)),
        local_neo4j_bolt_port=int(os.environ.get("C360_EVAL_NEO4J_PORT", 17707)),
    )


def prepare_servers() -> Settings:
    """Own servers for the evaluation, migrated; nothing else is touched."""
    settings = services.ensure(_eval_settings())
    migrations.upgrade(settings)
    return settings


def stop_servers() -> None:
    """Stop the evaluation's own servers (their data stay under ``var/eval``)."""
    from c360.services import neo4j, postgres

    neo4j.LocalNeo4j(_eval_settings()).stop()
    postgres.LocalPostgres(_eval_settings()).stop()


def deployment_model(data: DataSet, settings: Settings, rules: MatchingRules) -> Path:
    """What a deployment does for a source of its own: a training sample of its records as the API validates
    them (``model_input``, what the relay scores; a linkage's two files apart), a model trained on it by
    ``c360 matching train``, and a matching configuration naming it with the repository's thresholds. Returns
    the configuration, under ``var/eval/matching/<set>/``."""
    folder = settings.state_dir / "matching" / data.name
    folder.mkdir(parents=True, exist_ok=True)
    sides = sorted({item.side for item in data.records}) if data.link else [0]
    inputs: list[Path] = []
    for side in sides:
        path = folder / f"sample-{side}.jsonl"
        with path.open("wb") as out:
            for item in data.records:
                if data.link and item.side != side:
                    continue
                valid = validate(source_record(item), settings.default_phone_region)
                if isinstance(valid, ValidRecord):
                    sample = model_input(valid.attributes, (i for i, _ in valid.identifiers), rules)
                    out.write(orjson.dumps(sample) + b"\n")
        inputs.append(path)
    model = folder / "model.json"
    command = [sys.executable, "-m", "c360", "matching", "train", "--out", str(model), "--version", "1"]
    command += [arg for path in inputs for arg in ("--input", str(path))]
    command += ["--description", f"{data.name}, every record, trained for the ingest evaluation"]
    subprocess.run(command, check=True, cwd=PROJECT_ROOT)
    repository = tomllib.loads(Path(settings.matching_config).read_text())
    thresholds = "\n".join(f"{k} = {float(v)!r}" for k, v in repository["thresholds"].items())
    config = folder / "matching.toml"
    config.write_text(
        f"# Written by bench.identity_eval: {data.name}'s own model, the repository's thresholds.\n"
        f'model = "model.json"\n\n[thresholds]\n{thresholds}\n'
    )
    load_config(config)  # refuses a model or configuration the relay could not use
    return config


async def ingest_mode(
    settings: Settings, names: list[str], people: int, batch: int, model_source: str, explain: bool
) -> None:
    rules = load_rules()
    reports = []
    for name in names:
        data = load(name, people, rules)
        if model_source == "train":
            config = deployment_model(data, settings, rules)
            label = f"{name}'s own (`{config.relative_to(PROJECT_ROOT)}`)"
        else:
            config = Path(settings.matching_config)
            label = f"`{load_config(config).model_path.name}` (repository)"
        serving = settings.model_copy(update={"matching_config": config})
        reports.append(await through_ingest(data, serving, batch, label, explain))
    print(f"ingest: rules {settings.identity_rules}; batch {batch}; stream order (observation time)")
    print(INGEST_HEADER)
    for report in reports:
        print(report.line())
    for report in reports:
        if report.causes:
            print(f"\n{report.name}: events joining records of different people, by cause")
            for cause, count in report.causes.most_common():
                print(f"- {count} {cause}")


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
    parser.add_argument(
        "--model",
        choices=("train", "config"),
        default="train",
        help="train: a model trained on each set; config: the repository's (config/matching/matching.toml)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="ingest: the causes of the clusters joining different people"
    )
    parser.add_argument("--write-sample", type=Path, default=None, help="write a training sample and stop")
    parser.add_argument(
        "--keep-servers", action="store_true", help="ingest: leave the evaluation's servers running"
    )
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
        try:
            asyncio.run(
                ingest_mode(
                    prepare_servers(), names, people, min(args.batch or 500, 1000), args.model, args.explain
                )
            )
        finally:
            if not args.keep_servers:
                stop_servers()


if __name__ == "__main__":
    main()
