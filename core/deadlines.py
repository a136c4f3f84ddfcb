"""The deadline of the request being served, for work that must answer before it (an ingest's wait for the relay).

Set by the HTTP layer's deadline (``web/deadline.py``) in the context its request task copies; jobs outside a
request see ``None``.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar

REQUEST_DEADLINE: ContextVar[float | None] = ContextVar("c360_request_deadline", default=None)
"""The event loop's time (``loop.time()``) at which the current request is cancelled."""


def seconds_left() -> float | None:
    """Seconds until the current request's deadline, or ``None`` outside a request with one."""
    deadline = REQUEST_DEADLINE.get()
    return None if deadline is None else deadline - asyncio.get_running_loop().time()
