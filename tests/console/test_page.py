"""The console's files: served from this origin only, under a strict content security policy, nothing but the
allow-listed files, and only where the profile serves the console."""

from __future__ import annotations

import re

import httpx

from core.settings import PROJECT_ROOT, Settings
from tests.servers import in_process


async def test_the_console_and_its_two_files_are_served_with_a_strict_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/console")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    assert "script-src 'self'" in policy
    for name, kind in (("console.js", "text/javascript"), ("console.css", "text/css")):
        asset = await client.get(f"/console/{name}")
        assert asset.status_code == 200
        assert asset.headers["content-type"].startswith(kind)
    for probe in ("index.html", "..%2Fconsole.py", "nope.js"):
        assert (await client.get(f"/console/{probe}")).status_code == 404


def test_the_page_loads_nothing_from_elsewhere() -> None:
    """Every src and href of the page is this origin's (or inline data), so it works without internet."""
    html = (PROJECT_ROOT / "web" / "console" / "index.html").read_text()
    for reference in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert reference.startswith("/console/") or reference.startswith("data:"), reference
    script = (PROJECT_ROOT / "web" / "console" / "console.js").read_text()
    assert "http://" not in script
    assert "https://" not in script


async def test_production_serves_no_console(settings: Settings) -> None:
    production = settings.model_copy(update={"profile": "production"})
    async with in_process(production) as http:
        assert (await http.get("/console")).status_code == 404
    async with in_process(production.model_copy(update={"console": True})) as http:
        assert (await http.get("/console")).status_code == 200
