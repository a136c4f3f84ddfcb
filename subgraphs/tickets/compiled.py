"""A customer's tickets and open-ticket count as SQL, for compiled subtrees (``subgraphs.kit.compiled``): the
same rows, order and count as the batch resolvers' statements (``repository.py``), under every id merged into the
customer."""

from __future__ import annotations

from typing import Any

from subgraphs.kit.compiled import Rows, Shape, Sql, Value
from subgraphs.kit.owners import OWNER_IDS, newest_under_ids
from subgraphs.kit.pagination import check_first
from subgraphs.tickets.repository import OPEN_STATUSES


def customer_tickets(sql: Sql, parent: str, arguments: dict[str, Any]) -> Rows:
    first: int = arguments.get("first", 50)
    check_first(first, sql.context.settings.max_page_size)
    conditions = []
    statuses = arguments.get("status")
    if statuses:
        conditions.append(f"y.status = ANY({sql.param([s.value for s in statuses])}::text[])")
    conditions += sql.rows.clauses(sql.param, unit="y.business_unit")
    source = newest_under_ids(parent, "tickets.tickets", "created_at", conditions, sql.param(first))
    return Rows(Shape.LIST, "tickets", source, order=lambda a: f"{a}.created_at DESC, {a}.id DESC")


def _open_count(sql: Sql, parent: str) -> str:
    statuses = sql.param(list(OPEN_STATUSES))
    units = "".join(f" AND {c}" for c in sql.rows.clauses(sql.param, unit="x.business_unit"))
    return (
        f"(SELECT count(*) FROM tickets.tickets x WHERE x.customer_id = ANY({parent}.{OWNER_IDS})"
        f" AND x.status = ANY({statuses}::text[]){units})"
    )


OPEN_TICKET_COUNT = Value("tickets", _open_count)
