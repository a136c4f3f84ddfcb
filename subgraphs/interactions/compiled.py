"""A customer's interactions as SQL, for compiled subtrees (``subgraphs.kit.compiled``): the same page, order and
cursors as the batch resolver's statement (``repository.latest_by_customer``), under every id merged into the
customer."""

from __future__ import annotations

from typing import Any

from subgraphs.kit.compiled import Rows, Sql, newest_page


def customer_interactions(sql: Sql, parent: str, arguments: dict[str, Any]) -> Rows:
    kinds = arguments.get("kinds")
    conditions = [f"y.kind = ANY({sql.param([k.value for k in kinds])}::text[])"] if kinds else []
    return newest_page(
        sql, parent, "interactions", "interactions.interactions", "occurred_at", arguments, conditions
    )
