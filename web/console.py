"""The service console (``/console``): one HTML page, its script and its style sheet, served by the API itself.

It has no dependency and loads nothing from elsewhere (the content security policy allows this origin only, its
WebSocket included): a new user opens it after ``scripts/demo.sh`` and signs in with a development token. It speaks
to ``/graphql`` like any client: queries and mutations over HTTP, the customer's changes over graphql-transport-ws.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from core.settings import PROJECT_ROOT

FILES = PROJECT_ROOT / "web" / "console"
ASSETS = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8"}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:;"
        " base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


async def page(request: Request) -> Response:
    return FileResponse(FILES / "index.html", media_type="text/html; charset=utf-8", headers=HEADERS)


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:  # an allow-list: nothing else of the folder is served
        return PlainTextResponse("Not found", status_code=404)
    return FileResponse(FILES / name, media_type=ASSETS[name], headers=HEADERS)


ROUTES = [
    Route("/console", page, methods=["GET", "HEAD"]),
    Route("/console/{name}", asset, methods=["GET", "HEAD"]),
]
