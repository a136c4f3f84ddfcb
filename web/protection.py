"""Protection of the GraphQL endpoints under load: shedding, per-client rate limits, deadlines, slow clients.

Answers and codes (every body is GraphQL-shaped, ``{"errors": [{"message", "extensions": {"code"}}]}``):

| status | code | when |
|---|---|---|
| 503 + ``Retry-After`` | ``OVERLOADED`` | ``max_in_flight`` GraphQL requests are already running in this process |
| 429 + ``Retry-After`` | ``RATE_LIMITED`` | the client's budget cannot pay the request's cost (``retryAfter``, ``remaining``) |
| 504 | ``DEADLINE_EXCEEDED`` | the request ran past ``request_timeout``; its work was cancelled |
| 408 | ``REQUEST_TIMEOUT`` | the body did not arrive within ``body_timeout`` (``app.BodyLimit``) |

Health, readiness and metrics are never shed, limited or timed out.
"""

from __future__ import annotations

from functools import partial

import strawberry
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from core.settings import Settings
from web.deadline import Deadline
from web.ratelimit import RateLimit, RateLimitHeaders
from web.shedding import InFlightLimit


class ShedFirst(FastAPI):
    """FastAPI whose requests meet the in-flight limit before any of FastAPI's own per-request work.

    A shed request should cost next to nothing: past capacity most requests are shed, and what they cost comes
    out of the accepted ones. FastAPI's ``__call__`` (its telemetry checks read the environment on every request)
    and Starlette's middleware stack cost more than the refusal itself, so the limit runs in front of them.
    """

    shedder: InFlightLimit | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.shedder is None:
            await super().__call__(scope, receive, send)
        else:
            await self.shedder(scope, receive, send)


class Protection:
    """What ``create_app`` wires in: the rate limit's schema extension, and the middlewares around the app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rate_limit = RateLimit.from_settings(settings)

    def schema(self, schema: strawberry.Schema) -> strawberry.Schema:
        """``schema`` with the cost charge added after its own extensions (limits and caches run first)."""
        if self.rate_limit is not None:
            schema.extensions = (*schema.extensions, self.rate_limit.extension())
        return schema

    def install(self, app: FastAPI) -> None:
        """Outermost first: shed (cheapest, before anything reads the request; in front of FastAPI itself when
        ``app`` is a :class:`ShedFirst`), then the deadline, then the rate-limit headers; ``BodyLimit`` and the
        routes run inside."""
        s = self.settings
        if self.rate_limit is not None:
            app.add_middleware(RateLimitHeaders)
        app.add_middleware(Deadline, seconds=s.request_timeout)
        if isinstance(app, ShedFirst):
            app.shedder = InFlightLimit(
                partial(FastAPI.__call__, app), s.max_in_flight, s.shed_retry_after, s.shed_loop_lag
            )
        else:
            app.add_middleware(
                InFlightLimit,
                max_in_flight=s.max_in_flight,
                retry_after=s.shed_retry_after,
                lag_target=s.shed_loop_lag,
            )


__all__ = ["Protection", "ShedFirst"]
