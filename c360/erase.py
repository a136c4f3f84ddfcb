"""``c360 erase``: the erasure worker as a process of its own, with the schemas' owner's credentials (the audit
step needs them; see ``jobs/erasure.py``). Several may run: one runs steps at a time, the others stand by. SIGTERM
or SIGINT stops it between steps or inside one, which then runs again, to the same end, in the next worker."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from core import logs
from core.settings import Settings
from jobs import erasure


async def run(settings: Settings, drain: bool = False) -> int:
    """Run steps until stopped (``drain``: until none is pending, then return); the steps run."""
    logs.configure("INFO")
    if drain:
        return await erasure.run(settings, drain=True)
    task = asyncio.create_task(erasure.run(settings))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return 0
