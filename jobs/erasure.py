"""The erasure worker: runs the steps of erasure jobs after the relay has applied their ``identity`` step.

Why here. The job crosses every subgraph (each PostgreSQL subgraph contributes a step, ``subgraphs/<name>/
erasure.py``, and none may import another), so its runner sits above them. Why a worker. Its ``audit`` step
rewrites the append-only audit, which only the schemas' owner may do (``core/audit.py``): the API connects as a role
that cannot, on purpose, so the steps run in ``c360 erase``, a worker with the owner's credentials (or in the API
process when ``C360_ERASURE_IN_PROCESS`` says it holds them, as ``c360 demo`` does). The ``identity`` step needs no
owner and must be ordered with ingestion, so any relay applies it, the API's included.

How. Each step is one ``erasure.step`` event of the profiles outbox (stream ``erasure``), applied by a
:class:`core.relay.Relay` with this handler: one claim runs one step of a job inside the claim's transaction on the
profiles database, records it done with what it changed, and emits the next step's event. A step in another
subgraph's database commits there first, with a receipt (a ``customer.erased`` event of that subgraph's outbox);
killed before the claim commits, the step runs again, finds its receipt and changes nothing twice. So a job killed
anywhere resumes at the step it had not finished and ends as an uninterrupted one; the relay's retries, attempts
and setting aside apply, and ``erasureJob`` shows them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from core import erasure, registry
from core.erasure import Keyring
from core.outbox import Event
from core.postgres import UNAVAILABLE, job_pool
from core.relay import Relay
from core.settings import Settings
from graph_store.driver import GraphStore
from subgraphs.profiles import erasure as profiles
from subgraphs.profiles import erasure_jobs
from subgraphs.profiles.erasure_jobs import AUDIT, IDENTITY, PROFILES, SEAL, Job, Plan
from subgraphs.profiles.events import ERASURE_STEP, ERASURE_STREAM, SCHEMA

log = logging.getLogger("c360.erasure")

Step = Callable[[asyncpg.Connection, Sequence[str], str], Awaitable[dict[str, int]]]
"""A subgraph's step: ``erase(conn, customer ids, pseudonym)`` in its own database, what it changed by kind."""


def subgraph_steps() -> dict[str, Step]:
    """Each PostgreSQL subgraph's ``erasure.erase`` but the profiles one (whose steps are the job's own)."""
    return {
        name: importlib.import_module(f"subgraphs.{name}.erasure").erase
        for name in registry.POSTGRES
        if name != SCHEMA
    }


class ErasureHandler:
    schema = SCHEMA
    stream = ERASURE_STREAM
    kinds: tuple[str, ...] = (ERASURE_STEP,)

    def __init__(self, settings: Settings, graph: GraphStore, keyring: Keyring) -> None:
        self.settings = settings
        self.graph = graph
        self.keyring = keyring
        self.steps = subgraph_steps()
        self._pools: dict[str, asyncpg.Pool] = {}

    async def reachable(self) -> bool:
        try:
            await self.graph.read("RETURN 1")
        except Exception:
            return False
        return True

    async def apply(self, conn: asyncpg.Connection, events: list[Event]) -> dict[int, Any]:
        results: dict[int, Any] = {}
        for event in events:
            job = await erasure_jobs.load(conn, event.payload["job"])
            step = event.payload["step"]
            if job is None or job.plan is None or await erasure_jobs.is_done(conn, job.id, step):
                results[event.id] = {"step": step, "skipped": True}
                continue
            counts = await self.run(conn, job, job.plan, step)
            await erasure_jobs.finish_step(conn, job, step, counts, datetime.now(UTC))
            log.info("erasure %s: step %s done", uuid.UUID(job.id), step)
            results[event.id] = {"step": step, "counts": counts}
        return results

    async def run(self, conn: asyncpg.Connection, job: Job, plan: Plan, step: str) -> dict[str, int]:
        """One step: the profiles steps on the claim's connection, another subgraph's in its own database."""
        if step == PROFILES:
            rejected = await profiles.erase_rejected(conn, job, plan)
            return rejected | await profiles.purge_outbox(conn, job, plan, self.keyring)
        if step == AUDIT:
            return await profiles.pseudonymise_audit(conn, job, plan)
        if step == SEAL:
            # A write that found the subject just before its erasure and committed after its store's step (a ticket
            # opened in that instant, say) is swept here: each store's step again, which finds nothing otherwise.
            late = 0
            for name in self.steps:
                late += sum((await self._in_subgraph(name, job, plan, receipt=False)).values())
            return {"late_rows": late} | await profiles.seal(conn, self.graph, job, plan)
        if step == IDENTITY:
            raise RuntimeError("the identity step is the relay's (an identity.erase event), not the worker's")
        return await self._in_subgraph(step, job, plan)

    async def _in_subgraph(self, name: str, job: Job, plan: Plan, receipt: bool = True) -> dict[str, int]:
        """A subgraph's step in its own database: once (its receipt commits with it), or as a sweep."""
        pool = self._pools.get(name)
        if pool is None:
            pool = self._pools[name] = await job_pool(self.settings.migration_dsn_for(name), max_size=1)
        async with pool.acquire() as conn, conn.transaction():
            done = await erasure.receipt(conn, name, job.id, name) if receipt else None
            if done is not None:
                return done
            counts = await self.steps[name](conn, plan.customers, job.pseudonym)
            if receipt:
                await erasure.confirm(conn, name, job.id, name, job.pseudonym, counts)
            return counts

    async def close(self) -> None:
        for pool in self._pools.values():
            await pool.close()
        self._pools.clear()


def erasure_relay(settings: Settings) -> tuple[Relay, ErasureHandler]:
    """A relay of the erasure stream on the profiles database as the schemas' owner, with a Neo4j driver of its
    own (close the relay, then the handler)."""
    graph = GraphStore(settings, count_round_trips=False)
    handler = ErasureHandler(settings, graph, Keyring.of(settings))
    relay = Relay(
        settings.migration_dsn_for(SCHEMA),
        [handler],
        budget=1,
        poll=settings.relay_poll_interval,
        max_attempts=settings.relay_max_attempts,
    )
    return relay, handler


async def close(relay: Relay, handler: ErasureHandler) -> None:
    await relay.close()
    await handler.close()
    await handler.graph.close()


async def run(settings: Settings, drain: bool = False) -> int:
    """Run erasure steps until cancelled (``drain``: until none is pending); the steps run."""
    relay, handler = erasure_relay(settings)
    try:
        if drain:
            return await relay.drain()
        await relay.run()
        return 0
    finally:
        await close(relay, handler)


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[None]:
    """The worker running beside an API process (``C360_ERASURE_IN_PROCESS``)."""
    relay, handler = erasure_relay(settings)
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, *UNAVAILABLE):
            await task
        await close(relay, handler)
