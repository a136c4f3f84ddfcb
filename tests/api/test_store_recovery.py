"""The API starts while its stores are down and connects by itself when they come back."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx

from app import create_app
from core.settings import Settings
from tests import auth, canaries, fixtures
from tests.servers import Forwarder

QUERY = f'{{ customer(id: "{fixtures.LI_LEI}") {{ fullName identifiers {{ type }} }} }}'


async def _ready_within(http: httpx.AsyncClient, attempts: int) -> httpx.Response:
    """Polls readiness a bounded number of times (the stores reconnect on demand, not on a timer)."""
    for _ in range(attempts):
        response = await http.get("/readyz")
        if response.status_code == 200:
            return response
        await asyncio.sleep(0.5)
    return response


async def test_starts_without_its_stores_and_heals(settings: Settings) -> None:
    assert settings.database_url is not None
    assert settings.neo4j_uri is not None
    pg, neo4j = urlsplit(settings.database_url), urlsplit(settings.neo4j_uri)
    assert pg.port is not None
    assert neo4j.port is not None
    pg_door, graph_door = Forwarder(pg.port), Forwarder(neo4j.port)
    down = settings.model_copy(
        update={
            "database_url": settings.database_url.replace(f":{pg.port}/", f":{pg_door.port}/"),
            "neo4j_uri": f"bolt://127.0.0.1:{graph_door.port}",
        }
    )
    app = create_app(down)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=canaries.transport(app), base_url="http://testserver", headers=auth.headers()
            ) as http,
        ):
            assert (await http.get("/healthz")).status_code == 200
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert set(ready.json()["checks"].values()) == {"unavailable"}
            body = (await http.post("/graphql", json={"query": QUERY})).json()
            assert body["data"] == {"customer": None}
            assert {e["extensions"]["code"] for e in body["errors"]} == {"DATA_SOURCE_UNAVAILABLE"}

            await pg_door.open()
            await graph_door.open()
            ready = await _ready_within(http, attempts=40)
            assert ready.status_code == 200, ready.json()
            data = (await http.post("/graphql", json={"query": QUERY})).json()
            assert "errors" not in data, data
            assert data["data"]["customer"]["fullName"] == "李雷"
            assert {"type": "PHONE"} in data["data"]["customer"]["identifiers"]
    finally:
        await pg_door.close()
        await graph_door.close()
