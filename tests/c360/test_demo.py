"""The README's demo command provisions, seeds and serves a working API."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from core.settings import PROJECT_ROOT, Settings
from tests import auth
from tests.servers import free_port
from web.ide import EXAMPLES


@pytest.mark.runs_last
def test_demo_command_serves_seeded_data(settings: Settings) -> None:
    port = free_port()
    env = {
        **os.environ,
        "C360_DATABASE_URL": settings.database_url or "",
        "C360_NEO4J_URI": settings.neo4j_uri or "",
        "C360_NEO4J_PASSWORD": settings.neo4j_password or "",
        "C360_AUTH_DEV_SECRET": auth.SECRET.get_secret_value(),
    }
    # The API as its application role, migrations and seeding as the schemas' owner.
    if settings.migration_database_url:
        env["C360_MIGRATION_DATABASE_URL"] = settings.migration_database_url
    if settings.app_db_role:
        env["C360_APP_DB_ROLE"] = settings.app_db_role
    proc = subprocess.Popen(
        [sys.executable, "-m", "c360", "demo", "--customers", "150", "--port", str(port), "--reseed"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 900  # a bound for a busy machine: the seed goes through the relay
        body: dict[str, object] = {}
        while time.monotonic() < deadline:
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={
                        "query": "{ customers(first: 3) { totalCount nodes { fullName identifiers { type }"
                        " sourceRecords { system } provenance { field system } identityHistory { kind rule } } } }"
                    },
                    headers=auth.headers(),
                    timeout=30,
                )
                body = response.json()
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(1)
        customers = body["data"]["customers"]  # type: ignore[index]
        assert customers["totalCount"] == 150
        assert len(customers["nodes"]) == 3
        assert all(node["identifiers"] for node in customers["nodes"])
        # Seeded through the ingest path: each customer's systems sent their records, which the relay linked.
        for node in customers["nodes"]:
            assert {r["system"] for r in node["sourceRecords"]} >= {"crm"}
            assert {p["field"] for p in node["provenance"]} >= {"given_name", "family_name"}
            assert all(p["system"] != "profile" for p in node["provenance"])
            assert {"LINK"} <= {e["kind"] for e in node["identityHistory"]}
        # The README's lookup by phone finds a seeded customer (the first one the seed generates).
        (by_phone,) = [example for example in EXAMPLES if "CustomerByPhone" in example]
        found = httpx.post(
            f"http://127.0.0.1:{port}/graphql", json={"query": by_phone}, headers=auth.headers(), timeout=30
        ).json()
        assert found["data"]["customerByIdentifier"]["fullName"], found
        page = httpx.get(f"http://127.0.0.1:{port}/graphql", headers={"accept": "text/html"}, timeout=30)
        assert "graphiql" in page.text.lower()
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert f"http://127.0.0.1:{port}/graphql" in output
    assert '{"Authorization": "Bearer ' in output  # the demo says how to call it
