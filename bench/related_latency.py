"""Latency of ``Customer.related`` through the public GraphQL API, on whatever data set is loaded.

Run on demand, not in tests: ``uv run python -m bench.related_latency --requests 200``. It uses the configured
services (or the local ones ``c360 services up`` starts), picks customers with a fixed seed, and reports
percentiles per ``maxDepth`` with the Cypher calls each request cost.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

import httpx

from app import create_app
from bench import tokens
from c360 import services
from core.metrics import ROUND_TRIPS
from core.settings import Settings
from graph_store.driver import GraphStore

QUERY = """query($id: ID!, $depth: Int!) { customer(id: $id) {
  related(maxDepth: $depth, first: 20) { distance customer { id fullName } path { kind via } } } }"""


async def _sample(settings: Settings, count: int, seed: int) -> tuple[list[str], int]:
    """Customers with at least one relationship (half) and any customers (half), drawn with a fixed seed."""
    graph = GraphStore(settings)
    try:
        related = [
            r["id"]
            for r in await graph.read(
                "MATCH (c:Customer) WHERE EXISTS { (c)-[:MEMBER_OF|WORKS_AT|REFERRED]-() } RETURN c.id AS id ORDER BY id"
            )
        ]
        anyone = [r["id"] for r in await graph.read("MATCH (c:Customer) RETURN c.id AS id ORDER BY id")]
    finally:
        await graph.close()
    rng = random.Random(seed)
    half = count // 2
    return rng.sample(related, min(half, len(related))) + rng.sample(anyone, count - half), len(anyone)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(requests: int, seed: int) -> None:
    settings = services.ensure(Settings()).model_copy(update=tokens.settings())
    customers, total = await _sample(settings, requests, seed)
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=tokens.headers()
        ) as http,
    ):
        for customer in customers[:20]:  # warm-up: connections, plans, caches
            await http.post("/graphql", json={"query": QUERY, "variables": {"id": customer, "depth": 3}})
        print(f"customers in graph: {total}; requests per depth: {len(customers)}; seed {seed}")
        print(
            "| maxDepth | p50 ms | p95 ms | p99 ms | max ms | Cypher calls/request | related found (mean) |"
        )
        print("|---|---|---|---|---|---|---|")
        for depth in (1, 2, 3):
            times: list[float] = []
            found: list[int] = []
            calls = 0
            for customer in customers:
                before = ROUND_TRIPS.cypher
                started = time.perf_counter()
                response = await http.post(
                    "/graphql", json={"query": QUERY, "variables": {"id": customer, "depth": depth}}
                )
                times.append((time.perf_counter() - started) * 1000)
                calls += ROUND_TRIPS.cypher - before
                body = response.json()
                assert "errors" not in body, body["errors"]
                found.append(len(body["data"]["customer"]["related"]) if body["data"]["customer"] else 0)
            print(
                f"| {depth} | {statistics.median(times):.1f} | {_percentile(times, 0.95):.1f} | "
                f"{_percentile(times, 0.99):.1f} | {max(times):.1f} | {calls / len(customers):.2f} | "
                f"{statistics.mean(found):.1f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per depth (at most 2,000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(run(min(args.requests, 2000), args.seed))


if __name__ == "__main__":
    main()
