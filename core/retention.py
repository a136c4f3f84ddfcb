"""Retention: personal data kept for a purpose is deleted once the purpose is served.

- Outbox events: an applied event's payload (an ingest event carries whole source records) and result serve its
  relay and the writers waiting for it; past ``outbox_retention_days`` they go. An event set aside after repeated
  failures is kept ``outbox_failed_retention_days``, for an operator to look into.
- Rejected source records serve their review for ``rejected_retention_days``.

Erasure never waits for this (it rewrites what it must at once); this bounds how long everyone else's data stays.
Every process that runs a relay runs it (the API's lifespan, ``c360 relay``), once per ``retention_interval``, in
small batches, so it never holds long locks; several processes running it at once delete nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg

from core import outbox, registry
from core.postgres import UNAVAILABLE, job_pool
from core.settings import Settings

log = logging.getLogger("c360.retention")

BATCH = 5000
REJECTED = "profiles.rejected_records"


async def _delete(conn: asyncpg.Connection, table: str, condition: str, cutoff: datetime) -> int:
    """Rows of ``table`` meeting ``condition`` (on ``$1``, the cutoff) deleted in batches, oldest id first."""
    deleted = 0
    while True:
        rows = await conn.fetch(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {condition} ORDER BY id LIMIT {BATCH})"
            " RETURNING 1",
            cutoff,
        )
        deleted += len(rows)
        if len(rows) < BATCH:
            return deleted


def _cutoff(now: datetime, days: float) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


async def prune(settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """One pass over every PostgreSQL subgraph's outbox and the rejected records; what it deleted, by table."""
    now = now or datetime.now(UTC)
    applied = _cutoff(now, settings.outbox_retention_days)
    failed = _cutoff(now, settings.outbox_failed_retention_days)
    rejected = _cutoff(now, settings.rejected_retention_days)
    counts: dict[str, int] = {}
    for name in registry.POSTGRES:
        pool = await job_pool(settings.dsn_for(name), max_size=1)
        try:
            async with pool.acquire() as conn:
                table = outbox.qualified(name)
                done = 0
                if applied is not None:
                    done += await _delete(conn, table, "applied_at < $1", applied)
                if failed is not None:
                    done += await _delete(conn, table, "failed_at < $1 AND applied_at IS NULL", failed)
                counts[f"{name}.outbox"] = done
                if name == REJECTED.split(".", 1)[0] and rejected is not None:
                    counts[REJECTED] = await _delete(conn, REJECTED, "received_at < $1", rejected)
        finally:
            await pool.close()
    return counts


async def run(settings: Settings) -> None:
    """Prune every ``retention_interval`` seconds until cancelled, the first time at a random point of the first
    interval (processes that start together do not prune together); a database that does not answer is tried at
    the next pass."""
    await asyncio.sleep(random.uniform(0, settings.retention_interval))
    while True:
        try:
            counts = await prune(settings)
            rejected = counts.pop(REJECTED, 0)
            if rejected or any(counts.values()):
                log.info(
                    "retention deleted %d outbox events and %d rejected records",
                    sum(counts.values()),
                    rejected,
                )
        except (*UNAVAILABLE, asyncpg.PostgresError) as exc:
            log.warning("retention pass skipped: %s", type(exc).__name__)
        await asyncio.sleep(settings.retention_interval)


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[None]:
    task = asyncio.create_task(run(settings))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
