"""The service console's figures: end-to-end event latency from a ticket write to its subscribers, with many open
subscriptions, and what one ticket write costs.

``uv run python -m bench.events [--subscribers 1000] [--events 60] [--rate 2] [--writes 50]`` on the size-S
benchmark servers (their own state directory and ports, ``C360_BENCH_S_PG_PORT`` / ``C360_BENCH_S_NEO4J_PORT``;
only migrated, not seeded), which are stopped at the end unless ``--keep-servers``. Writes a markdown report to
``bench/results/events-<date>.md``.

- Latency: two API processes as users run them (``c360 serve``, production profile, RS256 tokens). The benchmark
  opens ``--subscribers`` WebSockets to the first, each with one ``ticketEvents`` subscription to the same ticket,
  then moves that ticket ``--events`` times through the second at ``--rate`` writes per second. For every delivery:
  the time from the event's own timestamp (the write's clock, taken in its transaction, so just before the commit:
  an upper bound of commit → subscriber) and from the writer's answer (just after the commit: a lower bound).
- Cost of a write: the API in process (HTTP and GraphQL included, no network, no relay running), ``--writes`` of
  each kind; SQL statements counted on the API's connections (every statement, those inside transactions too) and
  the process's CPU time, client included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import platform
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import ClientConnection, connect

from app import create_app
from bench import data, systems, tokens
from core import migrations, postgres
from core.settings import PROJECT_ROOT, Settings

QUEUE = "bench-events"
SUBSCRIBE = "subscription($t: ID!) { ticketEvents(filter: {ticketId: $t}) { id at kind toStatus } }"
CREATE = """mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id } } }"""
MOVE = "mutation($i: TransitionTicketInput!) { transitionTicket(input: $i) { event { id at } } }"
WRITES: dict[str, str] = {
    "createTicket": "mutation($i: CreateTicketInput!) { createTicket(input: $i) { event { id } } }",
    "addTicketComment": "mutation($i: AddTicketCommentInput!) { addTicketComment(input: $i) { event { id } } }",
    "assignTicket": "mutation($i: AssignTicketInput!) { assignTicket(input: $i) { event { id } } }",
    "transitionTicket": MOVE,
    "changeTicketPriority": "mutation($i: ChangeTicketPriorityInput!) { changeTicketPriority(input: $i) { event { id } } }",
    "logInteraction": "mutation($i: LogInteractionInput!) { logInteraction(input: $i) { interaction { id } } }",
}
COUNTED = {"statements": 0}


async def _counting_init(conn: asyncpg.Connection) -> None:
    """The API pools' connection set-up, plus a logger that counts every statement the connection runs."""
    await original_init(conn)
    conn.add_query_logger(lambda _: COUNTED.__setitem__("statements", COUNTED["statements"] + 1))


original_init = postgres._init_connection


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def customer(settings: Settings) -> str:
    """A golden record of the benchmark's own (a ticket needs a customer that exists)."""
    conn = await asyncpg.connect(settings.migration_dsn_for("profiles"))
    try:
        customer_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO profiles.customers (id, given_name, family_name, full_name, gender, country_code,"
            " loyalty_tier, loyalty_points, status, created_at, updated_at)"
            " VALUES ($1, 'Bench', 'Events', 'Bench Events', 'unknown', 'CN', 'bronze', 0, 'active', now(), now())",
            customer_id,
        )
        return str(customer_id)
    finally:
        await conn.close()


@dataclass
class Cost:
    statements: float
    cpu_ms: float


async def write_cost(settings: Settings, writes: int) -> dict[str, Cost]:
    """Statements and CPU per write of each kind, the API in process."""
    postgres._init_connection = _counting_init
    try:
        app = create_app(settings.model_copy(update={"relay_in_process": False, **tokens.settings()}))
        owner = await customer(settings)
        costs: dict[str, Cost] = {}
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=tokens.headers()
            ) as http,
        ):

            async def call(query: str, **variables: Any) -> dict[str, Any]:
                body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
                assert "errors" not in body, body["errors"]
                found: dict[str, Any] = body["data"]
                return found

            base = {"customer": {"id": owner}, "channel": "PHONE", "subject": "Bench"}
            ticket = (await call(CREATE, i=base))["createTicket"]["ticket"]["id"]
            await call(MOVE, i={"ticketId": ticket, "to": "OPEN"})
            statuses = itertools.cycle(["PENDING", "OPEN"])
            priorities = itertools.cycle(["HIGH", "NORMAL"])
            make: dict[str, Callable[[int], dict[str, Any]]] = {
                "createTicket": lambda n: {**base, "idempotencyKey": f"bench-{uuid.uuid4()}"},
                "addTicketComment": lambda n: {
                    "ticketId": ticket,
                    "body": f"Note {n}",
                    "idempotencyKey": f"c{uuid.uuid4()}",
                },
                "assignTicket": lambda n: {"ticketId": ticket, "queue": f"q{n}"},
                "transitionTicket": lambda n: {"ticketId": ticket, "to": next(statuses)},
                "changeTicketPriority": lambda n: {"ticketId": ticket, "priority": next(priorities)},
                "logInteraction": lambda n: {
                    "customer": {"id": owner},
                    "kind": "CALL",
                    "summary": f"Call {n}",
                },
            }
            for name, query in WRITES.items():
                for n in range(3):  # warm the caches, the pools and the prepared statements
                    await call(query, i=make[name](n))
                before, cpu = COUNTED["statements"], time.process_time()
                for n in range(writes):
                    await call(query, i=make[name](n))
                costs[name] = Cost(
                    (COUNTED["statements"] - before) / writes, (time.process_time() - cpu) * 1000 / writes
                )
        return costs
    finally:
        postgres._init_connection = original_init


@dataclass
class Subscriber:
    ws: ClientConnection
    seen: dict[str, float] = field(default_factory=dict)
    """Event id → when it arrived (this process's clock)."""
    errors: list[str] = field(default_factory=list)


async def _subscriber(url: str, ticket: str) -> Subscriber:
    ws = await connect(url.replace("http", "ws", 1) + "/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(
        json.dumps(
            {"type": "connection_init", "payload": {"Authorization": tokens.headers()["authorization"]}}
        )
    )
    ack = json.loads(await ws.recv())
    assert ack["type"] == "connection_ack", ack
    await ws.send(
        json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": {"t": ticket}}}
        )
    )
    return Subscriber(ws)


async def _listen(subscriber: Subscriber, at: dict[str, datetime]) -> None:
    with contextlib.suppress(Exception):
        async for frame in subscriber.ws:
            arrived = time.time()
            message = json.loads(frame)
            if message["type"] == "next":
                event = message["payload"]["data"]["ticketEvents"]
                subscriber.seen[event["id"]] = arrived
                at.setdefault(event["id"], datetime.fromisoformat(event["at"]))
            elif message["type"] == "ping":
                await subscriber.ws.send(json.dumps({"type": "pong"}))
            elif message["type"] in ("error", "complete"):
                subscriber.errors.append(json.dumps(message)[:200])


async def _eventually(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether ``condition`` holds within ``seconds`` (looked at every 50 ms)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


@dataclass
class Latency:
    from_event: list[float]
    from_answer: list[float]
    missing: int
    errors: int
    subscribers: int
    events: int


async def latency(settings: Settings, subscribers: int, events: int, rate: float) -> Latency:
    reader, writer = (
        systems.api_server(settings, None, "events-a"),
        systems.api_server(settings, None, "events-b"),
    )
    reader.start()
    writer.start()
    try:
        owner = await customer(settings)
        async with httpx.AsyncClient(base_url=writer.base, headers=tokens.headers(), timeout=60) as http:

            async def call(query: str, **variables: Any) -> dict[str, Any]:
                body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
                assert "errors" not in body, body["errors"]
                found: dict[str, Any] = body["data"]
                return found

            given = {"customer": {"id": owner}, "channel": "PHONE", "subject": "Bench events", "queue": QUEUE}
            ticket = (await call(CREATE, i=given))["createTicket"]["ticket"]["id"]
            await call(MOVE, i={"ticketId": ticket, "to": "OPEN"})
            opened: list[Subscriber] = []
            for start in range(0, subscribers, 50):  # connect in waves: the server accepts them on one loop
                opened += await asyncio.gather(
                    *(_subscriber(reader.base, ticket) for _ in range(min(50, subscribers - start)))
                )
            at: dict[str, datetime] = {}
            listening = [asyncio.create_task(_listen(s, at)) for s in opened]
            # Every subscription is live once a first event has reached them all.
            warm = (await call(MOVE, i={"ticketId": ticket, "to": "PENDING"}))["transitionTicket"]["event"][
                "id"
            ]
            if not await _eventually(lambda: all(warm in s.seen for s in opened), 120):
                raise RuntimeError("the subscriptions never all heard the first event")
            answered: dict[str, float] = {}
            moves = itertools.cycle(["OPEN", "PENDING"])
            for _ in range(events):
                started = time.monotonic()
                event = (await call(MOVE, i={"ticketId": ticket, "to": next(moves)}))["transitionTicket"][
                    "event"
                ]
                answered[event["id"]] = time.time()
                await asyncio.sleep(max(0.0, 1 / rate - (time.monotonic() - started)))
            await _eventually(lambda: all(all(e in s.seen for e in answered) for s in opened), 60)
            for task in listening:
                task.cancel()
            await asyncio.gather(*(s.ws.close() for s in opened), return_exceptions=True)
        from_event, from_answer, missing = [], [], 0
        for s in opened:
            for event_id, done in answered.items():
                arrived = s.seen.get(event_id)
                if arrived is None:
                    missing += 1
                    continue
                from_event.append((arrived - at[event_id].timestamp()) * 1000)
                from_answer.append((arrived - done) * 1000)
        return Latency(
            from_event, from_answer, missing, sum(len(s.errors) for s in opened), len(opened), events
        )
    finally:
        reader.stop()
        writer.stop()


def report(args: argparse.Namespace, found: Latency, costs: dict[str, Cost]) -> str:
    rows = "\n".join(
        f"| `{name}` | {cost.statements:.1f} | {cost.cpu_ms:.2f} ms |" for name, cost in costs.items()
    )
    e, a = found.from_event, found.from_answer
    return f"""# Service console: event latency and the cost of a ticket write ({datetime.now(UTC):%Y-%m-%d})

Command: `uv run python -m bench.events --subscribers {args.subscribers} --events {args.events} --rate {args.rate} --writes {args.writes}`
on the size-S benchmark servers (migrated, not seeded), {platform.machine()}, Python {platform.python_version()},
a shared 2-core machine: the two API processes, PostgreSQL, Neo4j and the benchmark's {found.subscribers}
WebSocket clients all run on it.

## Commit → subscriber, {found.subscribers} open subscriptions

{found.events} ticket moves through one API process, one every {1 / args.rate:.1f} s, each heard by every
subscriber of the other API process ({len(e):,} deliveries; {found.missing} missing, {found.errors} subscriptions
ended with an error). Each event is read afresh once it is delivered; subscribers whose principals see the same rows
share that event's reads (here all of them: one token), so the reading process sends one statement per event and
runs one GraphQL execution (field policies included) per subscriber.

| measured from | p50 | p99 | max |
|---|---|---|---|
| the event's timestamp (taken in the write's transaction, before its commit: upper bound) | {percentile(e, 0.5):.0f} ms | {percentile(e, 0.99):.0f} ms | {max(e):.0f} ms |
| the writer's answer (after the commit: lower bound) | {percentile(a, 0.5):.0f} ms | {percentile(a, 0.99):.0f} ms | {max(a):.0f} ms |

The spread is mostly the fan-out: the reading process runs one GraphQL execution per subscriber and event and
sends each answer on its own WebSocket, so between the 1st and the 99th percentile of deliveries lie
{percentile(e, 0.99) - percentile(e, 0.01):.0f} ms (mean {statistics.mean(e):.0f} ms).

## Cost of a ticket write ({args.writes} of each, API in process, no relay running)

| mutation | SQL statements per write | CPU per write (client and server in one process) |
|---|---|---|
{rows}

Statements are counted on the API's own connections, every one of them, `BEGIN` and `COMMIT` included. A
`transitionTicket` without an idempotency key: `BEGIN`, the ticket's row read and locked, the change, the history
row, the outbox event, the change notice, `COMMIT`, then the answer's read and the audit record. `createTicket` and
`addTicketComment` carry a key here (its claim and its result: two more), `createTicket` first finds the customer
(one more) and a comment is one more row; `logInteraction` (no key) finds its customer and writes one row.
"""


async def measure(args: argparse.Namespace, settings: Settings) -> str:
    costs = await write_cost(settings, args.writes)
    found = await latency(settings, args.subscribers, args.events, args.rate)
    return report(args, found, costs)


def main(args: argparse.Namespace) -> None:
    size = data.SIZES["s"]
    try:
        settings = data.bench_settings(size)
        migrations.upgrade(settings)
        text = asyncio.run(measure(args, settings))
        out = PROJECT_ROOT / "bench" / "results" / f"events-{datetime.now(UTC):%Y-%m-%d}.md"
        out.write_text(text + (args.notes or ""))
        print(text)
        print(f"written to {out.relative_to(PROJECT_ROOT)}")
    finally:
        if not args.keep_servers:
            data.stop_servers(size)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--rate", type=float, default=2.0, help="writes per second")
    parser.add_argument("--writes", type=int, default=50, help="writes of each kind for the cost")
    parser.add_argument("--notes", default="", help="text appended to the report")
    parser.add_argument("--keep-servers", action="store_true")
    main(parser.parse_args())
