"""The root list of orders across customers, filtered and sorted; a page is one statement and its count another,
walking the indexes of ``models.Order`` by keyset. The caller's row scope limits every statement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.postgres import Database
from core.visibility import EVERYTHING, Visible
from subgraphs.kit.pagination import Sort, binder
from subgraphs.orders.repository import ORDER_COLUMNS

SORTS = {
    "PLACED_AT": Sort("PLACED_AT", "o.placed_at", "placed_at", "time", descending=True, id_column="o.id"),
    "TOTAL": Sort("TOTAL", "o.total", "total", "decimal", descending=True, id_column="o.id"),
}
"""Every order of the list, in its default direction: newest first, largest first."""


@dataclass(frozen=True)
class OrderQueue:
    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    business_units: tuple[str, ...] = ()
    placed_after: datetime | None = None
    placed_before: datetime | None = None
    rows: Visible = EVERYTHING
    """What the caller may see (customers, business units): out of it is absent."""

    def where(self, param: Callable[[object], str]) -> list[str]:
        clauses = []
        if self.statuses:
            clauses.append(f"o.status = ANY({param(list(self.statuses))}::text[])")
        if self.channels:
            clauses.append(f"o.channel = ANY({param(list(self.channels))}::text[])")
        if self.business_units:
            clauses.append(f"o.business_unit = ANY({param(list(self.business_units))}::text[])")
        if self.placed_after is not None:
            clauses.append(f"o.placed_at >= {param(self.placed_after)}::timestamptz")
        if self.placed_before is not None:
            clauses.append(f"o.placed_at < {param(self.placed_before)}::timestamptz")
        clauses.extend(
            self.rows.clauses(
                param, customer="o.customer_id", unit="o.business_unit", restricted="o.restricted"
            )
        )
        return clauses


def statement(queue: OrderQueue, sort: Sort, limit: int, after: str | None) -> tuple[str, list[object]]:
    """The page's SQL and its parameters (tests explain it: it must walk an index)."""
    args: list[object] = []
    param = binder(args)
    clauses = queue.where(param)
    if after is not None:
        clauses.append(sort.after(after, param))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = (
        f"SELECT {ORDER_COLUMNS} FROM orders.orders o {where} ORDER BY {sort.order_by()} LIMIT {param(limit)}"
    )
    return sql, args


async def page(
    db: Database, queue: OrderQueue, sort: Sort, limit: int, after: str | None
) -> list[asyncpg.Record]:
    sql, args = statement(queue, sort, limit, after)
    return await db.fetch(sql, *args)


async def count(db: Database, queue: OrderQueue) -> int:
    args: list[object] = []
    clauses = queue.where(binder(args))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    total: int = await db.fetchval(f"SELECT count(*) FROM orders.orders o {where}", *args)
    return total
