"""Fields as SQL: how the subgraphs' fields read in one statement, for compiled subtrees (``schema/execution/compiled.py``).

A query whose fields all read PostgreSQL rows of one database runs as one statement that builds the answer's JSON
in PostgreSQL (PostGraphile's way: no row decoded into Python objects, no resolver per field). Each subgraph says
how its fields read as SQL, next to their batch resolvers, which stay the reference (the planned executor runs
them for anything not compiled):

- a type whose values are rows of one table (:func:`rows_of`): its fields without a resolver read the columns of
  the same name;
- a field that lists rows (:data:`ListForm`, in the field's metadata under :data:`SQL_KEY`): given the parent
  row's alias and the field's arguments, the rows (:class:`Rows`): their FROM item, order and, for a connection,
  page size and cursor;
- a field whose value is one SQL expression of its parent row (:class:`Value`): a summary figure, or a value
  Python finishes from what the expression read (``Value.finish``).

Forms bind their values as parameters (:class:`Sql`) and add the caller's row scope (``Visible``), as the
repositories do. A form that cannot express its arguments raises :class:`NotCompiled`, and the request runs by
its plan.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.visibility import Visible
from subgraphs.kit.owners import newest_under_ids
from subgraphs.kit.pagination import check_first, decode_time_cursor

SQL_KEY = "c360-sql"
"""Where a strawberry field's metadata holds its SQL form (:func:`sql_form`)."""
TABLE = "_c360_table"
"""Where a type's class keeps its :class:`Table` (:func:`rows_of`)."""

T = TypeVar("T")


class NotCompiled(Exception):
    """This request cannot run as one statement (the reason is counted); it runs by its plan."""


@dataclass(frozen=True, slots=True)
class Table:
    """The table a type's values are rows of."""

    name: str
    store: str
    """The subgraph whose database holds it (``Postgres.db(store)``)."""
    owner: str | None
    """The column naming the customer whose data a row is (the audit's owner, as ``@owned_by`` says)."""
    columns: Mapping[str, str] = field(default_factory=dict)
    """Attributes read from a column of another name."""

    def column(self, attribute: str) -> str:
        return self.columns.get(attribute, attribute)


def rows_of(name: str, store: str, owner: str | None, **columns: str) -> Callable[[type[T]], type[T]]:
    """Declare a type's values rows of table ``name`` (its leaf fields without resolvers read same-named columns)."""

    def declare(cls: type[T]) -> type[T]:
        setattr(cls, TABLE, Table(name, store, owner, columns))
        return cls

    return declare


def table_of(cls: Any) -> Table | None:
    found = getattr(cls, TABLE, None)
    return found if isinstance(found, Table) else None


class Sql:
    """A statement being built: its parameters, fresh aliases, and the rows the caller may see."""

    __slots__ = ("aliases", "args", "context", "rows")

    def __init__(self, rows: Visible, context: Any) -> None:
        self.args: list[object] = []
        self.rows = rows
        self.context = context
        """The request's context (its settings: page-size limits)."""
        self.aliases = 0
        """Aliases taken so far (forms name their own rows; only the statement takes aliases)."""

    def param(self, value: object) -> str:
        """Bind ``value``; its placeholder."""
        self.args.append(value)
        return f"${len(self.args)}"

    def alias(self) -> str:
        self.aliases += 1
        return f"r{self.aliases}"


class Shape(enum.Enum):
    ONE = "one"
    """At most one row: the field's value is that row's object, or null."""
    LIST = "list"
    """A list of the rows' objects."""
    PAGE = "page"
    """A Relay connection over the rows (``Rows.page`` of them, and one more telling that more follow)."""


@dataclass(frozen=True, slots=True)
class Rows:
    """The rows a field reads: ``source`` is a FROM item (a table or a parenthesised subquery) without its alias,
    whose columns are those of the item type's table."""

    shape: Shape
    store: str
    """The subgraph whose database holds the rows (a page that selects only its page info still reads them)."""
    source: str
    order: Callable[[str], str]
    """The rows' order (an ``ORDER BY`` list) given their alias."""
    page: int = 0
    has_previous: bool = False
    cursor: Callable[[str], str] | None = None
    """A row's cursor as a SQL text expression, given its alias (connections)."""
    total: Callable[[], str] | None = None
    """The number of rows across all pages as a SQL expression, built when a connection's ``totalCount`` is
    selected (it binds its own parameters)."""


def rows_under(store: str, table: str, column: str, parent: str, order: Callable[[str], str]) -> Rows:
    """The rows of ``table`` whose ``column`` holds the parent row's id (an order's lines), as a list."""
    return Rows(Shape.LIST, store, f"(SELECT * FROM {table} WHERE {column} = {parent}.id)", order=order)


ListForm = Callable[[Sql, str, dict[str, Any]], Rows]
"""``(statement, parent alias, the field's Python arguments) -> rows`` (the parent alias is empty for a root field).
Its rows have the same shape, and a cursor and a count or not, whatever the arguments: a plan's statements then
share their steps (``schema/execution/compiled.py``, ``Built``)."""


@dataclass(frozen=True, slots=True)
class Lateral:
    """Figures read together: one row per parent row (a ``LATERAL`` subquery), joined once to the parent's rows
    and shared by every figure of the object that names it (a customer's order count, value and latest order read
    its orders once)."""

    name: str
    source: Callable[[Sql, str], str]
    """``(statement, parent alias) ->`` a parenthesised subquery returning exactly one row."""


@dataclass(frozen=True, slots=True)
class Value:
    """A field whose value is one SQL expression of its parent row, of the field's GraphQL type."""

    store: str
    """The subgraph whose database the expression reads."""
    expression: Callable[[Sql, str], str]
    """``(statement, alias) ->`` the value: the alias is the parent row's, or its :class:`Lateral`'s when it has one."""
    lateral: Lateral | None = None
    finish: Callable[[Any, Any], Any] | None = None
    """``(request context, the expression's JSON value) ->`` the field's value as the schema shows it, for a value
    SQL reads but only Python works out in some cases (a due time on a business-hours calendar); the expression
    then returns the shown value, or what Python needs to work it out."""


def sql_form(form: ListForm | Value) -> dict[str, Any]:
    """Field metadata naming the field's SQL form (merge it with the rest of its metadata)."""
    return {SQL_KEY: form}


def instant(expression: str) -> str:
    """A ``timestamptz`` as Python's ``datetime.isoformat`` shows it in UTC (microseconds only when not zero)."""
    utc = f"({expression}) AT TIME ZONE 'UTC'"
    return (
        f"to_char({utc}, CASE WHEN extract(microseconds FROM {expression})::bigint % 1000000 = 0"
        """ THEN 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"' END)"""
    )


def cursor_text(*parts: str) -> str:
    """``encode_cursor(*values)`` in SQL (urlsafe base64 of their JSON array), given each value's SQL expression;
    the values are JSON-encoded as ``orjson`` does for the text and integers cursors hold."""
    array = " || ',' || ".join(f"to_json({p})::text" for p in parts)
    encoded = f"encode(convert_to('[' || {array} || ']', 'UTF8'), 'base64')"
    return f"translate({encoded}, E'+/\\n', '-_')"


def newest_page(
    sql: Sql,
    parent: str,
    store: str,
    table: str,
    at: str,
    arguments: Mapping[str, Any],
    conditions: list[str],
) -> Rows:
    """A connection over the newest rows of ``table`` (by ``at``, then id) under every id of the customer row
    ``parent``, from the ``after`` cursor and within the caller's business units, as the newest-first
    batch resolvers page them (``first`` + 1 rows tell that more follow)."""
    first: int = arguments.get("first", 20)
    check_first(first, sql.context.settings.max_page_size)
    after = arguments.get("after")
    conditions = list(conditions)
    if after:
        when, row_id = decode_time_cursor(after)
        conditions.append(f"(y.{at}, y.id) < ({sql.param(when)}::timestamptz, {sql.param(row_id)}::bigint)")
    conditions += sql.rows.clauses(sql.param, unit="y.business_unit")
    return Rows(
        Shape.PAGE,
        store,
        newest_under_ids(parent, table, at, conditions, sql.param(first + 1)),
        order=lambda a: f"{a}.{at} DESC, {a}.id DESC",
        page=first,
        has_previous=after is not None,
        cursor=lambda a: cursor_text(instant(f"{a}.{at}"), f"{a}.id"),
    )


__all__ = [
    "SQL_KEY",
    "Lateral",
    "ListForm",
    "NotCompiled",
    "Rows",
    "Shape",
    "Sql",
    "Table",
    "Value",
    "cursor_text",
    "instant",
    "newest_page",
    "rows_of",
    "rows_under",
    "sql_form",
    "table_of",
]
