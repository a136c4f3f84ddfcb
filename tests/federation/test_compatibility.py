"""Apollo's subgraph compatibility suite, run against a subgraph built with this project's federation factory.

The suite (npm ``@apollo/federation-subgraph-compatibility-tests``) is installed at test time with
``--ignore-scripts`` (its Rover dependency would download a binary). Its reference ``users`` and ``inventory``
subgraphs run with plain Node, the ``products`` subgraph under test is ``tests/federation/compat/products.py``
served like this project's subgraph endpoints (ftv1 only when asked), and ``@apollo/gateway`` composes and serves
the three on port 4000, where the suite's Jest tests send their queries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from app import TraceOnRequest
from c360 import federation
from core.settings import PROJECT_ROOT, Settings
from tests.federation.compat.products import products_schema
from tests.servers import serving

COMPAT = PROJECT_ROOT / "scripts" / "federation" / "compat"
SUITE = COMPAT / "node_modules" / "@apollo" / "federation-subgraph-compatibility-tests"
PORTS = {"gateway": 4000, "products": 4001, "users": 4002, "inventory": 4003}
REPORT = PROJECT_ROOT / "var" / "federation" / "compatibility.md"


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


async def _wait_for(process: asyncio.subprocess.Process, marker: bytes, what: str) -> None:
    assert process.stdout is not None
    seen = b""
    async with asyncio.timeout(60):
        while marker not in seen:
            line = await process.stdout.readline()
            if not line:
                raise AssertionError(f"{what} exited before it was ready:\n{seen.decode(errors='replace')}")
            seen += line


@contextlib.asynccontextmanager
async def _node(args: list[str], cwd: Path, marker: bytes, what: str) -> AsyncIterator[None]:
    process = await asyncio.create_subprocess_exec(
        "node", *args, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        await _wait_for(process, marker, what)
        # Keep draining output so a chatty process never blocks on a full pipe.
        drain = asyncio.create_task(_drain(process))
        yield
        drain.cancel()
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def _drain(process: asyncio.subprocess.Process) -> None:
    assert process.stdout is not None
    while await process.stdout.readline():
        pass


@contextlib.asynccontextmanager
async def _products(settings: Settings) -> AsyncIterator[str]:
    endpoint = TraceOnRequest(
        GraphQL(products_schema(settings)), GraphQL(products_schema(settings, traced=True))
    )
    app = Starlette(routes=[Route("/", endpoint, methods=["GET", "POST"])])
    async with serving(app, PORTS["products"], lifespan="off") as url:
        yield f"{url}/"


async def _jest(products_url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "results.json"
        process = await asyncio.create_subprocess_exec(
            "node",
            str(COMPAT / "node_modules" / "jest" / "bin" / "jest.js"),
            str(SUITE / "dist" / "tests"),
            "--ci",
            "--json",
            f"--outputFile={output}",
            "--config",
            str(SUITE / "federation-jest.config.js"),
            cwd=SUITE,
            env={**os.environ, "PRODUCTS_URL": products_url},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await process.communicate()
        assert output.exists(), f"jest produced no results:\n{stderr.decode(errors='replace')}"
        results: dict[str, Any] = json.loads(output.read_text())
        return results


def _table(results: dict[str, Any]) -> dict[str, str]:
    outcome: dict[str, str] = {}
    for suite in results["testResults"]:
        for assertion in suite["assertionResults"]:
            name = assertion["ancestorTitles"][0] if assertion["ancestorTitles"] else assertion["fullName"]
            if outcome.get(name) != "failed":
                outcome[name] = assertion["status"]
    return outcome


@pytest.fixture(scope="module")
async def compatibility(settings: Settings) -> dict[str, Any]:
    busy = [f"{name} ({port})" for name, port in PORTS.items() if not _port_free(port)]
    assert not busy, f"the compatibility suite needs these loopback ports free: {', '.join(busy)}"
    federation.node_tools(COMPAT, ignore_scripts=True)
    subgraphs = SUITE / "dist" / "subgraphs"
    async with (
        _node(["index.js"], subgraphs / "users", b"ready", "users subgraph"),
        _node(["index.js"], subgraphs / "inventory", b"ready", "inventory subgraph"),
        _products(settings) as products_url,
        _node([str(COMPAT / "gateway.mjs"), products_url], COMPAT, b"ready", "gateway"),
    ):
        return await _jest(products_url)


def test_every_compatibility_check_passes(compatibility: dict[str, Any]) -> None:
    table = _table(compatibility)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        "| test | result |\n|---|---|\n"
        + "".join(f"| {name} | {status} |\n" for name, status in sorted(table.items()))
    )
    # Every check the suite (1.2.1) defines; a check missing from the results fails too.
    expected = {
        "@composeDirective", "@inaccessible", "@interfaceObject", "@key composite", "@key multiple", "@key single",
        "@link", "@override", "@provides", "@requires", "@shareable", "@tag", "ftv1", "introspection",
        "repeatable @key",
    }  # fmt: skip
    assert set(table) == expected
    failed = {name: status for name, status in table.items() if status != "passed"}
    assert failed == {}, "\n".join(
        f"{a['fullName']}: {a['failureMessages']}"
        for s in compatibility["testResults"]
        for a in s["assertionResults"]
        if a["status"] != "passed"
    )
    assert compatibility["numPassedTests"] == compatibility["numTotalTests"] > 0
