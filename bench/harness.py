"""One benchmark run: prepare the data, start every system, check they agree, then load them in turn.

Systems run interleaved (each round visits them in a rotated order) against the same PostgreSQL and Neo4j, so
drift on a shared machine hits all of them alike, and the report states ratios measured in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from tqdm import tqdm

from bench import data, measure, workload
from bench.systems import Server, api_server, floor_server, postgraphile_server
from bench.workload import API, FLOOR, FLOOR_JSON, POSTGRAPHILE, QUERIES
from core.settings import Settings

STEPS = {
    "api-router": "bench.variants:router_app",
    "api-uncached": "bench.variants:uncached_app",
    "api-stdjson": "bench.variants:stdjson_app",
    "api-rules-per-request": "bench.variants:rules_per_request_app",
    "api-pool-reset": "bench.variants:pool_reset_app",
    "api-default-gc": "bench.variants:default_gc_app",
    "api-no-policies": "bench.variants:no_policies_app",
    "api-graphql-core": "bench.variants:graphql_core_app",
    "api-no-lean": "bench.variants:no_lean_app",
    "api-no-compiled": "bench.variants:no_compiled_app",
}
"""API variants that each undo one speed step, to show that step's effect next to the production API."""
STEP_QUERIES = ("q1", "q3")
"""The variants run the queries the report profiles: the console view and the list."""
EVERY_QUERY_STEPS = frozenset({"api-graphql-core", "api-no-lean", "api-no-compiled"})
"""The executor's variants run every query: the goals compare each executor on the whole workload."""


@dataclass
class Options:
    size: str = "m"
    duration: float = 10.0
    warmup: float = 5.0
    connections: int = 16
    rounds: int = 2
    samples: int = 200
    queries: tuple[str, ...] = tuple(QUERIES)
    steps: bool = False
    only_steps: tuple[str, ...] = ()
    """With ``steps``: run only these variants (all of them when empty)."""
    rate_fraction: float = 0.5
    server_core: int | None = 0
    load_core: int | None = 1
    progress: bool = True
    reseed: bool = False
    command: str = "python -m bench"


@dataclass
class Verdict:
    system: str
    query: str
    requests: int
    difference: str | None = None

    @property
    def equal(self) -> bool:
        return self.difference is None


@dataclass
class Run:
    query: str
    system: str
    mode: str
    round: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    failures: int
    cpu_ms_per_request: float
    peak_rss_mb: float
    sql_per_request: float
    cypher_per_request: float
    rate: int | None = None
    lag_p99_ms: float = 0.0
    """How late the open-loop driver issued requests (timer lateness), apart from the latency; 0 closed-loop."""


@dataclass
class Outcome:
    options: Options
    verdicts: list[Verdict] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    rates: dict[str, int] = field(default_factory=dict)
    fields: dict[str, float] = field(default_factory=dict)
    """Per query: the mean number of fields in the API's answers at the gate (for CPU per field)."""


@contextmanager
def serving(settings: Settings, options: Options) -> Iterator[dict[str, Server]]:
    servers = [
        api_server(settings, options.server_core),
        postgraphile_server(settings, options.server_core),
        floor_server(settings, options.server_core),
        floor_server(settings, options.server_core, FLOOR_JSON, "bench.floor_json:app"),
    ]
    if options.steps:
        servers += [
            api_server(settings, options.server_core, name, factory)
            for name, factory in STEPS.items()
            if not options.only_steps or name in options.only_steps
        ]
    with ExitStack() as stack:
        for server in servers:
            stack.callback(server.stop)
            server.start()
        yield {s.name: s for s in servers}


def _ask(client: httpx.Client, server: Server, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    path, body = workload.request(server.name, query, variables)
    answer: dict[str, Any] = client.post(
        server.base + path,
        content=body,
        headers={"content-type": "application/json", **server.headers},
        timeout=30,
    ).json()
    if answer.get("errors"):
        raise AnswerError(orjson.dumps(answer["errors"]).decode()[:300])
    data_part: dict[str, Any] = answer["data"]
    return data_part


class AnswerError(Exception):
    pass


def _first_difference(ours: Any, theirs: Any, path: str = "") -> str | None:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs)):
            if key not in ours or key not in theirs:
                return f"{path}.{key}: present in only one answer"
            found = _first_difference(ours[key], theirs[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return f"{path}: {len(ours)} items against {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            found = _first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if ours == theirs else f"{path}: {_short(ours)} against {_short(theirs)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def count_fields(value: Any) -> int:
    """Fields in an answer: every key of every object, at any depth."""
    if isinstance(value, dict):
        return len(value) + sum(count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_fields(v) for v in value)
    return 0


def gate(
    servers: dict[str, Server], inputs: data.Inputs, queries: tuple[str, ...], fields: dict[str, float]
) -> tuple[list[Verdict], dict[tuple[str, str], list[str]]]:
    """Ask every system every request of the workload, compare each answer with the API's, and keep the bodies;
    ``fields`` receives the mean number of fields of the API's answers per query.

    Paged queries walk the same pages in each system, each with its own cursors.
    """
    verdicts: list[Verdict] = []
    bodies: dict[tuple[str, str], list[str]] = {}
    with httpx.Client() as client:
        for query in queries:
            reference: list[Any] = []
            counted: list[int] = []
            for name, server in servers.items():
                if not workload.supports(name, query) or (
                    name in STEPS and name not in EVERY_QUERY_STEPS and query not in STEP_QUERIES
                ):
                    continue
                verdict = Verdict(name, query, 0)
                sent: list[str] = []
                try:
                    for i, (variables, answer) in enumerate(_walk(client, server, query, inputs)):
                        sent.append(workload.request(name, query, variables)[1].decode())
                        shaped = workload.comparable(query, name, answer)
                        if name == API:
                            reference.append(shaped)
                            counted.append(count_fields(answer))
                            continue
                        expected = reference[i]
                        if name == POSTGRAPHILE:
                            expected = workload.without_graph(expected)
                        difference = _first_difference(expected, shaped)
                        if difference and verdict.difference is None:
                            verdict.difference = (
                                f"request {i} ({orjson.dumps(variables).decode()}): {difference}"
                            )
                except AnswerError as exc:
                    verdict.difference = f"error answer: {exc}"
                verdict.requests = len(sent)
                verdicts.append(verdict)
                bodies[(name, query)] = sent
            if counted:
                fields[query] = statistics.fmean(counted)
    return verdicts, bodies


def _walk(
    client: httpx.Client, server: Server, query: str, inputs: data.Inputs
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    spec = QUERIES[query]
    if spec.paged:
        after: str | None = None
        for _ in range(workload.PAGES):
            variables = {"after": after}
            answer = _ask(client, server, query, variables)
            yield variables, answer
            after = workload.next_cursor(server.name, query, answer)
        return
    for variables in inputs.variables(query):
        yield variables, _ask(client, server, query, variables)


def _measure(
    server: Server, dsn: str, query: str, load: measure.Load, options: Options, mode: str, round_: int
) -> Run:
    asyncio.run(measure.reset_statements(dsn))
    cypher_before = measure.cypher_calls(server)
    cpu_before = measure.cpu_seconds(server.pid)
    result = measure.drive(load, options.load_core)
    cpu = measure.cpu_seconds(server.pid) - cpu_before
    sql = asyncio.run(measure.statements(dsn))
    cypher = measure.cypher_calls(server) - cypher_before
    # Costs are divided by requests sent: the server also served those still in flight when the run stopped.
    done = max(int(result["requests"]["total"]), 1)
    sent = max(int(result["requests"].get("sent", done)), done)
    failures = int(result["errors"]) + int(result["non2xx"]) + int(result["timeouts"])
    return Run(
        query=query,
        system=server.name,
        mode=mode,
        round=round_,
        requests=done,
        seconds=float(result["duration"]),
        rps=float(result["rps"]),
        p50_ms=float(result["latency"]["p50"]),
        p99_ms=float(result["latency"]["p99"]),
        failures=failures + int(result["graphqlErrors"]),
        cpu_ms_per_request=1000 * cpu / sent,
        peak_rss_mb=measure.peak_rss_mb(server.pid),
        sql_per_request=sql / sent,
        cypher_per_request=cypher / sent,
        rate=load.rate,
        lag_p99_ms=float(result["lag"]["p99"]),
    )


def run(options: Options) -> Outcome:
    """Prepare, gate, then measure throughput and fixed-rate latency for each query, systems interleaved."""
    settings = data.prepare(data.SIZES[options.size], reseed=options.reseed, progress=options.progress)
    dsn = settings.migration_dsn_for("profiles")  # resetting statement statistics takes the superuser
    inputs = asyncio.run(data.draw_inputs(settings, options.samples))
    outcome = Outcome(options)
    with serving(settings, options) as servers:
        verdicts, bodies = gate(servers, inputs, options.queries, outcome.fields)
        outcome.verdicts = verdicts
        passed = {(v.system, v.query) for v in verdicts if v.equal}
        steps = len(options.queries) * (1 + 2 * options.rounds)
        with tqdm(total=steps, desc="load", disable=not options.progress) as bar:
            for query in options.queries:
                timed = [servers[name] for name in servers if (name, query) in passed]
                if not timed:
                    bar.update(1 + 2 * options.rounds)
                    continue
                for server in timed:
                    url = server.base + workload.request(server.name, query, {})[0]
                    measure.drive(
                        measure.Load(
                            url,
                            bodies[(server.name, query)],
                            options.connections,
                            options.warmup,
                            headers=server.headers,
                        ),
                        options.load_core,
                    )
                bar.update()
                for mode in ("throughput", "latency"):
                    rate = None
                    if mode == "latency":
                        peak = min(
                            statistics.median(
                                r.rps for r in outcome.runs if r.query == query and r.system == s.name
                            )
                            for s in timed
                        )
                        rate = max(1, int(peak * options.rate_fraction))
                        outcome.rates[query] = rate
                    for round_ in range(options.rounds):
                        for server in _rotated(timed, round_):
                            url = server.base + workload.request(server.name, query, {})[0]
                            load = measure.Load(
                                url,
                                bodies[(server.name, query)],
                                options.connections,
                                options.duration,
                                rate,
                                headers=server.headers,
                            )
                            outcome.runs.append(_measure(server, dsn, query, load, options, mode, round_))
                        bar.update()
    return outcome


def _rotated(items: list[Server], shift: int) -> list[Server]:
    if not items:
        return items
    shift %= len(items)
    return items[shift:] + items[:shift]


__all__ = ["FLOOR", "Options", "Outcome", "run"]
