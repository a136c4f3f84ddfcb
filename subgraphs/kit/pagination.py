"""Relay-style connections with opaque keyset cursors, shared by every subgraph."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, Literal, TypeVar

import orjson
import strawberry

from core.errors import BadUserInput
from core.settings import Settings
from subgraphs.kit.classes import classified

T = TypeVar("T")
N = TypeVar("N")


@classified("public")
@strawberry.federation.type(
    shareable=True, description="Where a page sits in its list (Relay cursor connections)."
)
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    has_previous_page: bool = strawberry.field(description="Whether items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item of this page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item; pass it as `after`.")


@classified("public")
@strawberry.type(description="One item of a page with its cursor.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The item.")
    row: strawberry.Private[Any]
    cursor_of: strawberry.Private[Callable[[Any], str]]

    @strawberry.field(description="Opaque cursor of this item.")
    def cursor(self) -> str:
        """Encoded only when asked for: lists read through ``nodes`` never pay for their cursors."""
        return self.cursor_of(self.row)


@classified("public")
@strawberry.type(description="A page of items (Relay cursor connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page with their cursors.")
    page_info: PageInfo = strawberry.field(description="Paging information.")

    @strawberry.field(description="The items of this page, without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode()


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, orjson.JSONDecodeError, ValueError) as exc:
        raise BadUserInput(f"Malformed cursor {cursor!r}") from exc
    if not isinstance(key, list) or len(key) != arity:
        raise BadUserInput(f"Malformed cursor {cursor!r}")
    return key


def decode_time_cursor(cursor: str) -> tuple[datetime, int]:
    """A ``(timestamp, id)`` keyset cursor, as used by newest-first lists."""
    at, row_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(at), int(row_id)
    except (TypeError, ValueError) as exc:
        raise BadUserInput(f"Malformed cursor {cursor!r}") from exc


DEFAULT_MAX_PAGE_SIZE: int = Settings.model_fields["max_page_size"].default
AFTER_DESCRIPTION = (
    "Start after this cursor: the `endCursor` of the previous page; from the first item when omitted."
)


def first_description(items: str, default: int) -> str:
    """The description of a ``first`` argument, with the limit :func:`check_first` enforces."""
    return (
        f"Number of {items} to return, from 0 to `C360_MAX_PAGE_SIZE` ({DEFAULT_MAX_PAGE_SIZE} by default); "
        f"{default} when omitted."
    )


def check_first(first: int, maximum: int) -> None:
    if not 0 <= first <= maximum:
        raise BadUserInput(f"`first` must be between 0 and {maximum}, got {first}")


def page_of(
    rows: Sequence[Any],
    first: int,
    has_previous: bool,
    node: Callable[[Any], N],
    cursor: Callable[[Any], str],
) -> tuple[list[Edge[N]], PageInfo]:
    """Edges and page info from up to ``first + 1`` rows fetched in order (the extra row tells that more follow)."""
    page = rows[:first]
    edges = [Edge(node=node(row), row=row, cursor_of=cursor) for row in page]
    info = PageInfo(
        has_next_page=len(rows) > first,
        has_previous_page=has_previous,
        start_cursor=cursor(page[0]) if page else None,
        end_cursor=cursor(page[-1]) if page else None,
    )
    return edges, info


def build_connection(
    rows: Sequence[Any],
    first: int,
    has_previous: bool,
    node: Callable[[Any], N],
    cursor: Callable[[Any], str],
) -> Connection[N]:
    edges, info = page_of(rows, first, has_previous, node, cursor)
    return Connection(edges=edges, page_info=info)


SortKind = Literal["time", "int", "decimal"]


def _cursor_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _parsed(value: Any, kind: SortKind) -> Any:
    if value is None:
        return None
    if kind == "time":
        return datetime.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    return int(value)


@dataclass(frozen=True)
class Sort:
    """One order of a root connection: a column, then the row id to break ties, both in one direction, with keyset
    cursors (``after``) that walk an index on ``(column, id)`` instead of counting an offset.

    A nullable column sorts its nulls last in both directions. A cursor names its sort, so one from another order
    is refused rather than misread.
    """

    name: str
    column: str
    """The SQL expression sorted on, e.g. ``t.created_at``."""
    key: str
    """Where its value is in a fetched row."""
    kind: SortKind
    descending: bool
    nullable: bool = False
    id_column: str = "id"

    @property
    def _op(self) -> str:
        return "<" if self.descending else ">"

    def order_by(self) -> str:
        direction = "DESC" if self.descending else "ASC"
        nulls = " NULLS LAST" if self.nullable else ""
        return f"{self.column} {direction}{nulls}, {self.id_column} {direction}"

    def after(self, cursor: str, param: Callable[[object], str]) -> str:
        """The condition for rows after ``cursor`` (``param`` binds a value and returns its placeholder)."""
        name, value, row_id = decode_cursor(cursor, 3)
        if name != self.name:
            raise BadUserInput(f"The cursor belongs to another order ({name}), not {self.name}")
        try:
            at, after_id = _parsed(value, self.kind), int(row_id)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise BadUserInput(f"Malformed cursor {cursor!r}") from exc
        column, key, op = self.column, self.id_column, self._op
        if at is None:
            return f"({column} IS NULL AND {key} {op} {param(after_id)})"
        comparison = f"({column}, {key}) {op} ({param(at)}, {param(after_id)})"
        return f"({comparison} OR {column} IS NULL)" if self.nullable else comparison

    def cursor(self, row: Mapping[str, Any]) -> str:
        return encode_cursor(self.name, _cursor_value(row[self.key]), row["id"])


@strawberry.enum(name="SortDirection", description="Which way a list is sorted.")
class Direction(Enum):
    _value_: str

    ASC = strawberry.enum_value("asc", description="Smallest, earliest first (nulls last).")
    DESC = strawberry.enum_value("desc", description="Largest, latest first (nulls last).")


def sort_of(sorts: Mapping[str, Sort], field: str, direction: Direction | None) -> Sort:
    """The sort named ``field`` in ``direction`` (its default direction when omitted)."""
    base = sorts[field]
    if direction is None or (direction is Direction.DESC) == base.descending:
        return base
    return replace(base, descending=direction is Direction.DESC)


def binder(args: list[object]) -> Callable[[object], str]:
    """``param(value)``: appends a statement parameter to ``args`` and returns its placeholder (``$n``)."""

    def param(value: object) -> str:
        args.append(value)
        return f"${len(args)}"

    return param
