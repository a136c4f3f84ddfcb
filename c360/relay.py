"""``c360 relay``: the outbox relay as a worker process of its own (API processes run one each by default).

Several may run: one applies the identity stream at a time and the others stand by (``core.relay``); each also runs
the retention of outbox events and rejected records (``core.retention``). SIGTERM or
SIGINT stops it between claims or inside one, whose transaction then rolls back: the events stay pending and the
next relay applies them, harmlessly if the graph already had them.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from core import collector, retention
from core.errors import SourceUnavailable
from core.settings import Settings
from graph_store.constraints import ensure_constraints
from subgraphs.profiles.relay import identity_relay


async def run(settings: Settings, drain: bool = False) -> int:
    """Apply events until stopped (``drain``: until none is pending, then return); the events applied."""
    relay, graph = identity_relay(settings)
    collector.tune(settings.gc_gen0_threshold)
    try:
        with contextlib.suppress(SourceUnavailable):
            await ensure_constraints(graph)  # the worker may start before any API process; retried by claims
        if drain:
            return await relay.drain()
        task = asyncio.create_task(relay.run())
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        async with retention.running(settings):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return 0
    finally:
        await relay.close()
        await graph.close()
