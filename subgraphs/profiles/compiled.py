"""The customer root fields and identifiers as SQL, for compiled subtrees (``subgraphs.kit.compiled``): the same
rows as ``customer`` (a merged-away id finds its survivor), ``customerByIdentifier`` (through the identifier
projection), a ``customers`` page (keyset on id, with the filter's conditions when they are all SQL in this
database) and ``Customer.identifiers`` (the projection)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.ids import parse_uuid
from core.visibility import EVERYTHING, Visible
from graph_store.identifiers import normalize
from subgraphs.kit.classes import identifier_class
from subgraphs.kit.compiled import NotCompiled, Rows, Shape, Sql, cursor_text, rows_under
from subgraphs.kit.owners import OWNER_IDS, owner_ids_sql
from subgraphs.kit.pagination import check_first, decode_cursor
from subgraphs.profiles.repository import CustomerSearch, identifier_order

if TYPE_CHECKING:
    from subgraphs.profiles.types import CustomerFilter


def one_customer(sql: Sql, parent: str, arguments: dict[str, Any]) -> Rows:
    return _customer(sql, f"{sql.param(parse_uuid(arguments['id']))}::uuid")


def customer_by_identifier(sql: Sql, parent: str, arguments: dict[str, Any]) -> Rows:
    """The customer an identifier's key belongs to in the projection (the least id when several share it)."""
    kind = arguments["type"]
    sql.context.require_visible(identifier_class(kind.value)[0], kind.value.replace("_", " "))
    settings = sql.context.settings
    identifier = normalize(
        kind, arguments["value"], region=settings.default_phone_region, app_id=arguments.get("app_id")
    )
    key = sql.param(identifier.key)
    return _customer(
        sql,
        f"(SELECT min(i.customer_id::text)::uuid FROM profiles.customer_identifiers i WHERE i.key = {key})",
    )


def _customer(sql: Sql, requested: str) -> Rows:
    """The customer with id ``requested`` (a SQL ``uuid``), or the survivor it was merged into, if the caller may
    see it."""
    scope = "".join(f" AND {c}" for c in sql.rows.clauses(sql.param, customer="c.id"))
    survivor = f"(SELECT a.customer_id FROM profiles.customer_aliases a WHERE a.alias_id = {requested})"
    source = (
        f"(SELECT c.*, {owner_ids_sql('c.id')} AS {OWNER_IDS} FROM profiles.customers c"
        f" WHERE c.id = coalesce({survivor}, {requested}){scope})"
    )
    return Rows(Shape.ONE, "profiles", source, order=lambda a: f"{a}.id")


def customer_identifiers(sql: Sql, parent: str, arguments: dict[str, Any]) -> Rows:
    """A customer's identifiers from the projection, in the batch resolver's order (``identifiers_by_customer``)."""
    return rows_under(
        "profiles",
        "profiles.customer_identifiers",
        "customer_id",
        parent,
        order=identifier_order,
    )


def customer_page(sql: Sql, parent: str, arguments: dict[str, Any]) -> Rows:
    criteria = criteria_of(sql.context, arguments.get("filter"), sql.rows)
    if not criteria.joins_in_sql:
        raise NotCompiled("a filter another database answers")
    first: int = arguments.get("first", 20)
    check_first(first, sql.context.settings.max_page_size)
    after = arguments.get("after")
    clauses = criteria.where(sql.args)
    if after:
        clauses.append(f"customers.id > {sql.param(parse_uuid(decode_cursor(after, 1)[0]))}::uuid")
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    source = (
        f"(SELECT customers.*, {owner_ids_sql('customers.id')} AS {OWNER_IDS} FROM profiles.customers{where}"
        f" ORDER BY customers.id LIMIT {sql.param(first + 1)})"
    )
    return Rows(
        Shape.PAGE,
        "profiles",
        source,
        order=lambda a: f"{a}.id",
        page=first,
        has_previous=after is not None,
        cursor=lambda a: cursor_text(f"{a}.id::text"),
        total=lambda: f"({criteria.count_sql(sql.args)})",
    )


def criteria_of(context: Any, filter: CustomerFilter | None, rows: Visible = EVERYTHING) -> CustomerSearch:
    """A filter's conditions (refused when they search values the caller may not read), within ``rows``."""
    if filter is None:
        return CustomerSearch(rows=rows)
    if filter.name and filter.name.strip():
        context.require_visible("contact_pii", "name")
    if filter.cities:
        context.require_visible("contact_pii", "city")
    return CustomerSearch(
        name=filter.name.strip() if filter.name and filter.name.strip() else None,
        cities=tuple(filter.cities or ()),
        loyalty_tiers=tuple(tier.value for tier in filter.loyalty_tiers or ()),
        related=(
            context.cross.open_tickets(context, filter.has_open_tickets)
            if filter.has_open_tickets is not None
            else None
        ),
        rows=rows,
    )
