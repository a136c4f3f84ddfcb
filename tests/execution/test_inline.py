"""The generated builder of an object whose fields are all leaves: the result in response order, or ``None`` (the
field-by-field path) whenever a value needs more than reading and completing it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from schema.execution.inline import LeafRead, inline_builder


@dataclass
class Line:
    id: Any
    sku: Any
    price: Any
    note: Any = None


def _strict_int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"Int cannot represent {value!r}")
    return value


FIELDS = [
    LeafRead("__typename", typename="OrderItem"),
    LeafRead("ref", attribute="id", leaf=str, nullable=False, as_is_str=True),
    LeafRead("sku", attribute="sku", leaf=str, nullable=False, as_is_str=True),
    LeafRead("price", attribute="price", leaf=str, nullable=False),
    LeafRead("note", attribute="note", leaf=_strict_int),
]


def test_an_object_completes_in_response_order() -> None:
    build = inline_builder(FIELDS)
    assert build is not None
    built = build(Line(7, "A-1", Decimal("9.50")))
    assert built == {"__typename": "OrderItem", "ref": "7", "sku": "A-1", "price": "9.50", "note": None}
    assert list(built or {}) == ["__typename", "ref", "sku", "price", "note"]
    assert build(Line("x", "A-1", Decimal("1"), 3)) == {
        "__typename": "OrderItem",
        "ref": "x",
        "sku": "A-1",
        "price": "1",
        "note": 3,
    }


def test_what_needs_the_field_by_field_path_answers_none() -> None:
    build = inline_builder(FIELDS)
    assert build is not None
    assert build(Line(1, None, Decimal("1"))) is None  # null in a non-null field
    assert build(Line(1, "A-1", Decimal("1"), "three")) is None  # a value its leaf refuses
    assert build(None) is None  # no attributes at all
    assert build(object()) is None


def test_a_name_code_cannot_spell_is_not_generated() -> None:
    assert inline_builder([LeafRead("a", attribute="not-a-name", leaf=str)]) is None
    assert inline_builder([LeafRead("a", attribute="class", leaf=str)]) is None
    assert inline_builder([]) is None
