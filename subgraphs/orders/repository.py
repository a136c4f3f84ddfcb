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
from subgraphs.kit.owners import Owner, by_owner, pairs_table
from subgraphs.kit.pagination import binder

ORDER_COLUMNS = (
    "o.id, o.customer_id::text AS customer_id, o.channel, o.store_code, o.status, o.currency, o.subtotal, "
    "o.discount, o.shipping, o.total, o.placed_at, o.business_unit, o.source_system, o.external_id, o.updated_at, "
    "o.restricted"
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
    scope = rows.sql(args, customer="o.customer_id", unit="o.business_unit", restricted="o.restricted")
    found = await db.fetch(
        f"SELECT {ORDER_COLUMNS} FROM orders.orders o WHERE o.id = ANY($1::bigint[]){scope}", *args
    )
    return {row["id"]: row for row in found}


async def orders_by_customer(
    db: Database, owners: Sequence[Owner], page: OrderPage, rows: Visible = EVERYTHING
) -> dict[Owner, list[asyncpg.Record]]:
    """Each customer's newest orders under all of its ids: one LATERAL walk of the customer/placed_at index per id,
    then the newest of them per customer (for almost every customer, one id: the walk is the page)."""
    after_at, after_id = page.after if page.after else (None, None)
    args: list[object] = []
    param = binder(args)
    pairs = pairs_table([o for o in owners if rows.sees_customer(o.id)], param)
    statuses = param(list(page.statuses) if page.statuses else None)
    since, at, row_id = param(page.since), param(after_at), param(after_id)
    limit = param(page.limit)
    units = rows.sql(args, unit="y.business_unit")
    found = await db.fetch(
        f"""
        SELECT o.owner, {ORDER_COLUMNS} FROM (
            SELECT p.owner::text AS owner, x.*,
                   row_number() OVER (PARTITION BY p.owner ORDER BY x.placed_at DESC, x.id DESC) AS n
            FROM {pairs}
            CROSS JOIN LATERAL (
                SELECT * FROM orders.orders y
                WHERE y.customer_id = p.id
                  AND ({statuses}::text[] IS NULL OR y.status = ANY({statuses}::text[]))
                  AND ({since}::timestamptz IS NULL OR y.placed_at >= {since}::timestamptz)
                  AND ({at}::timestamptz IS NULL OR (y.placed_at, y.id) < ({at}::timestamptz, {row_id}::bigint)){units}
                ORDER BY y.placed_at DESC, y.id DESC
                LIMIT {limit}
            ) x
        ) o
        WHERE o.n <= {limit}
        ORDER BY o.owner, o.placed_at DESC, o.id DESC
        """,
        *args,
    )
    return by_owner(owners, group_rows(found, "owner"))


async def items_by_order(db: Database, order_ids: Sequence[int]) -> dict[int, list[asyncpg.Record]]:
    rows = await db.fetch(
        "SELECT id, order_id, sku, name, quantity, unit_price FROM orders.order_items "
        "WHERE order_id = ANY($1::bigint[]) ORDER BY order_id, id",
        list(order_ids),
    )
    return group_rows(rows, "order_id")


async def stats_by_customer(
    db: Database, owners: Sequence[Owner], rows: Visible = EVERYTHING
) -> dict[Owner, asyncpg.Record]:
    """Order count, lifetime value and latest order of each customer, under all of its ids."""
    args: list[object] = []
    param = binder(args)
    pairs = pairs_table([o for o in owners if rows.sees_customer(o.id)], param)
    non_revenue = param(list(NON_REVENUE))
    units = rows.sql(args, unit="x.business_unit")
    found = await db.fetch(
        f"""
        SELECT p.owner::text AS owner, count(*) AS order_count,
               coalesce(sum(x.total) FILTER (WHERE NOT x.status = ANY({non_revenue}::text[])), 0) AS lifetime_value,
               max(x.placed_at) AS last_order_at
        FROM {pairs} JOIN orders.orders x ON x.customer_id = p.id{units} GROUP BY p.owner
        """,
        *args,
    )
    return by_owner(owners, {row["owner"]: row for row in found})
