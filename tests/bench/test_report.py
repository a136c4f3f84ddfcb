"""The report from made-up results, no servers: ratios whose divisor is zero or missing read "not measurable"
in Markdown and JSON, and nothing divides by zero."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import harness, report
from bench.report import NOT_MEASURABLE
from bench.workload import API, FLOOR, POSTGRAPHILE


def _run(query: str, system: str, mode: str, **figures: float) -> harness.Run:
    values: dict[str, Any] = {
        "requests": 100,
        "seconds": 1.0,
        "rps": 100.0,
        "p50_ms": 1.0,
        "p99_ms": 2.0,
        "failures": 0,
        "cpu_ms_per_request": 1.0,
        "peak_rss_mb": 50.0,
        "sql_per_request": 1.0,
        "cypher_per_request": 0.0,
        **figures,
    }
    return harness.Run(query=query, system=system, mode=mode, round=0, rate=50, **values)


def _outcome() -> harness.Outcome:
    options = harness.Options(size="s", rounds=1, queries=("q1", "q3"))
    outcome = harness.Outcome(options, rates={"q1": 50, "q3": 50})
    outcome.verdicts = [harness.Verdict(s, "q1", 20) for s in (API, POSTGRAPHILE, FLOOR)]
    outcome.runs = [
        _run("q1", API, "throughput"),
        _run("q1", API, "latency", p50_ms=0.0, p99_ms=0.0),
        # The floor's latency rounds to zero and its CPU per request too: every ratio over it but throughput.
        _run("q1", FLOOR, "throughput", cpu_ms_per_request=0.0),
        _run("q1", FLOOR, "latency", p50_ms=0.0, p99_ms=0.0),
        # PostGraphile has throughput runs only: its latency is missing.
        _run("q1", POSTGRAPHILE, "throughput", rps=0.0),
        # A speed-step variant that served nothing.
        _run("q1", "api-router", "throughput", rps=0.0),
        _run("q1", "api-router", "latency"),
        # The API's Q3 has latency runs only: its round trips are missing.
        _run("q3", API, "latency", p50_ms=0.412, p99_ms=1.25),
    ]
    return outcome


def _strict(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_ratios_over_zero_or_missing_read_not_measurable(tmp_path: Path) -> None:
    markdown, data = report.write(_outcome(), tmp_path)
    found = _strict(data.read_text())
    by = {(r["query"], r["peer"]): r for r in found["ratios"]}
    assert by[("q1", FLOOR)] == {
        "query": "q1",
        "peer": FLOOR,
        "throughput": 1.0,
        "p50": NOT_MEASURABLE,
        "p99": NOT_MEASURABLE,
        "cpu": NOT_MEASURABLE,
    }
    assert by[("q1", POSTGRAPHILE)]["throughput"] == NOT_MEASURABLE
    assert by[("q1", POSTGRAPHILE)]["p50"] == NOT_MEASURABLE
    goals = {g["goal"]: g for g in found["goals"]}
    assert goals["Q1 throughput >= 1.0x PostGraphile"] == {
        "goal": "Q1 throughput >= 1.0x PostGraphile",
        "measured": NOT_MEASURABLE,
        "met": None,
    }
    assert goals["Q1 p50 <= 2x the floor"]["measured"] == NOT_MEASURABLE
    assert goals["Q3 round trips <= 6 SQL + 1 Cypher"]["measured"] == NOT_MEASURABLE
    text = markdown.read_text()
    assert "| Q1 | floor | 1.00x | not measurable | not measurable | not measurable |" in text
    assert "| Q1 | postgraphile | not measurable | not measurable | not measurable | 1.00x |" in text
    assert "| Q1 p50 <= 2x the floor | not measurable | n/a |" in text
    assert "| Q1 | api-router | 0 | 100 | not measurable |" in text
    # Latencies keep their microseconds.
    assert "| api | n/a | 0.412 | 1.250 | 50 |" in text


def test_ratio_is_a_number_only_when_both_sides_are() -> None:
    assert report.ratio(1.0, 4.0) == 0.25
    assert report.ratio(0.0, 4.0) == 0.0
    assert report.ratio(1.0, 0.0) == NOT_MEASURABLE
    assert report.ratio(None, 1.0) == NOT_MEASURABLE
    assert report.ratio(1.0, None) == NOT_MEASURABLE
    assert report.ratio(1.0, float("nan")) == NOT_MEASURABLE
