"""Every GraphQL request the tests' in-process clients send, kept once each, for the differential tests to replay
the queries among them through both executors (``tests/execution/test_differential.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Request:
    path: str
    authorization: str | None
    body: bytes


REQUESTS: dict[Request, None] = {}
"""In the order first sent; identical requests once."""


def keep(request: httpx.Request) -> None:
    if request.method != "POST" or not request.url.path.endswith("/graphql"):
        return
    if not request.headers.get("content-type", "").startswith("application/json"):
        return
    body = request.content
    if body:
        REQUESTS.setdefault(Request(request.url.path, request.headers.get("authorization"), body))
