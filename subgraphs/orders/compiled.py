"""A customer's orders, their lines and order figures as SQL, for compiled subtrees (``subgraphs.kit.compiled``):
the same rows, order and figures as the batch resolvers' statements (``repository.py``), under every id merged
into the customer."""

from __future__ import annotations

from typing import Any

from subgraphs.kit.compiled import Lateral, Rows, Sql, Value, newest_page, rows_under
from subgraphs.kit.owners import OWNER_IDS
from subgraphs.orders.repository import NON_REVENUE


def customer_orders(sql: Sql, parent: str, arguments: dict[str, Any]) -> Rows:
    conditions = []
    statuses = arguments.get("status")
    if statuses:
        conditions.append(f"y.status = ANY({sql.param([s.value for s in statuses])}::text[])")
    since = arguments.get("since")
    if since is not None:
        conditions.append(f"y.placed_at >= {sql.param(since)}::timestamptz")
    return newest_page(sql, parent, "orders", "orders.orders", "placed_at", arguments, conditions)


def order_items(sql: Sql, parent: str, arguments: dict[str, Any]) -> Rows:
    return rows_under("orders", "orders.order_items", "order_id", parent, order=lambda a: f"{a}.id")


def _order_figures(sql: Sql, parent: str) -> str:
    """A customer's order count, lifetime value and latest order, read in one pass over its orders (under all of
    its ids, by an index condition) that the caller may see; as the batch resolver answers, the value is 0.00 for
    a customer without orders and the sum (0 when none counts) otherwise."""
    non_revenue = sql.param(list(NON_REVENUE))
    units = "".join(f" AND {c}" for c in sql.rows.clauses(sql.param, unit="x.business_unit"))
    return (
        "(SELECT count(*) AS order_count, max(x.placed_at) AS last_order_at,"
        " CASE WHEN count(*) = 0 THEN 0.00 ELSE"
        f" coalesce(sum(x.total) FILTER (WHERE NOT x.status = ANY({non_revenue}::text[])), 0) END AS lifetime_value"
        f" FROM orders.orders x WHERE x.customer_id = ANY({parent}.{OWNER_IDS}){units})"
    )


FIGURES = Lateral("order_figures", _order_figures)
ORDER_COUNT = Value("orders", lambda sql, figures: f"{figures}.order_count", FIGURES)
LAST_ORDER_AT = Value("orders", lambda sql, figures: f"{figures}.last_order_at", FIGURES)
LIFETIME_VALUE = Value("orders", lambda sql, figures: f"{figures}.lifetime_value", FIGURES)
