"""What one load run costs a server: its CPU time and memory from /proc, its SQL statements from
pg_stat_statements, its Cypher calls from its own counters, and the load driver's throughput and latency."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from bench.systems import NODE_DIR, Server, node_tools, pinned

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system time of the process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def reset_statements(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_stat_statements_reset()")
    finally:
        await conn.close()


async def statements(dsn: str) -> int:
    """Statements executed since the last reset, leaving out the harness's own."""
    conn = await asyncpg.connect(dsn)
    try:
        total: int = await conn.fetchval(
            "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements "
            "WHERE query NOT ILIKE '%pg_stat_statements%'"
        )
        return total
    finally:
        await conn.close()


_CYPHER = re.compile(r"^c360_cypher_calls_total\{[^}]*\} ([0-9.e+]+)$", re.MULTILINE)


def cypher_calls(server: Server) -> int:
    """The API counts its Cypher calls for Prometheus, the floor counts its own; PostGraphile makes none."""
    if server.name.startswith("api"):
        text = httpx.get(server.base + "/metrics", timeout=5).text
        return int(sum(float(v) for v in _CYPHER.findall(text)))
    if server.name in ("floor", "floor-json"):
        calls: int = httpx.get(server.base + "/stats", timeout=5).json()["cypherCalls"]
        return calls
    return 0


@dataclass(frozen=True)
class Load:
    url: str
    bodies: list[str]
    connections: int
    duration: float
    rate: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def drive(load: Load, core: int | None) -> dict[str, Any]:
    """One run of the load driver (``node/load.mjs``) on the load generator's core; its JSON result.

    Latencies come in milliseconds, timed in nanoseconds and kept to three significant digits, so a 0.412 ms
    answer reads 0.412 (autocannon's histogram truncated each latency to whole milliseconds: it read 0)."""
    spec = {
        "url": load.url,
        "bodies": load.bodies,
        "connections": load.connections,
        "duration": load.duration,
        "rate": load.rate,
        "headers": load.headers,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(spec, handle)
    try:
        done = subprocess.run(
            pinned(core, [str(node_tools()), str(NODE_DIR / "load.mjs"), handle.name]),
            capture_output=True,
            check=True,
            cwd=NODE_DIR,
        )
    finally:
        os.unlink(handle.name)
    result: dict[str, Any] = json.loads(done.stdout)
    return result
