"""Batched reads of orders; every function is one SQL statement whatever the number of customers.

Each takes the rows the caller may see (``rows``): orders of customers out of scope, or of business units out of
scope, are not found, counted or summed, exactly as if they did not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import asyncpg

from core.postgres import Database
from core.visibility import EVERYTHING, Visible
from subgraphs.kit.loaders import group_rows

ORDER_COLUMNS = (
    "o.id, o.customer_id::text AS customer_id, o.channel, o.store_code, o.status, o.currency, o.subtotal, "
    "o.discount, o.shipping, o.total, o.placed_at, o.business_unit, o.source_system, o.external_id, o.updated_at"
)
# Orders that never turned into revenue.
NON_REVENUE = ("cancelled", "refunded")


class OrderPage(NamedTuple):
    """Arguments of one ``Customer.orders`` page; hashable, so equal pages batch together."""

    limit: int
    after: tuple[datetime, int] | None = None
    statuses: tuple[str, ...] | None = None
    since: datetime | None = None


async def orders_by_id(
    db: Database, ids: Sequence[int], rows: Visible = EVERYTHING
) -> dict[int, asyncpg.Record]:
    args: list[object] = [list(ids)]
    scope = rows.sql(args, customer="o.customer_id", unit="o.business_unit")
    found = await db.fetch(
        f"SELECT {ORDER_COLUMNS} FROM orders.orders o WHERE o.id = ANY($1::bigint[]){scope}", *args
    )
    return {row["id"]: row for row in found}


async def orders_by_customer(
    db: Database, customer_ids: Sequence[str], page: OrderPage, rows: Visible = EVERYTHING
) -> dict[str, list[asyncpg.Record]]:
    """Each customer's newest orders (one LATERAL join over the customer/placed_at index)."""
    after_at, after_id = page.after if page.after else (None, None)
    args: list[object] = [
        rows.customers_among(customer_ids),
        list(page.statuses) if page.statuses else None,
        page.since,
        after_at,
        after_id,
        page.limit,
    ]
    units = rows.sql(args, unit="x.business_unit")
    found = await db.fetch(
        f"""
        SELECT {ORDER_COLUMNS}
        FROM unnest($1::uuid[]) AS c(id)
        CROSS JOIN LATERAL (
            SELECT * FROM orders.orders x
            WHERE x.customer_id = c.id
              AND ($2::text[] IS NULL OR x.status = ANY($2::text[]))
              AND ($3::timestamptz IS NULL OR x.placed_at >= $3::timestamptz)
              AND ($4::timestamptz IS NULL OR (x.placed_at, x.id) < ($4::timestamptz, $5::bigint)){units}
            ORDER BY x.placed_at DESC, x.id DESC
            LIMIT $6
        ) o
        """,
        *args,
    )
    return group_rows(found, "customer_id")


async def items_by_order(db: Database, order_ids: Sequence[int]) -> dict[int, list[asyncpg.Record]]:
    rows = await db.fetch(
        "SELECT id, order_id, sku, name, quantity, unit_price FROM orders.order_items "
        "WHERE order_id = ANY($1::bigint[]) ORDER BY order_id, id",
        list(order_ids),
    )
    return group_rows(rows, "order_id")


async def stats_by_customer(
    db: Database, customer_ids: Sequence[str], rows: Visible = EVERYTHING
) -> dict[str, asyncpg.Record]:
    args: list[object] = [list(customer_ids), list(NON_REVENUE)]
    scope = rows.sql(args, customer="customer_id", unit="business_unit")
    found = await db.fetch(
        f"""
        SELECT customer_id::text AS customer_id, count(*) AS order_count,
               coalesce(sum(total) FILTER (WHERE NOT status = ANY($2::text[])), 0) AS lifetime_value,
               max(placed_at) AS last_order_at
        FROM orders.orders WHERE customer_id = ANY($1::uuid[]){scope} GROUP BY customer_id
        """,
        *args,
    )
    return {row["customer_id"]: row for row in found}
