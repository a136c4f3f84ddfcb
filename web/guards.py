"""Bearer-token guards for the endpoints that only a gateway or an operator may call in production.

Subgraph endpoints answer whatever a gateway asks (``_entities`` by any key), and ``/metrics``/``/readyz`` describe
the deployment; in the production profile each path prefix needs its own token, compared in constant time. A prefix
whose token is not configured is closed to everyone. The gateway sends its token in a header of its own
(``X-Gateway-Token``), because it forwards the caller's ``Authorization`` to the subgraphs unchanged.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from web.requests import error_response

GATEWAY_HEADER = b"x-gateway-token"


class TokenGuard:
    def __init__(self, app: ASGIApp, guarded: Sequence[tuple[str, bytes, SecretStr | None]]) -> None:
        """``guarded``: (path prefix, header carrying the token, the token)."""
        self.app = app
        self.guarded = [
            (prefix, header, token.get_secret_value().encode() if token else None)
            for prefix, header, token in guarded
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            for prefix, header, token in self.guarded:
                if path.startswith(prefix) and not self._presents(scope, header, token):
                    response = error_response("This endpoint needs its token", 401, "UNAUTHENTICATED")
                    if header == b"authorization":
                        response.headers["WWW-Authenticate"] = "Bearer"
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    @staticmethod
    def _presents(scope: Scope, header: bytes, token: bytes | None) -> bool:
        if token is None:
            return False
        given = dict(scope["headers"]).get(header, b"")
        if header == b"authorization":
            scheme, _, given = given.partition(b" ")
            if scheme.lower() != b"bearer":
                return False
        return hmac.compare_digest(given.strip(), token)
