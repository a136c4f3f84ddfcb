"""Two API apps on the same data, one running queries from their plans (and repeated queries by the lean HTTP
path) and one running every operation in graphql-core behind strawberry's view (the reference), and a comparison
of their answers byte for byte, status and headers too.

Both run on a fixed clock (SLA figures are read against it) and without an in-process relay (nothing changes the
data between the two answers). A query the planned app handed to graphql-core is a fallback: counted, never a
pass.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from graphql import GraphQLError, OperationType, get_operation_ast, parse

from app import create_app
from core.settings import Settings
from schema.execution.counts import EXECUTIONS
from tests import auth, canaries
from tests.clock import FixedClock, utc
from web.metrics import LEAN_ANSWERS

CLOCK_AT = utc(2026, 10, 20, 12, 0)


@dataclass
class Outcome:
    compared: int = 0
    equal: int = 0
    lean: int = 0
    """Second answers of the planned app that took the lean path."""
    answered: int = 0
    """Answers with data (not refused before execution)."""
    with_errors: int = 0
    """Answers with data and errors (partial data: field errors, withheld values, non-null propagation)."""
    fallbacks: dict[str, int] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return self.compared - sum(self.fallbacks.values())

    def __str__(self) -> str:
        return (
            f"{self.compared} compared, {self.equal} identical, {self.answered} with data ({self.with_errors} also "
            f"with errors), {self.planned} planned, {self.lean} lean, fallbacks {self.fallbacks}, "
            f"{len(self.differences)} different"
        )


class Pair:
    def __init__(self, planned: httpx.AsyncClient, reference: httpx.AsyncClient) -> None:
        self.planned = planned
        self.reference = reference
        self.outcome = Outcome()

    async def compare(
        self, body: bytes, path: str = "/graphql", authorization: str | None = None, label: str = ""
    ) -> bool:
        """Send ``body`` to both apps; True when the answers are identical (status and bytes)."""
        headers = {"content-type": "application/json"}
        if authorization is not None:
            headers["authorization"] = authorization
        before = EXECUTIONS.copy()
        first = await self.planned.post(path, content=body, headers=headers)
        counted = EXECUTIONS - before
        fallbacks = {k: v for k, v in counted.items() if k.startswith("graphql-core")}
        # Sent again: a document strawberry has validated once takes the lean path (web/lean.py).
        lean = LEAN_ANSWERS._value.get()
        mine = await self.planned.post(path, content=body, headers=headers)
        self.outcome.lean += int(LEAN_ANSWERS._value.get() - lean)
        theirs = await self.reference.post(path, content=body, headers=headers)
        outcome = self.outcome
        outcome.compared += 1
        for reason, count in fallbacks.items():
            outcome.fallbacks[reason] = outcome.fallbacks.get(reason, 0) + count

        def equal(answer: httpx.Response) -> bool:
            return (
                answer.status_code == theirs.status_code
                and answer.content == theirs.content
                and _headers(answer) == _headers(theirs)
            )

        different = [(way, a) for way, a in (("view", first), ("lean", mine)) if not equal(a)]
        same = not different
        way = different[0][0] if different else "lean"
        if different:
            mine = different[0][1]
        if mine.content.startswith(b'{"data":{'):
            outcome.answered += 1
            outcome.with_errors += b'"errors":[' in mine.content
        if same:
            outcome.equal += 1
        else:
            at = next(
                (i for i, (a, b) in enumerate(zip(mine.content, theirs.content, strict=False)) if a != b),
                min(len(mine.content), len(theirs.content)),
            )
            start = max(0, at - 200)
            heads = (
                ""
                if _headers(mine) == _headers(theirs)
                else f"  headers {_headers(mine)} != {_headers(theirs)}\n"
            )
            outcome.differences.append(
                f"{label or body[:300]!r}\n  ({way}) first difference at byte {at}\n{heads}"
                f"  planned   {mine.status_code} …{mine.content[start : at + 400]!r}\n"
                f"  reference {theirs.status_code} …{theirs.content[start : at + 400]!r}"
            )
        return same

    async def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        roles: tuple[str, ...] = ("admin",),
        path: str = "/graphql",
        **claims: Any,
    ) -> bool:
        body = orjson.dumps({"query": query, "variables": variables or {}})
        return await self.compare(body, path, auth.headers(roles, **claims)["authorization"], query[:120])


def _headers(response: httpx.Response) -> list[tuple[str, str]]:
    """The response's headers but its request id (new for each request)."""
    return [(k, v) for k, v in response.headers.multi_items() if k != "x-request-id"]


def is_query(body: bytes) -> bool:
    """Whether a recorded body holds a query operation (mutations and subscriptions change or wait on data)."""
    try:
        payload = orjson.loads(body)
        document = parse(payload["query"])
    except (orjson.JSONDecodeError, KeyError, TypeError, GraphQLError):
        return True  # refused before execution by both: compared too
    operation = get_operation_ast(document, payload.get("operationName"))
    return operation is None or operation.operation is OperationType.QUERY


@asynccontextmanager
async def pair(settings: Settings, **overrides: Any) -> AsyncIterator[Pair]:
    """The two apps on ``settings`` (with ``overrides``), each with its own pools, on one fixed clock."""
    clock = FixedClock(CLOCK_AT)
    # No deadline a busy machine could reach: a 504 from one app and an answer from the other is no comparison.
    slow = {"request_timeout": 600.0, "pg_statement_timeout": 600.0, "neo4j_transaction_timeout": 600.0}
    common = {"relay_in_process": False, **slow, **overrides}
    planned = create_app(
        settings.model_copy(update={**common, "planned_execution": True, "lean_http": True}), clock=clock
    )
    reference = create_app(
        settings.model_copy(update={**common, "planned_execution": False, "lean_http": False}), clock=clock
    )
    async with (
        planned.router.lifespan_context(planned),
        reference.router.lifespan_context(reference),
        httpx.AsyncClient(
            transport=canaries.transport(planned, record=False), base_url="http://testserver"
        ) as mine,
        httpx.AsyncClient(
            transport=canaries.transport(reference, record=False), base_url="http://testserver"
        ) as theirs,
    ):
        yield Pair(mine, theirs)
