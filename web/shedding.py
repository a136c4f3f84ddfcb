"""Load shedding: a bound on the GraphQL requests one process works on at once.

Past capacity, queueing only makes every request slow (each one waits behind all the others, clients time out and
retry, memory grows with the queue). Answering the excess at once with 503 and ``Retry-After`` keeps the accepted
requests as fast as at capacity and tells the rest to come back, which a load balancer or client can act on.
``uvicorn --limit-concurrency`` is no substitute: it counts connections (idle keep-alive ones too), not requests.

A fixed bound is not enough on its own. Refusing costs CPU too (reading and parsing the request, writing the
answer), on the same event loop: when the admitted requests keep the loop busy, new requests wait in the socket
buffers before anyone can refuse them, and the refusal is no longer fast. So while requests are in flight the
loop's lag is sampled, and when it passes ``lag_target`` the bound shrinks (by a quarter), then grows back by one
per calm sample, never above ``max_in_flight``: the admitted work leaves the loop the time to answer the rest.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from web.metrics import IN_FLIGHT, IN_FLIGHT_LIMIT, OVERLOADED
from web.responses import error_messages, is_graphql

SAMPLE = 0.025
"""Seconds between two samples of the loop's lag."""


class InFlightLimit:
    """Pure ASGI; per request it costs a path check and a counter, and the refusal is built once at start."""

    def __init__(self, app: ASGIApp, max_in_flight: int, retry_after: int = 1, lag_target: float = 0) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.limit = max_in_flight
        """The bound now: ``max_in_flight``, or less while the loop lags."""
        self.lag_target = lag_target
        self.in_flight = 0
        self.shed = 0
        """Requests refused since start."""
        self._due: float | None = None
        self._start, self._body = error_messages(
            503,
            "OVERLOADED",
            "The server is at capacity; retry later.",
            {"Retry-After": str(retry_after)},
        )
        IN_FLIGHT.set_function(lambda: self.in_flight)
        IN_FLIGHT_LIMIT.set_function(lambda: self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_graphql(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self.shed += 1
            OVERLOADED.inc()
            await send(self._start)
            await send(self._body)
            return
        if self._due is None and self.lag_target > 0:
            self._sample_later(asyncio.get_running_loop())
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _sample_later(self, loop: asyncio.AbstractEventLoop) -> None:
        self._due = loop.time() + SAMPLE
        loop.call_at(self._due, self._sample, loop)

    def _sample(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._due is not None
        lag = loop.time() - self._due
        if lag > self.lag_target:
            self.limit = max(1, self.limit - max(1, self.limit // 4))
        elif self.limit < self.max_in_flight and lag < self.lag_target / 2:
            self.limit += 1
        if self.in_flight == 0 and self.limit == self.max_in_flight:
            self._due = None  # idle: stop sampling until the next request
        else:
            self._sample_later(loop)
