"""The floor: the benchmark's five queries as hand-written asyncpg and Cypher calls behind a bare ASGI endpoint.

No GraphQL, no framework, orjson out. It shows what the data itself costs to fetch and ship, so the API's
overhead above it can be read off as a ratio. Run with
``uvicorn bench.floor:app --loop uvloop --http httptools`` and the usual ``C360_*`` connection settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
from neo4j import AsyncDriver, AsyncGraphDatabase

from core.settings import Settings
from graph_store.identifiers import IdentifierType, normalize
from subgraphs.kit.loaders import group_rows

PROFILE = (
    "id::text AS id, given_name, family_name, full_name, gender, birth_date, city, region, country_code, "
    "loyalty_tier, loyalty_points, status, created_at, updated_at"
)
PROFILE_KEYS = (
    ("id", "id"),
    ("given_name", "givenName"),
    ("family_name", "familyName"),
    ("full_name", "fullName"),
    ("gender", "gender"),
    ("birth_date", "birthDate"),
    ("city", "city"),
    ("region", "region"),
    ("country_code", "countryCode"),
    ("loyalty_tier", "loyaltyTier"),
    ("loyalty_points", "loyaltyPoints"),
    ("status", "status"),
    ("created_at", "createdAt"),
    ("updated_at", "updatedAt"),
)
ORDERS_LAST = """
SELECT o.id, o.customer_id::text AS customer_id, o.channel, o.status, o.total, o.placed_at
FROM unnest($1::uuid[]) AS c(id)
CROSS JOIN LATERAL (
  SELECT * FROM orders.orders x WHERE x.customer_id = c.id ORDER BY x.placed_at DESC, x.id DESC LIMIT $2
) o"""
TICKETS_LAST = """
SELECT t.id, t.customer_id::text AS customer_id, t.subject, t.status, t.created_at
FROM unnest($1::uuid[]) AS c(id)
CROSS JOIN LATERAL (
  SELECT * FROM tickets.tickets x WHERE x.customer_id = c.id ORDER BY x.created_at DESC, x.id DESC LIMIT $2
) t"""


class Floor:
    """Pools are opened in the ASGI lifespan; every handler takes its parameters and returns the answer."""

    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None
        self.graph: AsyncDriver | None = None
        self.cypher_calls = 0
        self.settings = Settings()

    async def start(self) -> None:
        s = self.settings
        self.pool = await asyncpg.create_pool(
            s.dsn_for("profiles"), min_size=s.pg_pool_max, max_size=s.pg_pool_max, reset=_keep_session
        )
        self.graph = AsyncGraphDatabase.driver(s.neo4j_uri or "", auth=(s.neo4j_user, s.neo4j_password or ""))

    async def stop(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        if self.graph is not None:
            await self.graph.close()

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        assert self.pool is not None
        rows: list[asyncpg.Record] = await self.pool.fetch(sql, *args)
        return rows

    async def fetchval(self, sql: str, *args: Any) -> Any:
        rows = await self.fetch(sql, *args)
        return rows[0][0] if rows else None

    async def cypher(self, text: str, **params: Any) -> list[dict[str, Any]]:
        assert self.graph is not None
        self.cypher_calls += 1
        records, _, _ = await self.graph.execute_query(
            text, params, database_=self.settings.neo4j_database, routing_="r"
        )
        return [r.data() for r in records]

    async def profiles(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        rows = await self.fetch(
            f"SELECT {PROFILE} FROM profiles.customers WHERE id = ANY($1::uuid[])", list(ids)
        )
        return [_profile(r) for r in rows]

    async def q1(self, params: dict[str, Any]) -> dict[str, Any]:
        cid = params["id"]
        profile, identifiers, orders, tickets, interactions = await asyncio.gather(
            self.profiles([cid]),
            # The API's hot read: PostgreSQL's projection of current identifiers.
            self.fetch(
                "SELECT type, value, source, observed_at FROM profiles.customer_identifiers"
                ' WHERE customer_id = $1 ORDER BY type COLLATE "C", value COLLATE "C"',
                cid,
            ),
            self._orders_with_items(cid),
            self.fetch(
                "SELECT id, subject, status, priority, created_at, sla_due_at FROM tickets.tickets "
                "WHERE customer_id = $1 AND status IN ('new', 'open', 'pending') "
                "ORDER BY created_at DESC, id DESC LIMIT 50",
                cid,
            ),
            self.fetch(
                "SELECT id, kind, channel, occurred_at, summary FROM interactions.interactions "
                "WHERE customer_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT 50",
                cid,
            ),
        )
        if not profile:
            return {"customer": None}
        customer = profile[0]
        customer["identifiers"] = [
            {
                "type": i["type"],
                "value": i["value"],
                "source": i["source"],
                "observedAt": i["observed_at"].isoformat(),
            }
            for i in identifiers
        ]
        customer["orders"] = orders
        customer["tickets"] = [
            {
                "id": t["id"],
                "subject": t["subject"],
                "status": t["status"],
                "priority": t["priority"],
                "createdAt": t["created_at"],
                "slaDueAt": t["sla_due_at"],
            }
            for t in tickets
        ]
        customer["interactions"] = [
            {
                "id": i["id"],
                "kind": i["kind"],
                "channel": i["channel"],
                "occurredAt": i["occurred_at"],
                "summary": i["summary"],
            }
            for i in interactions
        ]
        return {"customer": customer}

    async def _orders_with_items(self, cid: str) -> list[dict[str, Any]]:
        orders = await self.fetch(
            "SELECT id, channel, status, total, placed_at FROM orders.orders WHERE customer_id = $1 "
            "ORDER BY placed_at DESC, id DESC LIMIT 20",
            cid,
        )
        if not orders:
            return []
        items = await self.fetch(
            "SELECT id, order_id, sku, name, quantity, unit_price FROM orders.order_items "
            "WHERE order_id = ANY($1::bigint[]) ORDER BY order_id, id",
            [o["id"] for o in orders],
        )
        by_order: dict[int, list[dict[str, Any]]] = {}
        for i in items:
            by_order.setdefault(i["order_id"], []).append(
                {
                    "id": i["id"],
                    "sku": i["sku"],
                    "name": i["name"],
                    "quantity": i["quantity"],
                    "unitPrice": i["unit_price"],
                }
            )
        return [
            {
                "id": o["id"],
                "channel": o["channel"],
                "status": o["status"],
                "total": o["total"],
                "placedAt": o["placed_at"],
                "items": by_order.get(o["id"], []),
            }
            for o in orders
        ]

    async def q2(self, params: dict[str, Any]) -> dict[str, Any]:
        found = await self.profiles([params["id"]])
        return {"customer": found[0] if found else None}

    async def _page(self, size: int, after: str | None) -> list[asyncpg.Record]:
        # Two statements, not `$1 IS NULL OR id > $1`: PostgreSQL cannot use the primary key for that one.
        select = "SELECT id::text AS id, full_name, loyalty_tier FROM profiles.customers"
        if after is None:
            return await self.fetch(f"{select} ORDER BY customers.id LIMIT $1", size)
        return await self.fetch(f"{select} WHERE id > $1::uuid ORDER BY customers.id LIMIT $2", after, size)

    async def q3(self, params: dict[str, Any]) -> dict[str, Any]:
        page = await self._page(50, params.get("after"))
        ids = [r["id"] for r in page]
        orders, tickets = await asyncio.gather(
            self.fetch(ORDERS_LAST, ids, 5), self.fetch(TICKETS_LAST, ids, 5)
        )
        orders_of = _shaped(
            orders,
            lambda o: {"id": o["id"], "status": o["status"], "total": o["total"], "placedAt": o["placed_at"]},
        )
        tickets_of = _shaped(
            tickets,
            lambda t: {
                "id": t["id"],
                "subject": t["subject"],
                "status": t["status"],
                "createdAt": t["created_at"],
            },
        )
        return {
            "customers": [
                {
                    "id": r["id"],
                    "fullName": r["full_name"],
                    "loyaltyTier": r["loyalty_tier"],
                    "orders": orders_of.get(r["id"], []),
                    "tickets": tickets_of.get(r["id"], []),
                }
                for r in page
            ]
        }

    async def q4(self, params: dict[str, Any]) -> dict[str, Any]:
        page = await self._page(200, params.get("after"))
        ids = [r["id"] for r in page]
        stats, open_counts = await asyncio.gather(
            self.fetch(
                "SELECT customer_id::text AS customer_id, count(*) AS n, max(placed_at) AS last_at, "
                "coalesce(sum(total) FILTER (WHERE status NOT IN ('cancelled', 'refunded')), 0) AS value "
                "FROM orders.orders WHERE customer_id = ANY($1::uuid[]) GROUP BY customer_id",
                ids,
            ),
            self.fetch(
                "SELECT customer_id::text AS customer_id, count(*) AS n FROM tickets.tickets "
                "WHERE customer_id = ANY($1::uuid[]) AND status IN ('new', 'open', 'pending') GROUP BY customer_id",
                ids,
            ),
        )
        by_id = {s["customer_id"]: s for s in stats}
        opened = {o["customer_id"]: o["n"] for o in open_counts}
        customers = []
        for r in page:
            s = by_id.get(r["id"])
            customers.append(
                {
                    "id": r["id"],
                    "fullName": r["full_name"],
                    "loyaltyTier": r["loyalty_tier"],
                    "lifetimeValue": s["value"] if s else Decimal(0),
                    "orderCount": s["n"] if s else 0,
                    "lastOrderAt": s["last_at"] if s else None,
                    "openTicketCount": opened.get(r["id"], 0),
                }
            )
        return {"customers": customers}

    async def q5(self, params: dict[str, Any]) -> dict[str, Any]:
        key = normalize(IdentifierType.PHONE, params["phone"], region=self.settings.default_phone_region).key
        cid = await self.fetchval(
            "SELECT min(customer_id::text) FROM profiles.customer_identifiers WHERE key = $1", key
        )
        if cid is None:
            return {"customer": None}
        rows = await self.fetch(
            "SELECT id::text AS id, full_name, given_name, family_name, loyalty_tier, status, city "
            "FROM profiles.customers WHERE id = $1",
            cid,
        )
        if not rows:
            return {"customer": None}
        r = rows[0]
        return {
            "customer": {
                "id": r["id"],
                "fullName": r["full_name"],
                "givenName": r["given_name"],
                "familyName": r["family_name"],
                "loyaltyTier": r["loyalty_tier"],
                "status": r["status"],
                "city": r["city"],
            }
        }


async def _keep_session(conn: asyncpg.Connection) -> None:
    """No reset statement on release: these handlers leave no session state (as in the API's pools)."""


def _shaped(
    rows: Sequence[asyncpg.Record], shape: Callable[[asyncpg.Record], dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    return {
        customer: [shape(r) for r in found] for customer, found in group_rows(rows, "customer_id").items()
    }


def _profile(row: asyncpg.Record) -> dict[str, Any]:
    return {out: row[col] for col, out in PROFILE_KEYS}


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


FLOOR = Floor()
HANDLERS: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]] = {
    "/q1": FLOOR.q1,
    "/q2": FLOOR.q2,
    "/q3": FLOOR.q3,
    "/q4": FLOOR.q4,
    "/q5": FLOOR.q5,
}

Handler = Callable[[dict[str, Any]], Awaitable[bytes]]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
Asgi = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


def serve(
    handlers: dict[str, Handler],
    start: Callable[[], Awaitable[None]],
    stop: Callable[[], Awaitable[None]],
    stats: Callable[[], bytes],
) -> Asgi:
    """A bare ASGI app: each path's handler answers the request's JSON parameters with the answer's ``data`` as
    JSON bytes; ``/stats`` answers the system's own counters."""

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await start()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await stop()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["path"] == "/stats":
            status, payload = 200, stats()
        elif (handler := handlers.get(scope["path"])) is None:
            status, payload = 404, b'{"error":"unknown query"}'
        else:
            status, payload = 200, b'{"data":' + await handler(orjson.loads(body)) + b"}"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


def _encoded(handler: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]) -> Handler:
    async def encode(params: dict[str, Any]) -> bytes:
        return orjson.dumps(await handler(params), default=_default)

    return encode


app = serve(
    {path: _encoded(handler) for path, handler in HANDLERS.items()},
    FLOOR.start,
    FLOOR.stop,
    lambda: orjson.dumps({"cypherCalls": FLOOR.cypher_calls}),
)
