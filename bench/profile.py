"""Where a request's time goes: one query of the workload, run in process through the ASGI app under pyinstrument.

    uv run --group bench python -m bench.profile q1 --requests 300 --concurrency 8

Uses the benchmark's data of ``--size`` (run ``c360 bench`` at that size first) and writes the text and HTML profiles to
``bench/results/profile-<query>.{txt,html}``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
from typing import Any

import httpx
from pyinstrument import Profiler

from bench import data, tokens, workload
from bench.report import RESULTS
from bench.systems import connection_env


async def _drive(query: str, size: str, requests: int, concurrency: int, profiler: Profiler) -> None:
    from app import create_app
    from core.settings import Settings

    settings = data.bench_settings(data.SIZES[size])
    inputs = await data.draw_inputs(settings, 200)
    os.environ.update(connection_env(settings))
    app = create_app(Settings())
    paged = workload.QUERIES[query].paged
    variables: list[dict[str, str | None]] = [{"after": None}] if paged else inputs.variables(query)
    bodies = [workload.request(workload.API, query, v)[1] for v in variables]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=tokens.headers()
        ) as client:
            cycle = itertools.cycle(bodies)

            async def worker(count: int) -> None:
                for _ in range(count):
                    answer = await client.post(
                        "/graphql", content=next(cycle), headers={"content-type": "application/json"}
                    )
                    if answer.status_code != 200 or "errors" in answer.json():
                        raise RuntimeError(answer.text[:300])

            await worker(20)
            profiler.start()
            await asyncio.gather(*(worker(requests // concurrency) for _ in range(concurrency)))
            profiler.stop()


BUCKETS = (
    ("GraphQL execution (graphql-core)", ("graphql/",)),
    ("strawberry (resolver wrappers, HTTP view, extensions)", ("strawberry/",)),
    ("asyncpg (PostgreSQL driver)", ("asyncpg/",)),
    ("neo4j driver", ("neo4j/",)),
    ("DataLoader batching", ("aiodataloader/",)),
    ("ASGI stack (starlette, fastapi)", ("starlette/", "fastapi/")),
    (
        "load client (httpx, in process)",
        ("httpx/", "httpcore/", "http/cookiejar", "urllib/", "bench/profile"),
    ),
    ("event loop and sockets (asyncio)", ("asyncio/", "selectors", "socket")),
    ("this API's code", ("core/", "subgraphs/", "graph_store/", "resolvers/", "schema/", "app.py")),
)


def buckets(profiler: Profiler, requests: int) -> str:
    """Self time of every frame, summed by the library it belongs to, per request."""
    session = profiler.last_session
    assert session is not None
    totals: dict[str, float] = {}
    stack: list[tuple[Any, str]] = [(session.root_frame(), "")]
    while stack:
        frame, parent_path = stack.pop()
        if frame is None:
            continue
        # Self time sits in synthetic "[self]" leaves, which carry no path: they belong to their parent.
        path = frame.file_path or parent_path
        stack.extend((child, path) for child in frame.children)
        own = frame.time - sum(child.time for child in frame.children)
        name = next((label for label, parts in BUCKETS if any(p in path for p in parts)), "other")
        totals[name] = totals.get(name, 0.0) + max(own, 0.0)
    whole = sum(totals.values()) or 1.0
    lines = ["| where | ms per request | share |", "|---|---|---|"]
    for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {name} | {1000 * seconds / requests:.2f} | {seconds / whole:.0%} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("query", choices=sorted(workload.QUERIES))
    parser.add_argument("--size", choices=sorted(data.SIZES), default="m")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    asyncio.run(_drive(args.query, args.size, args.requests, args.concurrency, profiler))
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    flat = profiler.output_text(unicode=True, color=False, flat=True)
    (RESULTS / f"profile-{args.query}-flat.txt").write_text(flat)
    table = buckets(profiler, args.requests)
    (RESULTS / f"profile-{args.query}.md").write_text(table + "\n")
    (RESULTS / f"profile-{args.query}.txt").write_text(text)
    (RESULTS / f"profile-{args.query}.html").write_text(profiler.output_html())
    print(text)
    print(table)


if __name__ == "__main__":
    main()
