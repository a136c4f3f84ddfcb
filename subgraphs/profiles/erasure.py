"""The profiles subgraph's part of an erasure (``erasure_jobs.py`` lists the steps; ``jobs/erasure.py`` runs them).

``identity`` runs in the relay, as the ``identity.erase`` event of the identity stream, inside the claim's
transaction: it fixes what the subject is at that point of the stream (its id, every id merged into it, its source
records and identifiers), erases it from the graph (``graph_store.erasure``), then from PostgreSQL (golden record,
provenance, aliases, source records and claims, the projection, consent decisions and their evidence), buries
tombstones and starts the next step. ``profiles`` deletes the subject's rejected records and rewrites the profiles
outbox; ``audit`` and ``seal`` pseudonymise the audit records (as the schemas' owner). A record of the subject
received after the request (a later event of the stream) is not the erased one: its row is kept, forgotten as
applied, and its event resolves it afresh against the tombstones.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import asyncpg

from core import audit, events
from core.erasure import Keyring, like_any, replacing
from core.outbox import Event
from graph_store import erasure as graph_erasure
from graph_store.driver import GraphStore
from subgraphs.profiles import erasure_jobs, record_locks, tombstones
from subgraphs.profiles.erasure_jobs import IDENTITY, Job, Plan
from subgraphs.profiles.events import CONSENT, ERASE, ERASED_NOTICE, INGEST, MARKERS, SCHEMA, SPLIT

ERASED: dict[str, Any] = {"erased": True}
"""What replaces a record, an outcome or a decision of the subject in an event kept in the outbox."""


async def _subject(
    conn: asyncpg.Connection, customer: str, event_id: int, keyring: Keyring
) -> tuple[Plan, list[str], list[str]]:
    """The plan, the subject's records received before the request (erased) and after it (kept, reset)."""
    ids = [
        r["id"]
        for r in await conn.fetch(
            """
            WITH survivor AS (
              SELECT coalesce((SELECT customer_id FROM profiles.customer_aliases WHERE alias_id = $1::uuid),
                              (SELECT id FROM profiles.customers WHERE id = $1::uuid)) AS id
            )
            SELECT s.id::text AS id FROM survivor s WHERE s.id IS NOT NULL
            UNION
            SELECT a.alias_id::text FROM profiles.customer_aliases a JOIN survivor s ON a.customer_id = s.id
            """,
            customer,
        )
    ]
    records = await conn.fetch(
        "SELECT system || ':' || external_id AS key, event_id > $2 AS later FROM profiles.source_records"
        " WHERE customer_id = ANY($1::uuid[]) ORDER BY 1",
        ids,
        event_id,
    )
    keys = [r["key"] for r in records]
    systems, externals = _pairs(keys)
    # Every identifier its records carried and it holds, but those another customer holds too (theirs as well).
    identifiers = await conn.fetch(
        """
        WITH carried AS (
          SELECT c.key FROM profiles.source_record_claims c
          JOIN unnest($1::text[], $2::text[]) AS k(s, e) ON c.system = k.s AND c.external_id = k.e
          UNION
          SELECT key FROM profiles.customer_identifiers WHERE customer_id = ANY($3::uuid[])
        )
        SELECT key FROM carried c WHERE NOT EXISTS (
          SELECT 1 FROM profiles.customer_identifiers o WHERE o.key = c.key AND NOT o.customer_id = ANY($3::uuid[])
        )
        """,
        systems,
        externals,
        ids,
    )
    hashes = keyring.identifiers(r["key"] for r in identifiers)
    plan = Plan(tuple(sorted(ids)), tuple(keys), tuple(sorted(hashes.values())))
    return plan, [r["key"] for r in records if not r["later"]], [r["key"] for r in records if r["later"]]


def _pairs(keys: Collection[str]) -> tuple[list[str], list[str]]:
    split = [k.split(":", 1) for k in keys]
    return [s for s, _ in split], [e for _, e in split]


async def _count(conn: asyncpg.Connection, sql: str, *args: Any) -> int:
    return len(await conn.fetch(sql + " RETURNING 1", *args))


async def _erase_rows(
    conn: asyncpg.Connection, plan: Plan, earlier: list[str], later: list[str], event_id: int
) -> dict[str, int]:
    """The subject's rows in the profiles tables, deleted (or, for records received after the request, reset)."""
    await record_locks.lock(conn, plan.records)
    ids = [uuid.UUID(c) for c in plan.customers]
    systems, externals = _pairs(plan.records)
    old_systems, old_externals = _pairs(earlier)
    new_systems, new_externals = _pairs(later)
    keyed = "unnest($1::text[], $2::text[]) AS k(s, e) WHERE x.system = k.s AND x.external_id = k.e"
    return {
        "golden_records": await _count(
            conn, "DELETE FROM profiles.customers WHERE id = ANY($1::uuid[])", ids
        ),
        "provenance": await _count(
            conn, "DELETE FROM profiles.field_provenance WHERE customer_id = ANY($1::uuid[])", ids
        ),
        "aliases": await _count(
            conn,
            "DELETE FROM profiles.customer_aliases WHERE alias_id = ANY($1::uuid[]) OR customer_id = ANY($1::uuid[])",
            ids,
        ),
        "identifiers": await _count(
            conn, "DELETE FROM profiles.customer_identifiers WHERE customer_id = ANY($1::uuid[])", ids
        ),
        "claims": await _count(
            conn,
            f"DELETE FROM profiles.source_record_claims x USING {keyed}",
            systems,
            externals,
        ),
        # A record's blocking keys carry its identifiers and name codes: they go with the record, whenever it came.
        "match_keys": await _count(
            conn, f"DELETE FROM profiles.match_keys x USING {keyed}", systems, externals
        ),
        "source_records": await _count(
            conn, f"DELETE FROM profiles.source_records x USING {keyed}", old_systems, old_externals
        ),
        "source_records_reset": await _count(
            conn,
            "UPDATE profiles.source_records x SET applied_event_id = NULL, applied_hash = NULL, observed_at = NULL,"
            " attributes = NULL, blocked = NULL, origin = NULL, customer_id = NULL, status = NULL, outcome = NULL,"
            f" resolved_at = NULL, features = NULL FROM {keyed}",
            new_systems,
            new_externals,
        ),
        "consents": await _count(
            conn,
            "DELETE FROM profiles.consent_records WHERE customer_id = ANY($1::uuid[]) AND event_id < $2",
            ids,
            event_id,
        )
        + await _count(
            conn,
            f"DELETE FROM profiles.consent_records x USING {keyed} AND x.event_id < $3",
            systems,
            externals,
            event_id,
        ),
        "origins_forgotten": await _count(
            conn, "UPDATE profiles.source_records SET origin = NULL WHERE origin = ANY($1::uuid[])", ids
        ),
        # Review candidates and steward decisions name the subject's ids and records: the pair goes with them.
        "match_candidates": await _count(
            conn,
            "DELETE FROM profiles.match_candidates WHERE customer_a = ANY($1::uuid[]) OR customer_b = ANY($1::uuid[])",
            ids,
        ),
    }


async def erase_identity(
    conn: asyncpg.Connection, graph: GraphStore, event: Event, oldest: int, keyring: Keyring | None
) -> dict[str, Any]:
    """Apply an ``identity.erase`` event (the relay's identity handler, inside its claim): the step ``identity``."""
    job = await erasure_jobs.load(conn, event.payload["job"])
    if job is None or await erasure_jobs.is_done(conn, job.id, IDENTITY):
        return {"job": event.payload["job"], "skipped": True}
    if keyring is None:
        raise erasure_jobs.ErasureUnavailable("The relay has no erasure secret (C360_ERASURE_SECRET)")
    at = datetime.now(UTC)
    plan, earlier, later = await _subject(conn, event.payload["customer"], event.id, keyring)
    graph_counts = await graph_erasure.erase(
        graph, MARKERS, event.id, oldest, plan.customers, plan.records, job.pseudonym
    )
    counts = await _erase_rows(conn, plan, earlier, later, event.id)
    named = {event.payload["customer"], *plan.customers}
    counts["tombstones"] = await tombstones.bury(
        conn, job.id, plan.identifiers, [keyring.customer(c) for c in named], at
    )
    counts |= graph_counts
    await erasure_jobs.planned(conn, job, plan, at)
    await erasure_jobs.finish_step(conn, job, IDENTITY, counts, at)
    if plan.customers:
        await events.notify(
            conn, events.Notice(SCHEMA, ERASED_NOTICE, at, {"customers": list(plan.customers)})
        )
    return {"job": job.id, "counts": counts}


async def erase_rejected(conn: asyncpg.Connection, job: Job, plan: Plan) -> dict[str, int]:
    """Rejected records of the subject: by the key of one of its source records, or by the keyed hash of an
    identifier it carried (their values are masked, see ``ingestion.keep_rejected``)."""
    systems, externals = _pairs(plan.records)
    by_hash = await _count(
        conn,
        "DELETE FROM profiles.rejected_records WHERE identifier_hashes && $1::text[]",
        list(plan.identifiers),
    )
    by_key = await _count(
        conn,
        "DELETE FROM profiles.rejected_records x USING unnest($1::text[], $2::text[]) AS k(s, e)"
        " WHERE x.system = k.s AND x.external_id = k.e",
        systems,
        externals,
    )
    return {"rejected_records": by_hash + by_key}


def _scrub_event(
    kind: str, payload: Any, result: Any, plan: Plan, keyring: Keyring, pseudonym: str
) -> tuple[Any, Any]:
    """An identity-stream event with the subject's records, outcomes and decisions replaced by :data:`ERASED`, and
    its ids by the pseudonym."""
    keys = set(plan.records)
    hashes = set(plan.identifiers)
    ids = set(plan.customers)
    rename = replacing(plan.customers, pseudonym)
    if kind == INGEST:
        records = payload.get("records", [])
        mine = [f"{r.get('system')}:{r.get('externalId')}" in keys for r in records]
        payload = {**payload, "records": [ERASED if m else r for m, r in zip(mine, records, strict=True)]}
        if isinstance(result, dict) and "outcomes" in result:
            outcomes = result["outcomes"]
            result = {
                **result,
                "outcomes": [
                    ERASED if (i < len(mine) and mine[i]) or o.get("key") in keys else o
                    for i, o in enumerate(outcomes)
                ],
            }
    elif kind == CONSENT:
        payload = {
            **payload,
            "decisions": [
                ERASED if d.get("customer") in ids or d.get("record") in keys else d
                for d in payload.get("decisions", [])
            ],
        }
    elif kind == SPLIT:
        payload = {
            **payload,
            "records": [k for k in payload.get("records", []) if k not in keys],
            "identifiers": [
                k for k in payload.get("identifiers", []) if keyring.identifiers([k])[k] not in hashes
            ],
        }
        if isinstance(result, dict) and "assignment" in result:
            result = {
                **result,
                "assignment": {k: c for k, c in result["assignment"].items() if k not in keys},
            }
    return rename(payload), rename(result)


async def purge_outbox(conn: asyncpg.Connection, job: Job, plan: Plan, keyring: Keyring) -> dict[str, int]:
    """The identity stream's events up to the request (applied, pending before it, or set aside): the subject's
    records, outcomes and decisions erased from payloads and results, its ids replaced by the pseudonym."""
    systems, externals = _pairs(plan.records)
    # An event naming one of the ids anywhere, or carrying one of the records or a decision about one (the subject's
    # records are found by containment, not by their external ids' text, which may be as short as "1").
    rows = await conn.fetch(
        "SELECT id, kind, payload, result FROM profiles.outbox o"
        " WHERE id <= $1 AND kind = ANY($2::text[]) AND (payload::text LIKE ANY($3::text[])"
        " OR coalesce(result::text, '') LIKE ANY($3::text[])"
        " OR EXISTS (SELECT 1 FROM unnest($4::text[], $5::text[]) AS k(s, e)"
        " WHERE o.payload->'records' @> jsonb_build_array(jsonb_build_object('system', k.s, 'externalId', k.e))"
        " OR o.payload->'decisions' @> jsonb_build_array(jsonb_build_object('record', k.s || ':' || k.e))))"
        " ORDER BY id FOR UPDATE",
        job.event_id,
        [INGEST, CONSENT, SPLIT, ERASE],
        like_any(plan.customers),
        systems,
        externals,
    )
    changed = 0
    for row in rows:
        payload, result = _scrub_event(
            row["kind"], row["payload"], row["result"], plan, keyring, job.pseudonym
        )
        if payload != row["payload"] or result != row["result"]:
            await conn.execute(
                "UPDATE profiles.outbox SET payload = $2, result = $3 WHERE id = $1",
                row["id"],
                payload,
                result,
            )
            changed += 1
    return {"outbox_events": changed}


async def pseudonymise_audit(conn: asyncpg.Connection, job: Job, plan: Plan) -> dict[str, int]:
    """The subject's ids in audit records replaced by the job's pseudonym, through the owner's erasure hook (the
    records are append-only to everyone else); needs the schemas' owner."""
    await conn.execute(f"SET LOCAL {audit.REWRITE_SETTING} = 'pseudonymise'")
    rewritten = await _count(
        conn,
        f"UPDATE {audit.TABLE} SET customer_ids = ARRAY(SELECT DISTINCT CASE WHEN c = ANY($1::text[]) THEN $2 ELSE c"
        " END FROM unnest(customer_ids) AS c ORDER BY 1) WHERE customer_ids && $1::text[]",
        list(plan.customers),
        job.pseudonym,
    )
    await conn.execute(f"RESET {audit.REWRITE_SETTING}")
    return {"audit_records": rewritten}


async def seal(conn: asyncpg.Connection, graph: GraphStore, job: Job, plan: Plan) -> dict[str, int]:
    """The last step: the graph's markers of the events up to the request (they name what they resolved), and the
    audit swept once more for a record written while the job ran; ``finish_step`` then clears the plan."""
    await graph_erasure.forget_markers(graph, MARKERS, job.event_id)
    late = await pseudonymise_audit(conn, job, plan)
    return {"audit_records_late": late["audit_records"]}
