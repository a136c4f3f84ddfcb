"""The stewards' review queue: customer pairs the evidence does not settle, and their decisions.

Candidates are raised inside the relay's claim transaction (a deterministic link whose records' attributes clearly
disagree; later the probabilistic matcher between its thresholds), one row per pair, never asked twice. A steward's
decision, like a merge by hand, is committed with an event of the identity stream and applied by the relay in
order with ingestion; the candidate's decision is kept from that commit on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from core import outbox
from core.errors import AlreadyDecided, BadUserInput, ClientError, NotFound
from core.postgres import Database
from core.visibility import EVERYTHING, Visible
from subgraphs.kit.sources import DataSources
from subgraphs.profiles.events import AGGREGATE, DECISION, SCHEMA, STREAM
from subgraphs.profiles.ingestion import wait_for


@dataclass(frozen=True)
class Raised:
    """A candidate pair as the planner raised it."""

    customer: str
    other: str
    record: str
    rule: str
    identifiers: tuple[str, ...]
    comparisons: tuple[dict[str, Any], ...]
    method: str = "deterministic"
    score: float | None = None


async def raise_candidates(conn: asyncpg.Connection, raised: Iterable[Raised], into: dict[str, str]) -> None:
    """Add the pairs the relay's plans raised (customers as they ended the claim; a pair already asked stays)."""
    rows: dict[tuple[str, str], Raised] = {}
    for r in raised:
        a, b = sorted((into.get(r.customer, r.customer), into.get(r.other, r.other)))
        if a != b:
            rows.setdefault((a, b), r)
    if not rows:
        return
    await conn.execute(
        "INSERT INTO profiles.match_candidates (customer_a, customer_b, record, method, rule, score, identifiers,"
        " comparisons) SELECT a, b, record, method, rule, score, identifiers::jsonb, comparisons::jsonb"
        " FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[],"
        " $8::text[]) AS r(a, b, record, method, rule, score, identifiers, comparisons)"
        " ON CONFLICT (customer_a, customer_b) DO NOTHING",
        [uuid.UUID(a) for a, _ in rows],
        [uuid.UUID(b) for _, b in rows],
        [r.record for r in rows.values()],
        [r.method for r in rows.values()],
        [r.rule for r in rows.values()],
        [r.score for r in rows.values()],
        # JSON arrays travel as text: a list of lists would be read as a two-dimensional array.
        [orjson.dumps(list(r.identifiers)).decode() for r in rows.values()],
        [orjson.dumps(list(r.comparisons)).decode() for r in rows.values()],
    )


_OPEN = """
    FROM profiles.match_candidates m
    LEFT JOIN profiles.customer_aliases x ON x.alias_id = m.customer_a
    LEFT JOIN profiles.customer_aliases y ON y.alias_id = m.customer_b
    WHERE m.status = 'open' AND coalesce(x.customer_id, m.customer_a) <> coalesce(y.customer_id, m.customer_b)
"""
"""Open candidates whose customers (followed through merges since) are still two."""


async def page(db: Database, first: int, after: int | None, min_score: float | None) -> list[asyncpg.Record]:
    """Open candidates in the order they were raised, after a cursor, at least ``min_score`` when given (then
    only scored candidates)."""
    return await db.fetch(
        "SELECT m.id, coalesce(x.customer_id, m.customer_a)::text AS customer,"
        " coalesce(y.customer_id, m.customer_b)::text AS other, m.record, m.method, m.rule, m.score,"
        " m.identifiers, m.comparisons, m.created_at"
        + _OPEN
        + " AND ($2::bigint IS NULL OR m.id > $2) AND ($3::float8 IS NULL OR m.score >= $3) ORDER BY m.id LIMIT $1",
        first,
        after,
        min_score,
    )


async def open_count(db: Database) -> int:
    count: int = await db.fetchval("SELECT count(*)" + _OPEN)
    return count


@dataclass(frozen=True)
class DecisionOutcome:
    customer_ids: list[str]
    """The customers after the decision: one when merged, two when kept apart; empty while it waits."""
    applied: bool


async def resolve(
    sources: DataSources, candidate_id: int, merge: bool, actor: str, rows: Visible = EVERYTHING
) -> DecisionOutcome:
    """A steward's decision on a candidate: kept at once, applied to the graph by the relay in stream order."""
    db = sources.postgres.db(SCHEMA)
    async with db.transaction() as conn:
        row = await conn.fetchrow(
            "SELECT m.status, coalesce(x.customer_id, m.customer_a)::text AS a,"
            " coalesce(y.customer_id, m.customer_b)::text AS b, m.identifiers"
            " FROM profiles.match_candidates m"
            " LEFT JOIN profiles.customer_aliases x ON x.alias_id = m.customer_a"
            " LEFT JOIN profiles.customer_aliases y ON y.alias_id = m.customer_b"
            " WHERE m.id = $1 FOR UPDATE OF m",
            candidate_id,
        )
        if row is None or not (rows.sees_customer(row["a"]) and rows.sees_customer(row["b"])):
            raise NotFound("match candidate", str(candidate_id))
        if row["status"] != "open":
            raise AlreadyDecided(
                f"Match candidate {candidate_id} was decided already ({row['status'].replace('_', ' ')}): "
                "a pair is asked once",
                status=row["status"].upper(),
            )
        await conn.execute(
            "UPDATE profiles.match_candidates SET status = $2, decided_at = now(), decided_by = $3 WHERE id = $1",
            candidate_id,
            "merged" if merge else "kept_apart",
            actor,
        )
        event_id = await _emit(
            conn, (row["a"], row["b"]), merge, f"candidate:{candidate_id}", row["identifiers"]
        )
    return await _outcome(sources, db, event_id)


async def merge_by_hand(
    sources: DataSources, customer_id: str, other_id: str, actor: str, rows: Visible = EVERYTHING
) -> DecisionOutcome:
    """A steward's merge of two customers (reversible by ``unmergeCustomer``, like any merge)."""
    if customer_id == other_id:
        raise BadUserInput("Name two different customers to merge")
    db = sources.postgres.db(SCHEMA)
    async with db.transaction() as conn:
        for id in (customer_id, other_id):
            known = await conn.fetchval(
                "SELECT 1 FROM profiles.customers WHERE id = $1::uuid"
                " UNION ALL SELECT 1 FROM profiles.customer_aliases WHERE alias_id = $1::uuid LIMIT 1",
                id,
            )
            if not known or not rows.sees_customer(id):
                raise NotFound("customer", id)
        event_id = await _emit(conn, (customer_id, other_id), True, f"steward:{actor}", [])
    return await _outcome(sources, db, event_id)


async def _emit(
    conn: asyncpg.Connection, customers: tuple[str, str], merge: bool, record: str, identifiers: Sequence[str]
) -> int:
    return await outbox.emit(
        conn,
        SCHEMA,
        DECISION,
        AGGREGATE,
        {"customers": list(customers), "merge": merge, "record": record, "identifiers": list(identifiers)},
        stream=STREAM,
    )


async def _outcome(sources: DataSources, db: Database, event_id: int) -> DecisionOutcome:
    result = await wait_for(sources, db, event_id)
    if result is None:
        return DecisionOutcome([], applied=False)
    if "error" in result:
        error = ClientError(result["error"]["message"])
        error.extensions = dict(result["error"]["extensions"])
        raise error
    return DecisionOutcome(list(result["customers"]), applied=True)
