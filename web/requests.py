"""Strict reading of GraphQL-over-HTTP request bodies: anything malformed is a 4xx with a GraphQL error body.

Python's ``json`` accepts what a hostile client can use against the server (a 5,000-digit integer costs quadratic
time to convert and then fails deep inside execution; nesting deep enough to exhaust the recursion limit; duplicate
keys, where the last one silently wins). This decoder refuses each of them up front, so nothing malformed reaches
parsing or execution and nothing surfaces as a 500.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.responses import Response

from web.responses import error_body

MAX_INT_DIGITS = 20
"""Enough for any 64-bit integer; GraphQL's ``Int`` is 32-bit and ids are 64-bit."""


class BadRequest(Exception):
    """A request body that is not a GraphQL-over-HTTP request; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


BULK_FIELDS = frozenset({"ingestSourceRecords", "ingestOrders"})
"""Mutations that take documented batches (up to 1,000 records): their requests may use the bulk body limit."""


def only_bulk_writes(query: Any) -> bool:
    """Whether every operation of ``query`` is a mutation whose root fields are all bulk writes."""
    if not isinstance(query, str):
        return False
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and all(
        op.operation is OperationType.MUTATION
        and all(isinstance(s, FieldNode) and s.name.value in BULK_FIELDS for s in op.selection_set.selections)
        for op in operations
    )


def check_size(body: bytes | str, data: dict[str, Any], max_bytes: int) -> None:
    """Bodies over the general limit (and within the bulk limit the HTTP layer enforced) carry bulk writes only."""
    size = len(body.encode() if isinstance(body, str) else body)
    if size > max_bytes and not only_bulk_writes(data.get("query")):
        raise BadRequest(
            f"Request body exceeds {max_bytes} bytes (only bulk writes such as ingestSourceRecords may be larger)",
            413,
            "REQUEST_TOO_LARGE",
        )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise BadRequest(f"Duplicate key {key[:64]!r} in the request body")
        found[key] = value
    return found


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BadRequest(f"Integer with {len(text)} digits in the request body: at most {MAX_INT_DIGITS}")
    return int(text)


def _no_constant(name: str) -> Any:
    raise BadRequest(f"{name} is not JSON")


def _check_shape(value: Any, max_depth: int, max_string: int) -> None:
    """Nesting and string lengths of the variables and extensions, without recursion (the bound is the point)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            if isinstance(item, str):
                if len(item) > max_string:
                    raise BadRequest(
                        f"String of {len(item)} characters in the variables: at most {max_string}"
                    )
                if "\x00" in item:
                    raise BadRequest("Strings may not contain the NUL character")
            continue
        if depth > max_depth:
            raise BadRequest(f"Input nested deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children)


def decode_request(body: bytes | str, *, max_depth: int, max_string: int) -> dict[str, Any]:
    """The request object of a POSTed GraphQL request, or :class:`BadRequest` saying what is wrong with it."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise BadRequest(f"Request body is not valid UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_int=_bounded_int, parse_constant=_no_constant
        )
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"Request body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise BadRequest(f"Input nested deeper than {max_depth} levels") from None
    if isinstance(data, list):
        raise BadRequest("Batched requests are not supported: send one operation per request")
    if not isinstance(data, dict):
        raise BadRequest(f"Request body must be a JSON object, not {type(data).__name__}")
    for key in ("query", "operationName"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise BadRequest(f"`{key}` must be a string")
    for key in ("variables", "extensions"):
        if data.get(key) is not None:
            if not isinstance(data[key], dict):
                raise BadRequest(f"`{key}` must be an object")
            _check_shape(data[key], max_depth, max_string)
    return data


def error_response(message: str, status: int, code: str = "BAD_REQUEST", **details: Any) -> Response:
    """A GraphQL-over-HTTP error body (``application/json``), for requests refused before execution."""
    return Response(error_body(code, message, **details), status_code=status, media_type="application/json")
