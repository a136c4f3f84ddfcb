"""Erasure jobs: the request (``eraseCustomer``), the steps each job runs in order, and what ``erasureJob`` reads.

A request commits, in one transaction, its idempotency key, the job, one row per step (all pending) and the first
step's outbox event: ``identity.erase`` in the identity stream, so the relay erases the subject from the graph and
from the profiles tables after every record ingested before the request and before every record after it. Each
step, when done, records what it changed and emits the next step's ``erasure.step`` event in the same transaction
(``jobs/erasure.py`` runs them): a job killed anywhere resumes at the step it had not finished, and a step runs
to completion once. The steps, in order:

- ``identity`` (Neo4j and PostgreSQL profiles): the subject's customers, aliases, golden records, source records,
  claims, projection, consent decisions; nodes and edges of the graph; tombstones (``tombstones.py``);
- one per other PostgreSQL subgraph (``orders``, ``tickets``, ``interactions``): its rows of the subject, deleted or
  kept for accounting under the job's pseudonym and marked restricted, its outbox and idempotency records;
- ``profiles``: rejected records of the subject, the profiles outbox's payloads and results;
- ``audit``: the subject's ids in the audit records, replaced by the pseudonym (the schemas' owner's hook);
- ``seal``: the graph's markers of the events it erased, a last sweep of the audit, and the job's plan cleared.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core import idempotency, outbox, registry
from core.erasure import Keyring
from core.errors import ClientError, NotFound
from core.postgres import Database
from core.visibility import EVERYTHING, Visible
from subgraphs.profiles.events import (
    AGGREGATE,
    ERASE,
    ERASURE_AGGREGATE,
    ERASURE_STEP,
    ERASURE_STREAM,
    SCHEMA,
    STREAM,
)

IDENTITY, PROFILES, AUDIT, SEAL = "identity", "profiles", "audit", "seal"


def steps() -> list[tuple[str, str]]:
    """Every step of a job in order, with the store it changes: the other PostgreSQL subgraphs come from the
    registry, so a new subgraph adds its step (and must provide ``subgraphs/<name>/erasure.py``)."""
    others = [(name, f"postgres:{name}") for name in registry.POSTGRES if name != SCHEMA]
    return [
        (IDENTITY, f"neo4j, postgres:{SCHEMA}"),
        *others,
        (PROFILES, f"postgres:{SCHEMA}"),
        (AUDIT, f"postgres:{SCHEMA}"),
        (SEAL, f"neo4j, postgres:{SCHEMA}"),
    ]


class AlreadyErased(ClientError):
    """The customer id was erased by an earlier job: nothing is left to erase."""

    code = "ALREADY_ERASED"


class ErasureUnavailable(ClientError):
    """No erasure secret is configured (production needs ``C360_ERASURE_SECRET``)."""

    code = "ERASURE_NOT_CONFIGURED"


@dataclass(frozen=True)
class Plan:
    """What the steps after ``identity`` need, fixed by it: every id of the subject (the survivor and the ids
    merged into it), its source-record keys, and the keyed hashes of the identifiers no one else holds."""

    customers: tuple[str, ...]
    records: tuple[str, ...]
    identifiers: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "customers": list(self.customers),
            "records": list(self.records),
            "identifiers": list(self.identifiers),
        }

    @staticmethod
    def of(data: dict[str, Any]) -> Plan:
        return Plan(tuple(data["customers"]), tuple(data["records"]), tuple(data["identifiers"]))


@dataclass(frozen=True)
class Job:
    id: str
    pseudonym: str
    state: str
    event_id: int
    """The identity stream's ``identity.erase`` event: what the subject was up to that point is erased."""
    plan: Plan | None


@dataclass(frozen=True)
class Requested:
    job: str
    started: bool
    """False when an erasure of this customer was already under way: ``job`` is that one."""
    pseudonym: str
    """The job's pseudonym: what the request's audit record names instead of the customer."""


async def request(
    db: Database,
    keyring: Keyring | None,
    actor: str,
    customer_id: str,
    key: str | None,
    rows: Visible = EVERYTHING,
) -> Requested:
    """Start the erasure of ``customer_id`` (a merged-away id: of its survivor), idempotent under ``key``. A
    customer out of the caller's ``rows`` is refused as one that does not exist."""
    if keyring is None:
        raise ErasureUnavailable("Erasure needs C360_ERASURE_SECRET, the key of its tombstones' hashes")
    if not rows.sees_customer(customer_id):
        raise NotFound("customer", customer_id)
    async with db.transaction() as conn:
        # The key's input is kept as a digest: of the id's keyed hash, so it cannot be tested against a guessed id.
        claim = await idempotency.claim(
            conn, SCHEMA, actor, key, "eraseCustomer", [keyring.customer(customer_id)]
        )
        if claim.is_replay:
            replayed = claim.replayed
            return Requested(replayed["job"], replayed["started"], await _pseudonym(conn, replayed["job"]))
        survivor = await conn.fetchval(
            "SELECT coalesce((SELECT customer_id FROM profiles.customer_aliases WHERE alias_id = $1::uuid),"
            " (SELECT id FROM profiles.customers WHERE id = $1::uuid))::text",
            customer_id,
        )
        if survivor is None:
            running: str | None = await _erasing(conn, keyring, customer_id)
        elif not rows.sees_customer(survivor):
            raise NotFound("customer", customer_id)
        else:
            running = await conn.fetchval(
                "SELECT id::text FROM profiles.erasure_jobs WHERE customer_hash = $1"
                " AND state IN ('pending', 'running') ORDER BY requested_at LIMIT 1",
                keyring.customer(survivor),
            )
        if running is not None:
            requested = Requested(running, False, await _pseudonym(conn, running))
        else:
            assert survivor is not None
            requested = await _start(conn, keyring, survivor, actor)
        await idempotency.remember(conn, claim, {"job": requested.job, "started": requested.started})
    return requested


async def _erasing(conn: asyncpg.Connection, keyring: Keyring, customer_id: str) -> str:
    """The job under way that erased ``customer_id`` from the profiles already (its later steps still run);
    ``ALREADY_ERASED`` when that job is done, ``NOT_FOUND`` when no erasure knows the id."""
    erased_by = await conn.fetchrow(
        "SELECT j.id::text AS job, j.state FROM profiles.erasure_tombstones t"
        " JOIN profiles.erasure_jobs j ON j.id = t.job_id WHERE t.hash = $1",
        keyring.customer(customer_id),
    )
    if erased_by is None:
        raise NotFound("customer", customer_id)
    if erased_by["state"] == "done":
        raise AlreadyErased(f"Customer {customer_id} was erased already", jobId=erased_by["job"])
    job: str = erased_by["job"]
    return job


async def _start(conn: asyncpg.Connection, keyring: Keyring, survivor: str, actor: str) -> Requested:
    """A new job for ``survivor``: its row, a row per step, and the first step's event (in the identity stream)."""
    job, pseudonym = str(uuid.uuid4()), str(uuid.uuid4())
    event_id = await outbox.emit(
        conn, SCHEMA, ERASE, AGGREGATE, {"job": job, "customer": survivor}, stream=STREAM
    )
    await conn.execute(
        "INSERT INTO profiles.erasure_jobs (id, customer_hash, pseudonym, state, requested_by, event_id)"
        " VALUES ($1::uuid, $2, $3::uuid, 'pending', $4, $5)",
        job,
        keyring.customer(survivor),
        pseudonym,
        actor,
        event_id,
    )
    planned = steps()
    await conn.execute(
        "INSERT INTO profiles.erasure_steps (job_id, step, position, store, state, event_id, started_at)"
        " SELECT $1::uuid, s.step, s.position, s.store, 'pending', CASE s.position WHEN 0 THEN $5::bigint END,"
        " CASE s.position WHEN 0 THEN now() END"
        " FROM unnest($2::text[], $3::int[], $4::text[]) AS s(step, position, store)",
        job,
        [name for name, _ in planned],
        list(range(len(planned))),
        [store for _, store in planned],
        event_id,
    )
    return Requested(job, True, pseudonym)


async def _pseudonym(conn: asyncpg.Connection, job_id: str) -> str:
    found: str = await conn.fetchval(
        "SELECT pseudonym::text FROM profiles.erasure_jobs WHERE id = $1::uuid", job_id
    )
    return found


async def load(conn: asyncpg.Connection, job_id: str) -> Job | None:
    """The job, locked for the caller's transaction (steps of one job never run at once)."""
    row = await conn.fetchrow(
        "SELECT id::text, pseudonym::text, state, event_id, plan FROM profiles.erasure_jobs WHERE id = $1::uuid"
        " FOR UPDATE",
        job_id,
    )
    if row is None:
        return None
    plan = Plan.of(row["plan"]) if row["plan"] is not None else None
    return Job(row["id"], row["pseudonym"], row["state"], row["event_id"], plan)


async def is_done(conn: asyncpg.Connection, job_id: str, step: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT state = 'done' FROM profiles.erasure_steps WHERE job_id = $1::uuid AND step = $2",
            job_id,
            step,
        )
    )


async def planned(conn: asyncpg.Connection, job: Job, plan: Plan, at: datetime) -> None:
    """The identity step fixed the plan: the job is running."""
    await conn.execute(
        "UPDATE profiles.erasure_jobs SET state = 'running', started_at = $2, plan = $3 WHERE id = $1::uuid",
        job.id,
        at,
        plan.as_json(),
    )


async def finish_step(
    conn: asyncpg.Connection, job: Job, step: str, counts: dict[str, int], at: datetime
) -> None:
    """Record ``step`` done with ``counts`` and start the next one (or end the job), in the caller's transaction."""
    await conn.execute(
        "UPDATE profiles.erasure_steps SET state = 'done', counts = $3, finished_at = $4"
        " WHERE job_id = $1::uuid AND step = $2",
        job.id,
        step,
        counts,
        at,
    )
    following = await conn.fetchval(
        "SELECT step FROM profiles.erasure_steps WHERE job_id = $1::uuid AND state = 'pending' ORDER BY position"
        " LIMIT 1",
        job.id,
    )
    if following is None:
        await conn.execute(
            "UPDATE profiles.erasure_jobs SET state = 'done', finished_at = $2, plan = NULL WHERE id = $1::uuid",
            job.id,
            at,
        )
        return
    event_id = await outbox.emit(
        conn,
        SCHEMA,
        ERASURE_STEP,
        ERASURE_AGGREGATE,
        {"job": job.id, "step": following},
        stream=ERASURE_STREAM,
    )
    await conn.execute(
        "UPDATE profiles.erasure_steps SET event_id = $3, started_at = $4 WHERE job_id = $1::uuid AND step = $2",
        job.id,
        following,
        event_id,
        at,
    )


@dataclass(frozen=True)
class StepView:
    name: str
    store: str
    state: str
    """pending, done or failed (its event was set aside after repeated failures)."""
    counts: dict[str, int]
    attempts: int
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class JobView:
    id: str
    state: str
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    steps: list[StepView]


def error_code(label: str | None) -> str | None:
    """The code of an outbox event's ``last_error`` (the error's class and store, never a message)."""
    if label is None:
        return None
    if label.startswith("SourceUnavailable"):
        return "DATA_SOURCE_UNAVAILABLE"
    if "InsufficientPrivilege" in label:
        return "PERMISSION_DENIED"
    return "STEP_FAILED"


async def views(db: Database, job_ids: Sequence[str]) -> dict[str, JobView]:
    """Jobs with their steps and each step's attempts and last error (from its outbox event), in one statement."""
    rows = await db.fetch(
        """
        SELECT j.id::text AS job, j.state AS job_state, j.requested_by, j.requested_at, j.started_at AS job_started,
               j.finished_at AS job_finished, s.step, s.store, s.state, s.counts, s.started_at, s.finished_at,
               coalesce(o.attempts, 0) AS attempts, o.last_error, o.failed_at
        FROM profiles.erasure_jobs j
        JOIN profiles.erasure_steps s ON s.job_id = j.id
        LEFT JOIN profiles.outbox o ON o.id = s.event_id
        WHERE j.id = ANY($1::uuid[])
        ORDER BY j.id, s.position
        """,
        list(job_ids),
    )
    found: dict[str, JobView] = {}
    for row in rows:
        view = found.get(row["job"])
        if view is None:
            view = found[row["job"]] = JobView(
                row["job"],
                row["job_state"],
                row["requested_by"],
                row["requested_at"],
                row["job_started"],
                row["job_finished"],
                [],
            )
        failed = row["failed_at"] is not None and row["state"] != "done"
        view.steps.append(
            StepView(
                row["step"],
                row["store"],
                "failed" if failed else row["state"],
                dict(row["counts"]),
                row["attempts"],
                error_code(row["last_error"]) if row["state"] != "done" else None,
                row["started_at"],
                row["finished_at"],
            )
        )
    for job, view in found.items():
        if view.state != "done" and any(s.state == "failed" for s in view.steps):
            found[job] = JobView(
                view.id,
                "failed",
                view.requested_by,
                view.requested_at,
                view.started_at,
                view.finished_at,
                view.steps,
            )
    return found
