"""A budget per client, spent by the estimated cost of each request (the ``limits`` package, moving window).

Three parts, each replaceable on its own:

- :func:`client_key` names the client. For now its IP address (behind a proxy, run uvicorn with
  ``--proxy-headers`` and ``--forwarded-allow-ips`` so this is the client's, not the proxy's); a principal from a
  verified token will replace it.
- :func:`request_cost` estimates what a request costs. For now 1 per request; the cost estimate of the document
  plugs in here, which is why the charge happens once the document is parsed and validated.
- :class:`RateLimit` keeps the budgets: at most ``burst`` units in any window of ``burst / rate`` seconds (rounded
  up to whole seconds), in memory by default; a shared storage (``async+redis://host:6379``, with the
  ``limits[async-redis]`` extra installed) makes several processes share one budget per client.

The charge runs as a schema extension (it needs the document); the HTTP answer (429, ``Retry-After`` and the
``RateLimit-*`` headers) is written by the :class:`RateLimitHeaders` middleware from what the charge left in the
ASGI scope, so neither the GraphQL view nor the schema knows about HTTP status codes.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLError
from limits import RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from core.settings import Settings
from schema.limits import DocumentMeasure, Limits
from web.metrics import RATE_LIMITED
from web.responses import is_graphql

SCOPE_KEY = "c360.rate"
"""Where the charge leaves its :class:`Charge` in the ASGI scope for :class:`RateLimitHeaders`."""


def client_key(scope: Scope) -> str:
    """Whose budget a request spends: its verified principal (set by ``app.GraphQLApp.run``), else its IP."""
    principal = scope.get("state", {}).get("principal")
    if principal is not None:
        return f"sub:{principal.subject}"
    client = scope.get("client")
    return f"ip:{client[0]}" if client else "unknown"


class DocumentCosts:
    """The estimated cost of each operation (``schema/limits.py``'s measure: fields times list sizes), computed
    once per document text and operation and kept, so a repeated query is charged without measuring it again."""

    def __init__(self, settings: Settings, size: int = 1024) -> None:
        self.limits = Limits.from_settings(settings)
        self.size = size
        self.known: OrderedDict[tuple[str, str | None], int] = OrderedDict()

    def __call__(self, execution_context: ExecutionContext) -> int:
        return self.of(
            execution_context.schema,
            execution_context.query or "",
            execution_context.operation_name,
            execution_context.graphql_document,
        )

    def of(self, schema: Any, query: str, operation_name: str | None, document: DocumentNode | None) -> int:
        key = (query, operation_name)
        cost = self.known.get(key)
        if cost is None:
            if document is None:
                return 1
            measures = DocumentMeasure(schema._schema, document, self.limits).measures()
            chosen = [m for op, m in measures if key[1] is None or (op.name and op.name.value == key[1])]
            cost = max(1, max((m.cost(self.limits.list_size) for m in chosen), default=1))
            self.known[key] = cost
            if len(self.known) > self.size:
                self.known.popitem(last=False)
        return cost


@dataclass(frozen=True, slots=True)
class Charge:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int
    """Whole seconds until the window has room again (at least 1)."""

    def headers(self) -> Iterator[tuple[bytes, bytes]]:
        yield b"ratelimit-limit", str(self.limit).encode()
        yield b"ratelimit-remaining", str(self.remaining).encode()
        yield b"ratelimit-reset", str(self.reset_after).encode()
        if not self.allowed:
            yield b"retry-after", str(self.reset_after).encode()


class RateLimit:
    """The budgets of all clients of this process (or of every process sharing the storage)."""

    def __init__(
        self,
        per_second: int,
        burst: int = 0,
        storage: str = "async+memory://",
        cost: DocumentCosts | None = None,
    ) -> None:
        self.costs = cost
        burst = burst or 2 * per_second
        self.window = max(1, math.ceil(burst / per_second))
        self.item = RateLimitItemPerSecond(burst, self.window, namespace="c360")
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage))

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimit | None:
        if settings.rate_limit_per_second <= 0:
            return None
        return cls(
            settings.rate_limit_per_second,
            settings.rate_limit_burst,
            settings.rate_limit_storage,
            DocumentCosts(settings),
        )

    def cost(self, execution_context: ExecutionContext) -> int:
        return self.costs(execution_context) if self.costs is not None else 1

    def cost_of(
        self, schema: Any, query: str, operation_name: str | None, document: DocumentNode | None
    ) -> int:
        """The same cost, for the lean path (which has no strawberry execution context)."""
        return self.costs.of(schema, query, operation_name, document) if self.costs is not None else 1

    def refused(self) -> None:
        RATE_LIMITED.inc()

    async def charge(self, key: str, cost: int) -> Charge:
        # A request costlier than the whole burst empties the budget rather than never being admitted.
        allowed = await self.limiter.hit(self.item, key, cost=min(cost, self.item.amount))
        stats = await self.limiter.get_window_stats(self.item, key)
        reset_after = max(1, math.ceil(stats.reset_time - time.time()))
        return Charge(allowed, self.item.amount, stats.remaining, reset_after)

    def extension(self) -> type[SchemaExtension]:
        """A schema extension that charges each operation before it executes and refuses it past the budget."""
        budget = self

        class ChargeCost(SchemaExtension):
            async def on_execute(self) -> Any:
                context = self.execution_context
                scope: Scope | None = getattr(getattr(context.context, "request", None), "scope", None)
                if scope is not None:
                    charge = await budget.charge(client_key(scope), budget.cost(context))
                    scope[SCOPE_KEY] = charge
                    if not charge.allowed:
                        budget.refused()
                        context.result = ExecutionResult(data=None, errors=[refusal(charge)])
                yield

        return ChargeCost


def refusal(charge: Charge) -> GraphQLError:
    return GraphQLError(
        f"Rate limit exceeded; retry in {charge.reset_after} s.",
        extensions={"code": "RATE_LIMITED", "retryAfter": charge.reset_after, "remaining": charge.remaining},
    )


class RateLimitHeaders:
    """Adds the ``RateLimit-*`` headers to GraphQL answers, and turns a refused charge into a 429."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_graphql(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            charge: Charge | None = scope.get(SCOPE_KEY)
            if message["type"] == "http.response.start" and charge is not None:
                headers = [*message.get("headers", ()), *charge.headers()]
                status = message["status"] if charge.allowed else 429
                message = {**message, "status": status, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
