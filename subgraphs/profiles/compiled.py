"""The customer root fields as SQL, for compiled subtrees (``subgraphs.kit.compiled``): the same rows as
``customer`` (a merged-away id finds its survivor) and an unfiltered ``customers`` page (keyset on id)."""

from __future__ import annotations

from typing import Any

from core.ids import parse_uuid
from subgraphs.kit.compiled import NotCompiled, Rows, Shape, Sql, cursor_text
from subgraphs.kit.pagination import check_first, decode_cursor
from subgraphs.profiles.repository import CustomerSearch


def one_customer(sql: Sql, parent: str, arguments: dict[str, Any]) -> Rows:
    requested = sql.param(parse_uuid(arguments["id"]))
    scope = "".join(f" AND {c}" for c in sql.rows.clauses(sql.param, customer="c.id"))
    survivor = f"(SELECT a.customer_id FROM profiles.customer_aliases a WHERE a.alias_id = {requested}::uuid)"
    source = (
        f"(SELECT c.* FROM profiles.customers c WHERE c.id = coalesce({survivor}, {requested}::uuid){scope})"
    )
    return Rows(Shape.ONE, source, order=lambda a: f"{a}.id")


def customer_page(sql: Sql, parent: str, arguments: dict[str, Any]) -> Rows:
    if arguments.get("filter") is not None:
        raise NotCompiled("a filtered page of customers")
    first: int = arguments.get("first", 20)
    check_first(first, sql.context.settings.max_page_size)
    after = arguments.get("after")
    clauses = CustomerSearch(rows=sql.rows).where(sql.args)
    if after:
        clauses.append(f"customers.id > {sql.param(parse_uuid(decode_cursor(after, 1)[0]))}::uuid")
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    source = f"(SELECT customers.* FROM profiles.customers{where} ORDER BY customers.id LIMIT {sql.param(first + 1)})"
    return Rows(
        Shape.PAGE,
        source,
        order=lambda a: f"{a}.id",
        page=first,
        has_previous=after is not None,
        cursor=lambda a: cursor_text(f"{a}.id::text"),
    )
