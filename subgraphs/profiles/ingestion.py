"""Ingesting source records: validate, keep rejections for review, commit the rest in PostgreSQL, await the relay.

One PostgreSQL transaction holds everything the caller is told about: the rejected records, each accepted
record's row (``profiles.source_records``, the payload as received) and one outbox event carrying the validated
records. Once it commits the records are durable, whatever happens to Neo4j. The relay (``relay.py``) resolves
identities in the graph and writes the clustering and golden records back; the call waits for that outcome up to
``ingest_wait`` seconds and answers it, or answers ``accepted`` for the records still on their way
(``ingestOutcomes`` gives their outcome later).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from core import masking, outbox
from core.deadlines import seconds_left
from core.erasure import Keyring, keyring_or_none
from core.errors import BadUserInput, ClientError, InvalidIdentifier, NotFound
from core.postgres import Database
from core.settings import Settings
from core.visibility import EVERYTHING, Visible
from graph_store.identifiers import normalize
from graph_store.resolution.ingest import decode_outcome
from graph_store.resolution.plan import Outcome
from graph_store.resolution.records import FieldError, Rejection, SourceRecord, ValidRecord, validate
from graph_store.resolution.rules import rules_at
from subgraphs.kit.sources import DataSources
from subgraphs.profiles import consent
from subgraphs.profiles.consent import Decision
from subgraphs.profiles.events import AGGREGATE, INGEST, SCHEMA, SPLIT, STREAM

MAX_BATCH = 1000


@dataclass(frozen=True)
class Accepted:
    """A record durable in PostgreSQL whose identity resolution had not finished when the call answered."""

    key: str
    dropped: tuple[FieldError, ...] = ()
    """Identifiers that could not be normalised: the record goes on without them."""


@dataclass(frozen=True)
class IngestResult:
    results: list[Outcome | Rejection | Accepted]
    """One per record, in the order given."""


def _storable(value: Any) -> Any:
    """A received value PostgreSQL can keep: NUL characters (refused in text and JSON) become U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


IDENTIFIER_MASKS = {"phone": masking.phone, "email": masking.email, "national_id": masking.national_id}
NAMES = frozenset({"given_name", "family_name"})


def _minimised(rejection: Rejection) -> dict[str, Any]:
    """The record as received, with every value masked but the ones its errors name (which they quote anyway): a
    reviewer sees what was wrong and the shape of the rest, not a national id that was valid."""
    offending = {e.field for e in rejection.errors}
    payload = rejection.record.payload()

    def attribute(name: str, value: Any) -> Any:
        if not isinstance(value, str) or f"attributes.{name}" in offending:
            return value
        return masking.name(value) if name in NAMES else masking.text(value)

    payload["attributes"] = {k: attribute(k, v) for k, v in payload["attributes"].items()}
    for n, identifier in enumerate(payload["identifiers"]):
        if f"identifiers[{n}].{identifier['type']}" not in offending:
            identifier["value"] = IDENTIFIER_MASKS.get(identifier["type"], masking.text)(identifier["value"])
    return payload


def _identifier_hashes(rejection: Rejection, keyring: Keyring | None, region: str) -> list[str]:
    """Keyed hashes of the identifiers of a rejected record that are valid: an erasure finds it by them."""
    if keyring is None:
        return []
    keys = set()
    for raw in rejection.record.identifiers:
        with contextlib.suppress(InvalidIdentifier):
            keys.add(normalize(raw.type, raw.value, region=region, app_id=raw.app_id).key)
    return sorted(keyring.identifiers(keys).values())


async def keep_rejected(
    conn: asyncpg.Connection, rejected: Sequence[Rejection], keyring: Keyring | None, region: str
) -> None:
    """Store rejected records for review (``rejectedRecords``): their errors, and their payload minimised."""
    if not rejected:
        return
    await conn.executemany(
        "INSERT INTO profiles.rejected_records (system, external_id, errors, payload, identifier_hashes)"
        " VALUES ($1, $2, $3, $4, $5)",
        [
            (
                _storable(r.record.system),
                _storable(r.record.external_id),
                [_storable(e.as_dict()) for e in r.errors],
                _storable(_minimised(r)),
                _identifier_hashes(r, keyring, region),
            )
            for r in rejected
        ],
    )


async def keep_unreadable(db: Database, rejected: Sequence[Rejection], settings: Settings) -> None:
    """Rejections found before any record could be read (a file's unreadable lines), in a transaction of their own."""
    if rejected:
        async with db.transaction() as conn:
            await keep_rejected(conn, rejected, keyring_or_none(settings), settings.default_phone_region)


async def _store_received(conn: asyncpg.Connection, valid: Sequence[ValidRecord], event_id: int) -> None:
    """Each accepted record's row as received; the relay fills in what it applied."""
    latest = {v.record.key: v for v in valid}  # a record twice in one batch: its last version is the row
    rows = [latest[k] for k in sorted(latest)]  # one lock order for every writer (``record_locks``)
    await conn.execute(
        "INSERT INTO profiles.source_records (system, external_id, payload, content_hash, event_id)"
        " SELECT r.system, r.external_id, r.payload, r.hash, $5"
        " FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[]) AS r(system, external_id, payload, hash)"
        " ON CONFLICT (system, external_id) DO UPDATE SET payload = EXCLUDED.payload,"
        " content_hash = EXCLUDED.content_hash, event_id = EXCLUDED.event_id, received_at = now()"
        " WHERE source_records.event_id < EXCLUDED.event_id",
        [v.record.system for v in rows],
        [v.record.external_id for v in rows],
        [v.record.payload() for v in rows],
        [v.content_hash for v in rows],
        event_id,
    )


async def ingest(
    sources: DataSources,
    records: Sequence[SourceRecord],
    wait: float | None = None,
    consents: Sequence[Sequence[Decision]] | None = None,
) -> IngestResult:
    """Validate and commit ``records``, then wait up to ``wait`` seconds (default: the setting) for the relay.

    ``consents``, one list per record, are written keyed by their record in the same transaction (those of a
    rejected record are not)."""
    if len(records) > MAX_BATCH:
        raise BadUserInput(f"At most {MAX_BATCH} records per call, got {len(records)}; split the batch")
    rules = rules_at(sources.settings.identity_rules)
    # What the model reads of each record is computed here, where records are validated in parallel, not in the
    # relay, which applies the identity stream one claim at a time.
    checked = [
        c.matched(rules) if isinstance(c, ValidRecord) else c
        for c in (validate(r, sources.settings.default_phone_region) for r in records)
    ]
    rejected = [c for c in checked if isinstance(c, Rejection)]
    valid = [c for c in checked if isinstance(c, ValidRecord)]
    db = sources.postgres.db(SCHEMA)
    event_id: int | None = None
    async with db.transaction() as conn:
        await keep_rejected(
            conn, rejected, keyring_or_none(sources.settings), sources.settings.default_phone_region
        )
        if valid:
            event_id = await outbox.emit(
                conn,
                SCHEMA,
                INGEST,
                AGGREGATE,
                {"records": [v.to_event() for v in valid]},
                size=len(valid),
                stream=STREAM,
            )
            await _store_received(conn, valid, event_id)
            if consents is not None:
                await consent.record(
                    conn,
                    [
                        (None, (c.record.system, c.record.external_id), d)
                        for c, decisions in zip(checked, consents, strict=True)
                        if isinstance(c, ValidRecord)
                        for d in decisions
                    ],
                )
    result = None
    if event_id is not None:
        result = await wait_for(sources, db, event_id, wait)
    answered: list[Outcome | Accepted] = (
        [decode_outcome(o) for o in result["outcomes"]]
        if result is not None and "outcomes" in result
        else [Accepted(v.record.key, v.dropped) for v in valid]
    )
    outcomes = iter(answered)
    return IngestResult([c if isinstance(c, Rejection) else next(outcomes) for c in checked])


async def wait_for(sources: DataSources, db: Database, event_id: int, wait: float | None = None) -> Any:
    """The relay's result of ``event_id``, waited for up to ``wait`` seconds (default: the setting, within the
    request's deadline), or ``None``."""
    outcomes = sources.outcomes or outbox.Outcomes()
    settings = sources.settings
    # A request answers `ACCEPTED` a second before its deadline rather than a 504 after it (validating and storing
    # a large batch on a busy server may already have used part of it).
    left = seconds_left()
    budget = settings.request_timeout if left is None else left
    timeout = min(settings.ingest_wait, max(budget - 1.0, 0.0)) if wait is None else wait
    return await outcomes.wait(db, SCHEMA, event_id, timeout)


@dataclass(frozen=True)
class SplitOutcome:
    customer_ids: list[str]
    """The resulting customers, the first keeping the split one's id; empty while the split waits."""
    applied: bool


async def unmerge(
    sources: DataSources,
    customer_id: str,
    record_keys: Sequence[str],
    identifier_keys: Sequence[str],
    rows: Visible = EVERYTHING,
) -> SplitOutcome:
    """Commit a split of ``customer_id`` as an event of the identity stream (applied in order with ingestion) and
    wait for it like ingestion does. The graph decides at apply time; a refusal comes back as its error. A customer
    out of the caller's ``rows`` is refused here, as one that does not exist."""
    if not record_keys and not identifier_keys:
        raise BadUserInput("Name at least one source record or identifier to split off")
    if not rows.sees_customer(customer_id):
        raise NotFound("customer", customer_id)
    db = sources.postgres.db(SCHEMA)
    async with db.transaction() as conn:
        if not await conn.fetchval("SELECT 1 FROM profiles.customers WHERE id = $1::uuid", customer_id):
            raise NotFound("customer", customer_id)
        event_id = await outbox.emit(
            conn,
            SCHEMA,
            SPLIT,
            AGGREGATE,
            {"customer": customer_id, "records": list(record_keys), "identifiers": list(identifier_keys)},
            stream=STREAM,
        )
    result = await wait_for(sources, db, event_id)
    if result is None:
        return SplitOutcome([], applied=False)
    if "error" in result:
        error = ClientError(result["error"]["message"])
        error.extensions = dict(result["error"]["extensions"])
        raise error
    return SplitOutcome(list(result["customers"]), applied=True)


@dataclass(frozen=True)
class RecordStatus:
    """The outcome of the latest version of a record, as ``ingestOutcomes`` answers it."""

    result: Outcome | Rejection | Accepted


async def outcomes_of(db: Database, keys: Sequence[tuple[str, str]]) -> list[RecordStatus | None]:
    """The latest outcome of each record (``None``: never received), in the order asked, in one statement."""
    rows = await db.fetch(
        """
        SELECT k.n, s.system IS NOT NULL AS accepted, s.event_id > coalesce(s.applied_event_id, 0) AS pending,
               s.status, s.customer_id::text AS customer, s.outcome, s.received_at,
               r.errors, r.received_at AS rejected_at
        FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(system, external_id, n)
        LEFT JOIN profiles.source_records s ON s.system = k.system AND s.external_id = k.external_id
        LEFT JOIN LATERAL (
          SELECT errors, received_at FROM profiles.rejected_records x
          WHERE x.system = k.system AND x.external_id = k.external_id ORDER BY x.id DESC LIMIT 1
        ) r ON true
        ORDER BY k.n
        """,
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    found: list[RecordStatus | None] = []
    for (system, external_id), row in zip(keys, rows, strict=True):
        key = f"{system}:{external_id}"
        rejected_later = row["rejected_at"] is not None and (
            not row["accepted"] or row["rejected_at"] > row["received_at"]
        )
        if rejected_later:
            errors = tuple(FieldError(e["field"], e["value"], e["message"]) for e in row["errors"])
            found.append(
                RecordStatus(Rejection(SourceRecord(system, external_id, row["rejected_at"]), errors))
            )
        elif not row["accepted"]:
            found.append(None)
        elif row["pending"] or row["status"] is None:
            found.append(RecordStatus(Accepted(key)))
        else:
            outcome = row["outcome"] or {}
            found.append(
                RecordStatus(
                    decode_outcome(
                        {
                            "key": key,
                            "status": row["status"],
                            "customer": row["customer"],
                            "merged": outcome.get("merged", []),
                            "conflicts": outcome.get("conflicts", []),
                            "blocked": outcome.get("blocked", []),
                            "dropped": outcome.get("dropped", []),
                        }
                    )
                )
            )
    return found
