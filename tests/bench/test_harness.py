"""The benchmark harness, smoke-run at size S: every system answers the workload alike and every run is measured.

It asserts no timings (those live in the report); only that the harness works end to end, that the equality
gate passes, and the API's round trips for the list queries, which are counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import data, harness, report
from bench.workload import API, FLOOR, FLOOR_JSON, POSTGRAPHILE, QUERIES, supports

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def outcome() -> Iterator[harness.Outcome]:
    options = harness.Options(
        size="s", duration=1.0, warmup=0.5, connections=4, rounds=1, samples=20, progress=False
    )
    try:
        yield harness.run(options)
    finally:
        data.stop_servers(data.SIZES["s"])


def test_every_system_returns_the_same_data(outcome: harness.Outcome) -> None:
    checked = {(v.system, v.query): v for v in outcome.verdicts}
    for query in QUERIES:
        for system in (API, POSTGRAPHILE, FLOOR, FLOOR_JSON):
            if not supports(system, query):
                assert (system, query) not in checked
                continue
            verdict = checked[(system, query)]
            assert verdict.equal, f"{system} {query}: {verdict.difference}"
            assert verdict.requests == (10 if QUERIES[query].paged else 20) or query == "q5"


def test_every_run_is_measured_without_failures(outcome: harness.Outcome) -> None:
    for query in QUERIES:
        for system in (API, POSTGRAPHILE, FLOOR, FLOOR_JSON):
            if not supports(system, query):
                continue
            runs = [r for r in outcome.runs if r.query == query and r.system == system]
            assert {r.mode for r in runs} == {"throughput", "latency"}, (query, system)
            for run in runs:
                assert run.requests > 0, run
                assert run.failures == 0, run
                # CPU time is read in clock ticks (10 ms): a latency run on a busy machine may send one request
                # whose CPU rounds to zero, a throughput run keeps the server busy for its whole second.
                assert run.cpu_ms_per_request > 0 or run.mode == "latency", run
                assert run.cpu_ms_per_request >= 0, run
                assert run.peak_rss_mb > 0, run
        latency = [r for r in outcome.runs if r.query == query and r.mode == "latency"]
        assert {r.rate for r in latency} == {outcome.rates[query]}


def test_round_trips_are_counted_and_lists_stay_batched(outcome: harness.Outcome) -> None:
    by = {(r.query, r.system, r.mode): r for r in outcome.runs}
    # PostGraphile compiles each request to one statement; the floor's Q2 is one statement and no Cypher.
    assert by[("q2", POSTGRAPHILE, "throughput")].sql_per_request == pytest.approx(1, abs=0.05)
    assert by[("q2", FLOOR, "throughput")].sql_per_request == pytest.approx(1, abs=0.05)
    # Q1's identifiers come from PostgreSQL's projection, in the API and in the floor alike: no Cypher.
    assert by[("q1", FLOOR, "throughput")].cypher_per_request == pytest.approx(0, abs=0.05)
    assert by[("q1", API, "throughput")].cypher_per_request == pytest.approx(0, abs=0.05)
    # floor-json builds each answer's JSON in one statement, whatever the query.
    for query in QUERIES:
        assert by[(query, FLOOR_JSON, "throughput")].sql_per_request == pytest.approx(1, abs=0.05), query
        assert outcome.fields[query] >= 1, query
    assert outcome.fields["q4"] > outcome.fields["q2"]  # 200 customers' fields against one customer's
    for query in ("q3", "q4"):
        api = by[(query, API, "throughput")]
        assert api.sql_per_request <= 6, api
        assert api.cypher_per_request <= 1, api


def test_report_states_ratios_goals_and_versions(outcome: harness.Outcome, tmp_path: Path) -> None:
    markdown, data = report.write(outcome, tmp_path)
    text = markdown.read_text()
    for heading in ("## Equality gate", "## Ratios (this API / peer)", "## Goals", "## Versions"):
        assert heading in text
    assert "| Q1 | postgraphile |" in text
    assert "| Q1 | floor |" in text
    assert "postgraphile: 5.1.5" in text
    assert '"ratios"' in data.read_text()
