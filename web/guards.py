"""Bearer-token guards for the endpoints that only a gateway or an operator may call in production.

Subgraph endpoints answer whatever a gateway asks (``_entities`` by any key), and ``/metrics``/``/readyz`` describe
the deployment; in the production profile each path prefix needs its own token, compared in constant time. A prefix
whose token is not configured is closed to everyone.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from web.requests import error_response


class TokenGuard:
    def __init__(self, app: ASGIApp, guarded: Sequence[tuple[str, SecretStr | None]]) -> None:
        self.app = app
        self.guarded = [
            (prefix, token.get_secret_value().encode() if token else None) for prefix, token in guarded
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            for prefix, token in self.guarded:
                if path.startswith(prefix) and not self._presents(scope, token):
                    response = error_response("This endpoint needs its bearer token", 401, "UNAUTHENTICATED")
                    response.headers["WWW-Authenticate"] = "Bearer"
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    @staticmethod
    def _presents(scope: Scope, token: bytes | None) -> bool:
        if token is None:
            return False
        given = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, value = given.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(value.strip(), token)
