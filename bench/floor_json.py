"""``floor-json``: each of the benchmark's queries as one statement that builds the whole answer's JSON in PostgreSQL.

The floor (``floor.py``) fetches rows and builds JSON in Python; this one asks PostgreSQL for the answer's text and
splices it into the response as bytes, which is what a compiled PostgreSQL subtree of the API would do. Same data,
same orders and limits as the floor, so its answers compare equal; identifiers come from the PostgreSQL projection.
Run with ``uvicorn bench.floor_json:app --loop uvloop --http httptools`` and the usual ``C360_*`` settings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import orjson

from bench.floor import serve
from core.settings import Settings
from graph_store.identifiers import IdentifierType, normalize

PROFILE = """json_build_object('id', c.id::text, 'givenName', c.given_name, 'familyName', c.family_name,
  'fullName', c.full_name, 'gender', c.gender, 'birthDate', c.birth_date, 'city', c.city, 'region', c.region,
  'countryCode', c.country_code, 'loyaltyTier', c.loyalty_tier, 'loyaltyPoints', c.loyalty_points,
  'status', c.status, 'createdAt', c.created_at, 'updatedAt', c.updated_at)"""

Q1 = f"""
SELECT json_build_object('customer', (
  SELECT {PROFILE[:-1]},
    'identifiers', (SELECT coalesce(json_agg(json_build_object('type', i.type, 'value', i.value, 'source', i.source,
        'observedAt', i.observed_at) ORDER BY i.type COLLATE "C", i.value COLLATE "C"), '[]')
      FROM profiles.customer_identifiers i WHERE i.customer_id = c.id),
    'orders', (SELECT coalesce(json_agg(json_build_object('id', o.id, 'channel', o.channel, 'status', o.status,
        'total', o.total::text, 'placedAt', o.placed_at,
        'items', (SELECT coalesce(json_agg(json_build_object('id', l.id, 'sku', l.sku, 'name', l.name,
            'quantity', l.quantity, 'unitPrice', l.unit_price::text) ORDER BY l.id), '[]')
          FROM orders.order_items l WHERE l.order_id = o.id)
      ) ORDER BY o.placed_at DESC, o.id DESC), '[]')
      FROM (SELECT * FROM orders.orders x WHERE x.customer_id = c.id
            ORDER BY x.placed_at DESC, x.id DESC LIMIT 20) o),
    'tickets', (SELECT coalesce(json_agg(json_build_object('id', t.id, 'subject', t.subject, 'status', t.status,
        'priority', t.priority, 'createdAt', t.created_at, 'slaDueAt', t.sla_due_at)
      ORDER BY t.created_at DESC, t.id DESC), '[]')
      FROM (SELECT * FROM tickets.tickets x WHERE x.customer_id = c.id AND x.status IN ('new', 'open', 'pending')
            ORDER BY x.created_at DESC, x.id DESC LIMIT 50) t),
    'interactions', (SELECT coalesce(json_agg(json_build_object('id', n.id, 'kind', n.kind, 'channel', n.channel,
        'occurredAt', n.occurred_at, 'summary', n.summary) ORDER BY n.occurred_at DESC, n.id DESC), '[]')
      FROM (SELECT * FROM interactions.interactions x WHERE x.customer_id = c.id
            ORDER BY x.occurred_at DESC, x.id DESC LIMIT 50) n)
  ) FROM profiles.customers c WHERE c.id = $1::uuid))::text"""

Q2 = f"SELECT json_build_object('customer', (SELECT {PROFILE} FROM profiles.customers c WHERE c.id = $1::uuid))::text"


def _paged(size: int, after: bool, fields: str, joins: str = "") -> str:
    """A page of customers (``size`` is the limit the statement is sent with), each with ``fields``."""
    # Two statements, not `$1 IS NULL OR id > $1`: PostgreSQL cannot use the primary key for that one.
    where = "WHERE c.id > $1::uuid " if after else ""
    limit = "$2" if after else "$1"
    return f"""
SELECT json_build_object('customers', coalesce(json_agg(json_build_object('id', c.id::text,
  'fullName', c.full_name, 'loyaltyTier', c.loyalty_tier, {fields}) ORDER BY c.id), '[]'))::text
FROM (SELECT id, full_name, loyalty_tier FROM profiles.customers c {where}ORDER BY c.id LIMIT {limit}) c{joins}"""


Q3_FIELDS = """
  'orders', (SELECT coalesce(json_agg(json_build_object('id', o.id, 'status', o.status, 'total', o.total::text,
      'placedAt', o.placed_at) ORDER BY o.placed_at DESC, o.id DESC), '[]')
    FROM (SELECT * FROM orders.orders x WHERE x.customer_id = c.id ORDER BY x.placed_at DESC, x.id DESC LIMIT 5) o),
  'tickets', (SELECT coalesce(json_agg(json_build_object('id', t.id, 'subject', t.subject, 'status', t.status,
      'createdAt', t.created_at) ORDER BY t.created_at DESC, t.id DESC), '[]')
    FROM (SELECT * FROM tickets.tickets x WHERE x.customer_id = c.id ORDER BY x.created_at DESC, x.id DESC LIMIT 5) t)"""
Q4_FIELDS = """'lifetimeValue', coalesce(s.value, 0)::text, 'orderCount', s.n, 'lastOrderAt', s.last_at,
  'openTicketCount', t.n"""
Q4_JOINS = """
CROSS JOIN LATERAL (SELECT count(*) AS n, max(placed_at) AS last_at,
    sum(total) FILTER (WHERE status NOT IN ('cancelled', 'refunded')) AS value
  FROM orders.orders x WHERE x.customer_id = c.id) s
CROSS JOIN LATERAL (SELECT count(*) AS n FROM tickets.tickets x
  WHERE x.customer_id = c.id AND x.status IN ('new', 'open', 'pending')) t"""
Q3 = (_paged(50, False, Q3_FIELDS), _paged(50, True, Q3_FIELDS))
Q4 = (_paged(200, False, Q4_FIELDS, Q4_JOINS), _paged(200, True, Q4_FIELDS, Q4_JOINS))
"""The first page's statement and the next pages'."""

Q5 = """
SELECT json_build_object('customer', (SELECT json_build_object('id', c.id::text, 'fullName', c.full_name,
    'givenName', c.given_name, 'familyName', c.family_name, 'loyaltyTier', c.loyalty_tier, 'status', c.status,
    'city', c.city)
  FROM profiles.customers c
  WHERE c.id = (SELECT min(customer_id::text)::uuid FROM profiles.customer_identifiers WHERE key = $1)))::text"""


class FloorJson:
    """One pool, opened in the ASGI lifespan; each handler returns the answer's ``data`` as JSON bytes."""

    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None
        self.settings = Settings()

    async def start(self) -> None:
        s = self.settings
        self.pool = await asyncpg.create_pool(
            s.dsn_for("profiles"), min_size=s.pg_pool_max, max_size=s.pg_pool_max, reset=_keep_session
        )

    async def stop(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def answer(self, sql: str, *args: Any) -> bytes:
        assert self.pool is not None
        text: str = await self.pool.fetchval(sql, *args)
        return text.encode()

    async def q1(self, params: dict[str, Any]) -> bytes:
        return await self.answer(Q1, params["id"])

    async def q2(self, params: dict[str, Any]) -> bytes:
        return await self.answer(Q2, params["id"])

    async def q3(self, params: dict[str, Any]) -> bytes:
        return await self._page(Q3, 50, params.get("after"))

    async def q4(self, params: dict[str, Any]) -> bytes:
        return await self._page(Q4, 200, params.get("after"))

    async def _page(self, statements: tuple[str, str], size: int, after: str | None) -> bytes:
        first, later = statements
        return await (self.answer(first, size) if after is None else self.answer(later, after, size))

    async def q5(self, params: dict[str, Any]) -> bytes:
        key = normalize(IdentifierType.PHONE, params["phone"], region=self.settings.default_phone_region).key
        return await self.answer(Q5, key)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """No reset statement on release, as in the floor's and the API's pools."""


FLOOR_JSON = FloorJson()
HANDLERS: dict[str, Callable[[dict[str, Any]], Awaitable[bytes]]] = {
    "/q1": FLOOR_JSON.q1,
    "/q2": FLOOR_JSON.q2,
    "/q3": FLOOR_JSON.q3,
    "/q4": FLOOR_JSON.q4,
    "/q5": FLOOR_JSON.q5,
}
app = serve(HANDLERS, FLOOR_JSON.start, FLOOR_JSON.stop, lambda: orjson.dumps({"cypherCalls": 0}))
