"""The GraphiQL page's assets are strawberry's, byte for byte; its examples are the README's; without assets it says
how to install them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from strawberry.http.ides import get_graphql_ide_html

from core.settings import PROJECT_ROOT
from web import ide as graphiql

UNPKG = re.compile(r'(?:src|href)="https://unpkg\.com/([^"]+)"\s+integrity="([^"]+)"')
HTML = {"accept": "text/html"}


def test_assets_are_strawberrys_pinned_files() -> None:
    """Same files, same versions, same integrity as strawberry's page, and what npm installed hashes to it."""
    assert dict(UNPKG.findall(get_graphql_ide_html("graphiql"))) == graphiql.ASSETS
    assert graphiql.missing_assets() == [], "run: npm ci --prefix web/graphiql"
    for name, digest in graphiql.ASSETS.items():
        assert graphiql.integrity(graphiql.asset_file(name)) == digest, name


def test_examples_are_the_readmes() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    try_it = readme.split("## Try it", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```graphql\n(.*?)\n```", try_it, flags=re.DOTALL)
    assert tuple(blocks) == graphiql.EXAMPLES


async def test_page_points_at_local_assets(client: httpx.AsyncClient) -> None:
    """Every endpoint's page uses the local copies and opens on the examples valid on its schema."""
    tabs = {
        "/graphql": ["CustomersWithOpenTickets", "CustomerByPhone", "GroupAccounts", "LinkCustomers"],
        "/subgraphs/profiles/graphql": ["CustomerByPhone"],
        "/subgraphs/orders/graphql": ["SubgraphSDL"],
    }
    for path, names in tabs.items():
        page = await client.get(path, headers=HTML)
        assert page.status_code == 200
        assert "<title>Customer 360 · GraphiQL</title>" in page.text
        assert "//unpkg.com" not in page.text
        examples = json.loads(page.text.split("const EXAMPLES = ", 1)[1].split(";\n", 1)[0])
        assert [example["query"].split()[1] for example in examples] == names
        for name, digest in graphiql.ASSETS.items():
            assert f'"/graphiql/assets/{name}" integrity="{digest}"' in page.text
    script = await client.get("/graphiql/assets/react@18.2.0/umd/react.production.min.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "immutable" in script.headers["cache-control"]
    assert (await client.get("/graphiql/assets/react/package.json")).status_code == 404


async def test_page_says_how_to_install_missing_assets(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(graphiql, "MODULES", tmp_path)
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 503
    assert "GraphiQL assets not installed" in page.text
    assert "npm ci --prefix web/graphiql" in page.text
    assert "react@18.2.0/umd/react.production.min.js" in page.text
