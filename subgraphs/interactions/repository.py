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
from subgraphs.kit.owners import Owner, by_owner, pairs_table
from subgraphs.kit.pagination import binder

COLUMNS = (
    "i.id, i.customer_id::text AS customer_id, i.kind, i.channel, i.occurred_at, i.summary, i.payload, "
    "i.business_unit, i.duration_seconds, i.ticket_id, i.logged_by"
)


class InteractionPage(NamedTuple):
    limit: int
    after: tuple[datetime, int] | None = None
    kinds: tuple[str, ...] | None = None
    since: datetime | None = None


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
    db: Database, owners: Sequence[Owner], page: InteractionPage, rows: Visible = EVERYTHING
) -> dict[Owner, list[asyncpg.Record]]:
    """Each customer's newest interactions under all of its ids: one LATERAL walk of the customer/occurred_at index
    per id, then the newest of them per customer."""
    after_at, after_id = page.after if page.after else (None, None)
    args: list[object] = []
    param = binder(args)
    pairs = pairs_table([o for o in owners if rows.sees_customer(o.id)], param)
    kinds, since = param(list(page.kinds) if page.kinds else None), param(page.since)
    at, row_id, limit = param(after_at), param(after_id), param(page.limit)
    units = rows.sql(args, unit="y.business_unit")
    found = await db.fetch(
        f"""
        SELECT i.owner, {COLUMNS} FROM (
            SELECT p.owner::text AS owner, x.*,
                   row_number() OVER (PARTITION BY p.owner ORDER BY x.occurred_at DESC, x.id DESC) AS n
            FROM {pairs}
            CROSS JOIN LATERAL (
                SELECT * FROM interactions.interactions y
                WHERE y.customer_id = p.id
                  AND ({kinds}::text[] IS NULL OR y.kind = ANY({kinds}::text[]))
                  AND ({since}::timestamptz IS NULL OR y.occurred_at >= {since}::timestamptz)
                  AND ({at}::timestamptz IS NULL OR (y.occurred_at, y.id) < ({at}::timestamptz, {row_id}::bigint)){units}
                ORDER BY y.occurred_at DESC, y.id DESC
                LIMIT {limit}
            ) x
        ) i
        WHERE i.n <= {limit}
        ORDER BY i.owner, i.occurred_at DESC, i.id DESC
        """,
        *args,
    )
    return by_owner(owners, group_rows(found, "owner"))
