"""The GraphiQL page, on pinned local copies of its scripts, so it works without internet and opens on examples.

Strawberry's page loads React, GraphiQL, the explorer plugin and js-cookie from unpkg.com; a private deployment
cannot reach it and the page never leaves "Loading...". The same files, at the same versions, are installed from
npm into ``web/graphiql/node_modules`` (``scripts/bootstrap.sh``) and served under ``/graphiql/assets/``, with the
integrity hashes of strawberry's page, which the browser checks.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
from pathlib import Path

import strawberry
from graphql import parse, validate
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from core.settings import PROJECT_ROOT

WEB = PROJECT_ROOT / "web" / "graphiql"
MODULES = WEB / "node_modules"
ASSETS_PATH = "/graphiql/assets"
INSTALL_COMMAND = "npm ci --prefix web/graphiql"

ASSETS = {
    "graphiql@3.8.3/graphiql.min.css": "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    "@graphiql/plugin-explorer@1.0.2/dist/style.css": "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
    "react@18.2.0/umd/react.production.min.js": "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    "react-dom@18.2.0/umd/react-dom.production.min.js": "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    "js-cookie@3.0.5/dist/js.cookie.min.js": "sha384-/vxhYfM1LENRhdpZ8dwEsQn/X4VhpbEZSiU4m/FwR+PVpzar4fkEOw8FP9Y+OfQN",
    "graphiql@3.8.3/graphiql.min.js": "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    "@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
}
"""Each file as unpkg names it (package@version/path), with strawberry's sha384 integrity for it."""

EXAMPLES = (
    """query CustomersWithOpenTickets {
  customers(first: 3, filter: {hasOpenTickets: true}) {
    totalCount
    nodes {
      fullName city loyaltyTier lifetimeValue openTicketCount
      identifiers { type value source }
      orders(first: 2) { nodes { placedAt total items { name quantity } } }
      tickets(status: [OPEN, PENDING]) { subject priority slaBreached }
      interactions(first: 3) { nodes { kind occurredAt summary } }
      household { name members { role customer { fullName } } }
      accounts { title account { name ancestors { name } } }
      referredBy { campaign referrer { fullName } }
      related(maxDepth: 2, first: 5) { distance customer { fullName } path { kind via } }
    }
  }
}""",
    """query CustomerByPhone { customerByIdentifier(type: PHONE, value: "181 5146 5010") { fullName } }""",
    """query GroupAccounts {
  accounts(first: 5, search: "group") {
    nodes {
      name lifetimeValue openTicketCount
      children { name children { name } }
      contacts(first: 5, includeDescendants: true) { nodes { title customer { fullName } account { name } } }
    }
  }
}""",
    """mutation LinkCustomers {
  linkCustomers(input: {kind: HOUSEHOLD, customerId: "…", relatedCustomerId: "…", role: CHILD}) { changed }
}""",
)
"""The README's "Try it" operations, one GraphiQL tab each (tests/graphiql keeps the two equal)."""

SUBGRAPH_EXAMPLE = "query SubgraphSDL { _service { sdl } }"
"""A subgraph's tab when none of the examples fit its schema: the SDL a gateway composes."""


def examples_for(schema: strawberry.Schema) -> tuple[str, ...]:
    """The examples that are valid on this endpoint: all of them on /graphql, few or none on a subgraph."""
    fitting = tuple(query for query in EXAMPLES if not validate(schema._schema, parse(query)))
    return fitting or (SUBGRAPH_EXAMPLE,)


def asset_file(name: str) -> Path:
    """Where npm put ``package@version/path``: ``node_modules/package/path`` (the package may be ``@scope/name``)."""
    version_at = name.index("@", 1)
    return MODULES / name[:version_at] / name[name.index("/", version_at) + 1 :]


def integrity(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


@functools.lru_cache(maxsize=32)
def _matches(path: Path, expected: str, _mtime_ns: int, _size: int) -> bool:
    return integrity(path) == expected


def missing_assets() -> list[str]:
    """Assets absent or not the pinned version (checked per page load, hashed once per file version)."""
    missing = []
    for name, expected in ASSETS.items():
        path = asset_file(name)
        try:
            stat = path.stat()
        except FileNotFoundError:
            missing.append(name)
            continue
        if not _matches(path, expected, stat.st_mtime_ns, stat.st_size):
            missing.append(name)
    return missing


def _script_json(value: object) -> str:
    """JSON that is safe inside a <script> element."""
    return json.dumps(value).replace("<", "\\u003c")


def page(request: Request, examples: tuple[str, ...]) -> HTMLResponse:
    """The GraphiQL page for the endpoint ``request`` came to, or how to install its assets when they are missing."""
    missing = missing_assets()
    if missing:
        return HTMLResponse(_install_page(missing), status_code=503)
    base = request.scope.get("root_path", "") + ASSETS_PATH
    tags = []
    for name, digest in ASSETS.items():
        url = html.escape(f"{base}/{name}")
        if name.endswith(".css"):
            tags.append(f'<link rel="stylesheet" href="{url}" integrity="{digest}" />')
        else:
            tags.append(f'<script src="{url}" integrity="{digest}"></script>')
    template = (WEB / "index.html").read_text(encoding="utf-8")
    body = template.replace("{{assets}}", "\n    ".join(tags)).replace(
        "{{examples}}", _script_json([{"query": query} for query in examples])
    )
    return HTMLResponse(body)


def _install_page(missing: list[str]) -> str:
    items = "".join(f"<li><code>{html.escape(name)}</code></li>" for name in missing)
    return f"""<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Customer 360 · GraphiQL assets not installed</title></head>
  <body style="font-family: sans-serif; max-width: 46em; margin: 3em auto; line-height: 1.5">
    <h1>GraphiQL assets not installed</h1>
    <p>This page serves GraphiQL from local copies of its scripts, and these are missing or not the pinned
    version:</p>
    <ul>{items}</ul>
    <p>Install them from the project folder with <code>{INSTALL_COMMAND}</code> (or
    <code>scripts/bootstrap.sh</code>), then reload. The API itself works meanwhile: POST queries to this URL.</p>
  </body>
</html>"""


async def serve_asset(request: Request) -> Response:
    """One of the pinned assets; the version in its URL lets browsers cache it for good."""
    name = request.path_params["name"]
    if name not in ASSETS:
        return PlainTextResponse("Not Found", status_code=404)
    path = asset_file(name)
    if not path.is_file():
        return PlainTextResponse(f"GraphiQL assets not installed: run {INSTALL_COMMAND}", status_code=404)
    return FileResponse(path, headers={"cache-control": "public, max-age=31536000, immutable"})


ASSETS_ROUTE = Route(f"{ASSETS_PATH}/{{name:path}}", serve_asset, methods=["GET", "HEAD"])

__all__ = ["ASSETS", "ASSETS_ROUTE", "EXAMPLES", "examples_for", "page"]
