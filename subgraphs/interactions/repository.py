"""Batched reads of the customer timeline; every function is one SQL statement.

Each takes the rows the caller may see (``rows``): interactions of customers or business units out of scope are
not found, exactly as if they did not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import asyncpg

from core.postgres import Database
from core.visibility import EVERYTHING, Visible
from subgraphs.kit.loaders import group_rows

COLUMNS = (
    "i.id, i.customer_id::text AS customer_id, i.kind, i.channel, i.occurred_at, i.summary, i.payload, "
    "i.business_unit, i.duration_seconds, i.ticket_id, i.logged_by"
)


class InteractionPage(NamedTuple):
    limit: int
    after: tuple[datetime, int] | None = None
    kinds: tuple[str, ...] | None = None


async def interactions_by_id(
    db: Database, ids: Sequence[int], rows: Visible = EVERYTHING
) -> dict[int, asyncpg.Record]:
    args: list[object] = [list(ids)]
    scope = rows.sql(args, customer="i.customer_id", unit="i.business_unit")
    found = await db.fetch(
        f"SELECT {COLUMNS} FROM interactions.interactions i WHERE i.id = ANY($1::bigint[]){scope}", *args
    )
    return {row["id"]: row for row in found}


async def latest_by_customer(
    db: Database, customer_ids: Sequence[str], page: InteractionPage, rows: Visible = EVERYTHING
) -> dict[str, list[asyncpg.Record]]:
    """Each customer's newest interactions (one LATERAL join over the customer/occurred_at index)."""
    after_at, after_id = page.after if page.after else (None, None)
    args: list[object] = [
        rows.customers_among(customer_ids),
        list(page.kinds) if page.kinds else None,
        after_at,
        after_id,
        page.limit,
    ]
    units = rows.sql(args, unit="x.business_unit")
    found = await db.fetch(
        f"""
        SELECT {COLUMNS}
        FROM unnest($1::uuid[]) AS c(id)
        CROSS JOIN LATERAL (
            SELECT * FROM interactions.interactions x
            WHERE x.customer_id = c.id
              AND ($2::text[] IS NULL OR x.kind = ANY($2::text[]))
              AND ($3::timestamptz IS NULL OR (x.occurred_at, x.id) < ($3::timestamptz, $4::bigint)){units}
            ORDER BY x.occurred_at DESC, x.id DESC
            LIMIT $5
        ) i
        """,
        *args,
    )
    return group_rows(found, "customer_id")
