"""Ingesting source records: validate, keep rejections for review, resolve identities, rewrite golden records.

The identity graph is written first (one transaction per batch), then the golden records (one PostgreSQL
transaction). Re-ingesting a batch is safe: records already stored with the same content are left alone, and the
golden records of every customer the batch names are recomputed from all their source records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import BadUserInput
from core.postgres import Database
from graph_store.resolution.ingest import BatchResult, ingest_batch
from graph_store.resolution.plan import Outcome
from graph_store.resolution.records import Rejection, SourceRecord, ValidRecord, validate
from graph_store.resolution.rules import MatchingRules
from subgraphs.kit.sources import DataSources
from subgraphs.profiles import golden

MAX_BATCH = 1000


@dataclass(frozen=True)
class IngestResult:
    results: list[Outcome | Rejection]
    """One per record, in the order given."""


async def keep_rejected(db: Database, rejected: Sequence[Rejection]) -> None:
    """Store rejected records whole, with their errors, for review (``rejectedRecords``)."""
    if not rejected:
        return
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO profiles.rejected_records (system, external_id, errors, payload) VALUES ($1, $2, $3, $4)",
            [
                (r.record.system, r.record.external_id, [e.as_dict() for e in r.errors], r.record.payload())
                for r in rejected
            ],
        )


async def ingest(sources: DataSources, records: Sequence[SourceRecord], rules: MatchingRules) -> IngestResult:
    if len(records) > MAX_BATCH:
        raise BadUserInput(f"At most {MAX_BATCH} records per call, got {len(records)}; split the batch")
    checked = [validate(r, sources.settings.default_phone_region) for r in records]
    rejected = [c for c in checked if isinstance(c, Rejection)]
    valid = [c for c in checked if isinstance(c, ValidRecord)]
    db = sources.postgres.db("profiles")
    await keep_rejected(db, rejected)
    result = await ingest_batch(sources.graph, valid, rules) if valid else BatchResult([], {}, {})
    await golden.apply(db, result, rules)
    outcomes = iter(result.outcomes)
    return IngestResult([c if isinstance(c, Rejection) else next(outcomes) for c in checked])
