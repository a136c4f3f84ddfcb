"""The lean path: an ordinary POSTed query answered straight from the ASGI messages, in front of strawberry's view.

A query document strawberry already parsed and validated under the same rules (``schema/execution/prepared.py``)
is run by the planned executor and answered with the bytes strawberry's view would send: the same token check,
strict body reading, rate-limit charge, error log, audit record, error masking and JSON encoding (orjson in and
out). Everything else goes to strawberry's view with the body it would have read: the first request of a
document, mutations, subscriptions, GET, multipart, GraphiQL, documents with several operations and no name,
streaming ``Accept`` headers. Middleware around the endpoint (shedding, deadlines, request ids, CORS, the body
limit, rate-limit headers) is not bypassed: the lean path sits inside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import strawberry
from graphql import ExecutionResult
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.extensions import MaskErrors
from strawberry.http import process_result

from core.errors import Unauthenticated
from schema.execution.prepared import execute_prepared, prepared_queries, query_operation
from schema.extensions import is_unexpected
from web.metrics import LEAN_ANSWERS
from web.ratelimit import SCOPE_KEY, RateLimit, client_key, refusal
from web.requests import BadRequest, error_response

JSON_TYPE = "application/json"
STREAMING = (b"multipart/mixed", b"text/event-stream")


@dataclass
class LeanQueries:
    schema: strawberry.Schema
    principal_of: Callable[[str | None], Any]
    """Verifies the bearer token (``TokenVerifier.principal``); raises ``Unauthenticated``."""
    context_of: Callable[[Request, Any], Any]
    refuses_introspection: Callable[[Any], bool]
    decode: Callable[[bytes], dict[str, Any]]
    rate_limit: RateLimit | None
    masker: MaskErrors | None

    def __post_init__(self) -> None:
        self.queries = prepared_queries(self.schema)

    @staticmethod
    def applies(scope: Scope) -> bool:
        """A POST with a JSON body and no streaming ``Accept`` (so no subscription over HTTP)."""
        if scope["method"] != "POST":
            return False
        content_type = accept = b""
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"accept":
                accept = value
        mime = content_type.split(b";", 1)[0].strip().lower()
        return mime == JSON_TYPE.encode() and not any(kind in accept for kind in STREAMING)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """Answer the request and return ``None``; or return its body, unanswered, for strawberry's view."""
        headers = dict(scope["headers"])
        authorization = headers.get(b"authorization")
        try:
            principal = self.principal_of(
                authorization.decode("latin-1") if authorization is not None else None
            )
        except Unauthenticated as exc:
            await unauthenticated(exc)(scope, receive, send)
            return None
        body = await read_body(receive)
        try:
            data = self.decode(body)
        except BadRequest:
            return body  # strawberry's view refuses it, with the same decoding and its own answer
        query = data.get("query")
        operation_name = data.get("operationName")
        if not isinstance(query, str):
            return body
        prepared = self.queries.find(query, self.refuses_introspection(principal))
        if prepared is None or query_operation(prepared.document, operation_name) is None:
            return body
        scope.setdefault("state", {})["principal"] = principal
        request = Request(scope)
        context = self.context_of(request, principal)
        result: ExecutionResult
        refused = await self.charge(scope, query, operation_name, prepared.document)
        if refused is not None:
            result = refused
        else:
            result = await execute_prepared(
                self.schema,
                prepared,
                context,
                data.get("variables"),
                operation_name,
                data.get("extensions"),
                self.masker,
                is_unexpected,
            )
        content = orjson.dumps(process_result(result))
        await Response(content, status_code=200, media_type=JSON_TYPE)(scope, receive, send)
        LEAN_ANSWERS.inc()
        return None

    async def charge(
        self, scope: Scope, query: str, operation_name: str | None, document: Any
    ) -> ExecutionResult | None:
        """The rate limit's charge, as its extension makes it: the refusal's result when the budget cannot pay."""
        if self.rate_limit is None:
            return None
        cost = self.rate_limit.cost_of(self.schema, query, operation_name, document)
        charge = await self.rate_limit.charge(client_key(scope), cost)
        scope[SCOPE_KEY] = charge
        if charge.allowed:
            return None
        self.rate_limit.refused()
        errors = [refusal(charge)]
        self.schema.process_errors(errors, None)
        return ExecutionResult(None, errors)


def unauthenticated(exc: Unauthenticated) -> Response:
    """401 with ``WWW-Authenticate``: the answer to a GraphQL request without a valid bearer token."""
    response = error_response(str(exc), 401, exc.code)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """``receive`` for strawberry's view after the lean path read the body: the body once, then the channel."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


__all__ = ["LeanQueries", "read_body", "replaying", "unauthenticated"]
