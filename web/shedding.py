"""Load shedding: a bound on the GraphQL requests one process works on at once.

Past capacity, queueing only makes every request slow (each one waits behind all the others, clients time out and
retry, memory grows with the queue). Answering the excess at once with 503 and ``Retry-After`` keeps the accepted
requests as fast as at capacity and tells the rest to come back, which a load balancer or client can act on.
``uvicorn --limit-concurrency`` is no substitute: it counts connections (idle keep-alive ones too), not requests.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from web.responses import error_messages, is_graphql


class InFlightLimit:
    """Pure ASGI; per request it costs a path check and a counter, and the refusal is built once at start."""

    def __init__(self, app: ASGIApp, max_in_flight: int, retry_after: int = 1) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.shed = 0
        """Requests refused since start (read by tests and the benchmark)."""
        self._start, self._body = error_messages(
            503,
            "OVERLOADED",
            "The server is at capacity; retry later.",
            {"Retry-After": str(retry_after)},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_graphql(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            self.shed += 1
            await send(self._start)
            await send(self._body)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
