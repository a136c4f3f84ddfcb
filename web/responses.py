"""GraphQL-over-HTTP error answers sent straight on the ASGI channel, before any framework or GraphQL code runs."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import Message, Send

JSON = (b"content-type", b"application/json")


def error_body(code: str, message: str, **extensions: Any) -> bytes:
    """``{"errors": [...]}`` with one coded error: the one shape of every refusal before execution."""
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code, **extensions}}]})


def error_messages(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extensions: Any
) -> tuple[Message, Message]:
    """The ``http.response.start`` and ``http.response.body`` messages of ``{"errors": [...]}`` with one error."""
    body = error_body(code, message, **extensions)
    raw = [JSON, (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    return (
        {"type": "http.response.start", "status": status, "headers": raw},
        {"type": "http.response.body", "body": body},
    )


async def send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> None:
    start, body = error_messages(status, code, message, headers, **extensions)
    await send(start)
    await send(body)


def is_graphql(path: str) -> bool:
    """``/graphql`` and ``/subgraphs/<name>/graphql``: the endpoints that run queries (never health or metrics)."""
    return path == "/graphql" or (path.startswith("/subgraphs/") and path.endswith("/graphql"))
