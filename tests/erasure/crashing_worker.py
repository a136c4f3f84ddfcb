"""An erasure worker (``c360 erase --drain``) that kills itself with SIGKILL at one point of one step: a crash the
production code does not ship, for the tests of a job killed midway.

``python -m tests.erasure.crashing_worker STEP inside``: in STEP, once the step's own database has committed (its
changes and its receipt) and before the job records it done; ``after``: once the job recorded STEP done, before the
next step starts."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from core.relay import Relay, StepResult
from core.settings import Settings
from jobs import erasure


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    step, when = sys.argv[1], sys.argv[2]
    if when == "inside":
        in_subgraph = erasure.ErasureHandler._in_subgraph

        async def die_inside(
            self: erasure.ErasureHandler, name: str, *args: Any, **kwargs: Any
        ) -> dict[str, int]:
            counts = await in_subgraph(self, name, *args, **kwargs)
            if name == step:
                _die()
            return counts

        erasure.ErasureHandler._in_subgraph = die_inside  # type: ignore[method-assign]
    else:
        claim = Relay._claim_and_apply

        async def die_after(self: Relay, *args: Any) -> StepResult:
            result = await claim(self, *args)  # returns once the claim's transaction committed
            if any(r.get("step") == step for r in result.results.values()):
                _die()
            return result

        Relay._claim_and_apply = die_after  # type: ignore[method-assign,assignment]
    asyncio.run(erasure.run(Settings(), drain=True))


if __name__ == "__main__":
    main()
