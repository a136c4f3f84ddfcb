"""The benchmark report: per query and system, then the ratios and goals, in Markdown and in JSON."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.harness import STEPS, Outcome, Run
from bench.systems import NODE, NODE_DIR
from bench.workload import API, FLOOR, FLOOR_JSON, POSTGRAPHILE, QUERIES
from core.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results"
NOT_MEASURABLE = "not measurable"
"""What a ratio reads, in Markdown and JSON, when a side is missing or zero (e.g. a latency below the
resolution): a number there would be a division by zero or a guess."""


def summarise(outcome: Outcome) -> list[dict[str, Any]]:
    """One row per query and system: medians over rounds (throughput runs for rates and costs, fixed-rate runs
    for latency)."""
    rows: list[dict[str, Any]] = []
    for query in outcome.options.queries:
        systems = list(dict.fromkeys(r.system for r in outcome.runs if r.query == query))
        for system in systems:
            peak = [
                r for r in outcome.runs if r.query == query and r.system == system and r.mode == "throughput"
            ]
            held = [
                r for r in outcome.runs if r.query == query and r.system == system and r.mode == "latency"
            ]
            rows.append(
                {
                    "query": query,
                    "system": system,
                    "rps": _median(peak, "rps"),
                    "p50_ms": _median(held, "p50_ms"),
                    "p99_ms": _median(held, "p99_ms"),
                    "rate": outcome.rates.get(query),
                    "cpu_ms_per_request": _median(peak, "cpu_ms_per_request"),
                    "peak_rss_mb": max((r.peak_rss_mb for r in peak + held), default=None),
                    "sql_per_request": _median(peak, "sql_per_request"),
                    "cypher_per_request": _median(peak, "cypher_per_request"),
                    "failures": sum(r.failures for r in peak + held),
                }
            )
    return rows


def _median(runs: list[Run], attr: str) -> float | None:
    return float(statistics.median(getattr(r, attr) for r in runs)) if runs else None


def ratio(ours: float | None, theirs: float | None) -> float | str:
    """``ours / theirs``, or :data:`NOT_MEASURABLE` when either is missing, not finite, or the divisor is 0."""
    if ours is None or theirs is None or not math.isfinite(ours) or not math.isfinite(theirs) or theirs == 0:
        return NOT_MEASURABLE
    return ours / theirs


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This API against each peer: throughput (higher is better for us) and latency (lower is better)."""
    by = {(r["query"], r["system"]): r for r in rows}
    out = []
    for (query, system), ours in by.items():
        if system != API:
            continue
        for peer in (POSTGRAPHILE, FLOOR, FLOOR_JSON):
            theirs = by.get((query, peer))
            if theirs is None:
                continue
            out.append(
                {
                    "query": query,
                    "peer": peer,
                    "throughput": ratio(ours["rps"], theirs["rps"]),
                    "p50": ratio(ours["p50_ms"], theirs["p50_ms"]),
                    "p99": ratio(ours["p99_ms"], theirs["p99_ms"]),
                    "cpu": ratio(ours["cpu_ms_per_request"], theirs["cpu_ms_per_request"]),
                }
            )
    return out


def goals(rows: list[dict[str, Any]], ratio_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ratio = {(r["query"], r["peer"]): r for r in ratio_rows}
    by = {(r["query"], r["system"]): r for r in rows}
    found: list[dict[str, Any]] = []

    def add(goal: str, value: float | str | None, met: bool | None) -> None:
        found.append({"goal": goal, "measured": value, "met": met})

    for peer, key, goal, bound, higher in (
        (POSTGRAPHILE, "throughput", "Q1 throughput >= 1.0x PostGraphile", 1.0, True),
        (FLOOR, "p50", "Q1 p50 <= 2x the floor", 2.0, False),
        (FLOOR, "p99", "Q1 p99 <= 3x the floor", 3.0, False),
    ):
        found_ratio = ratio.get(("q1", peer))
        if found_ratio is None:
            add(goal, None, None)
            continue
        value = found_ratio[key]
        if isinstance(value, str):
            add(goal, value, None)
            continue
        add(goal, value, value >= bound if higher else value <= bound)
    for query in ("q3", "q4"):
        row = by.get((query, API))
        if row is None:
            continue
        goal = f"{query.upper()} round trips <= 6 SQL + 1 Cypher"
        sql, cypher = row["sql_per_request"], row["cypher_per_request"]
        if sql is None or cypher is None:
            add(goal, NOT_MEASURABLE, None)
            continue
        add(goal, f"{sql:.2f} SQL + {cypher:.2f} Cypher", sql <= 6 and cypher <= 1)
    return found


EXECUTORS = (API, "api-graphql-core")
"""The planned executor (the production API) and graphql-core's (a step of ``--steps``), held to the same goals."""
THROUGHPUT_GOALS = {"q1": 1.0, "q2": 1.5, "q3": 1.0, "q4": 2.0}
"""Each query's throughput goal, over PostGraphile's; p50 within 1.5x the floor's; CPU per request within
PostGraphile's."""


def executor_goals(rows: list[dict[str, Any]], fields: dict[str, float]) -> list[dict[str, Any]]:
    """Each executor measured against the goals, per query: throughput over PostGraphile's, p50 over the floor's,
    CPU per request over PostGraphile's; beside them, p50 over ``floor-json``'s (one JSON-building statement per
    query) and the CPU per field of the answer, whole and above ``floor-json``'s."""
    by = {(r["query"], r["system"]): r for r in rows}
    found = []
    for query, bound in THROUGHPUT_GOALS.items():
        peer, floor = by.get((query, POSTGRAPHILE)), by.get((query, FLOOR))
        json_floor = by.get((query, FLOOR_JSON))
        for system in EXECUTORS:
            row = by.get((query, system))
            if row is None or peer is None or floor is None:
                continue
            throughput = ratio(row["rps"], peer["rps"])
            p50 = ratio(row["p50_ms"], floor["p50_ms"])
            cpu = ratio(row["cpu_ms_per_request"], peer["cpu_ms_per_request"])
            count = fields.get(query)
            cpu_ms = row["cpu_ms_per_request"]
            json_cpu = json_floor["cpu_ms_per_request"] if json_floor is not None else None
            found.append(
                {
                    "query": query,
                    "system": system,
                    "throughput": throughput,
                    "throughput_goal": bound,
                    "p50": p50,
                    "cpu": cpu,
                    "p50_floor_json": ratio(row["p50_ms"], json_floor["p50_ms"] if json_floor else None),
                    "fields": count,
                    "cpu_us_per_field": ratio(1000 * cpu_ms, count) if cpu_ms is not None else NOT_MEASURABLE,
                    "cpu_us_per_field_above_floor_json": ratio(1000 * (cpu_ms - json_cpu), count)
                    if cpu_ms is not None and json_cpu is not None
                    else NOT_MEASURABLE,
                    "met": [
                        None if isinstance(throughput, str) else throughput >= bound,
                        None if isinstance(p50, str) else p50 <= 1.5,
                        None if isinstance(cpu, str) else cpu <= 1.0,
                    ],
                }
            )
    return found


def versions() -> dict[str, str]:
    found = {
        "python": platform.python_version(),
        "strawberry-graphql": version("strawberry-graphql"),
        "graphql-core": version("graphql-core"),
        "uvicorn": version("uvicorn"),
        "asyncpg": version("asyncpg"),
        "neo4j": version("neo4j"),
        "orjson": version("orjson"),
    }
    lock = json.loads((NODE_DIR / "package-lock.json").read_text())
    for name in lock["packages"][""]["dependencies"]:
        found[name] = lock["packages"][f"node_modules/{name}"]["version"]
    found["node"] = (
        subprocess.run([str(NODE), "--version"], capture_output=True, text=True).stdout.strip()
        if NODE.exists()
        else "not installed"
    )
    found["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"
    )
    return found


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None or value != value:
        return "n/a"
    return f"{value:,.{digits}f}"


def _number(value: float | str) -> str:
    return value if isinstance(value, str) else _fmt(value)


def _times(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:,.2f}x"


def markdown(outcome: Outcome, rows: list[dict[str, Any]], ratio_rows: list[dict[str, Any]]) -> str:
    o = outcome.options
    lines = [
        f"# Customer 360 benchmark: size {o.size.upper()}",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. {o.rounds} round(s) per mode, {o.duration:g} s per run, "
        f"{o.connections} connections; server on core {o.server_core}, load generator on core {o.load_core}. "
        "Throughput from closed-loop runs; latency from open-loop runs (requests issued on a fixed schedule by "
        "`bench/node/load.mjs`, timed to the nanosecond) at the stated rate, "
        f"{o.rate_fraction:.0%} of the slowest system's throughput for that query, so every system sees the same "
        "offered load. CPU is the server process's user+system time; SQL statements come from "
        "`pg_stat_statements`, Cypher calls from each server's own counters.",
        "",
        "## Equality gate",
        "",
        "| query | system | requests compared | result |",
        "|---|---|---|---|",
    ]
    for v in outcome.verdicts:
        result = "same data as the API" if v.equal else f"DIFFERS, not timed: {v.difference}"
        if v.system == API:
            result = "reference"
        lines.append(f"| {v.query.upper()} | {v.system} | {v.requests} | {result} |")
    lines += ["", "## Results", ""]
    for query in o.queries:
        spec = QUERIES[query]
        lines += [
            f"### {query.upper()}: {spec.title}",
            "",
            "| system | req/s | p50 ms | p99 ms | at req/s | CPU ms/req | peak RSS MB | SQL/req | Cypher/req | failures |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in (r for r in rows if r["query"] == query):
            lines.append(
                f"| {r['system']} | {_fmt(r['rps'], 0)} | {_fmt(r['p50_ms'], 3)} | {_fmt(r['p99_ms'], 3)} | "
                f"{r['rate'] or 'n/a'} | {_fmt(r['cpu_ms_per_request'])} | {_fmt(r['peak_rss_mb'], 0)} | "
                f"{_fmt(r['sql_per_request'])} | {_fmt(r['cypher_per_request'])} | {r['failures']} |"
            )
        if query == "q5":
            lines.append("")
            lines.append(
                "PostGraphile has no Q5: identifiers live in the Neo4j identity graph, not in PostgreSQL."
            )
        if query == "q1":
            lines.append("")
            lines.append(
                "PostGraphile's Q1 has no identifiers (they live in Neo4j); the API's and the floor's include them."
            )
        lines.append("")
    lines += [
        "## Ratios (this API / peer)",
        "",
        "| query | peer | throughput | p50 | p99 | CPU per request |",
        "|---|---|---|---|---|---|",
    ]
    for r in ratio_rows:
        lines.append(
            f"| {r['query'].upper()} | {r['peer']} | {_times(r['throughput'])} | {_times(r['p50'])} | "
            f"{_times(r['p99'])} | {_times(r['cpu'])} |"
        )
    lines += ["", "## Goals", "", "| goal | measured | met |", "|---|---|---|"]
    for g in goals(rows, ratio_rows):
        measured = g["measured"] if isinstance(g["measured"], str) else _fmt(g["measured"])
        met = "n/a" if g["met"] is None else ("yes" if g["met"] else "no")
        lines.append(f"| {g['goal']} | {measured} | {met} |")
    executors = executor_goals(rows, outcome.fields)
    if executors:
        lines += [
            "",
            "## Executors against the goals (planned: `api`; graphql-core: `api-graphql-core`)",
            "",
            "| query | executor | throughput / PostGraphile (goal) | p50 / floor (goal <= 1.5x) | "
            "CPU per request / PostGraphile (goal <= 1.0x) | p50 / floor-json | fields per answer | "
            "CPU µs per field | above floor-json |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for e in executors:
            marks = ["" if m is None else (" met" if m else " missed") for m in e["met"]]
            lines.append(
                f"| {e['query'].upper()} | {e['system']} | {_times(e['throughput'])} "
                f"(>= {e['throughput_goal']:g}x){marks[0]} | {_times(e['p50'])}{marks[1]} | "
                f"{_times(e['cpu'])}{marks[2]} | {_times(e['p50_floor_json'])} | {_fmt(e['fields'], 0)} | "
                f"{_number(e['cpu_us_per_field'])} | {_number(e['cpu_us_per_field_above_floor_json'])} |"
            )
    steps = [r for r in rows if r["system"] in STEPS]
    if steps:
        base = {r["query"]: r for r in rows if r["system"] == API}
        lines += [
            "",
            "## Speed steps (each variant undoes one step; the ratio is the production API over the variant)",
            "",
            "| query | variant | variant req/s | API req/s | API / variant throughput | variant CPU ms/req |",
            "|---|---|---|---|---|---|",
        ]
        for r in steps:
            ours = base.get(r["query"])
            if ours is None:
                continue
            lines.append(
                f"| {r['query'].upper()} | {r['system']} | {_fmt(r['rps'], 0)} | {_fmt(ours['rps'], 0)} | "
                f"{_times(ratio(ours['rps'], r['rps']))} | {_fmt(r['cpu_ms_per_request'])} |"
            )
    lines += ["", "## Versions", ""]
    lines += [f"- {k}: {v}" for k, v in versions().items()]
    lines += ["", "## Command", "", "```", f"uv run {o.command}", "```", ""]
    return "\n".join(lines)


def write(outcome: Outcome, directory: Path = RESULTS) -> tuple[Path, Path]:
    rows = summarise(outcome)
    ratio_rows = ratios(rows)
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"bench-{outcome.options.size}"
    md = directory / f"{stem}.md"
    js = directory / f"{stem}.json"
    md.write_text(markdown(outcome, rows, ratio_rows))
    js.write_text(
        json.dumps(
            {
                "options": asdict(outcome.options),
                "verdicts": [asdict(v) for v in outcome.verdicts],
                "rates": outcome.rates,
                "summary": rows,
                "ratios": ratio_rows,
                "goals": goals(rows, ratio_rows),
                "fields": outcome.fields,
                "executors": executor_goals(rows, outcome.fields),
                "runs": [asdict(r) for r in outcome.runs],
                "versions": versions(),
            },
            indent=2,
            default=str,
        )
    )
    return md, js
