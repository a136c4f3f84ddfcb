"""Generated code for objects whose every selected field is a leaf read from an attribute.

Most objects of a large response (an order's lines, a page's tickets) select only attributes shown as they are:
walking them field by field, each with a position in the response and a turn in the next level, costs more than
the values themselves. For such an object plan, one function is generated when the plan is built: it reads every
attribute, completes every leaf and returns the object's result in response order, in one call per object.

It answers ``None`` instead when any value needs more than that (a null in a non-null field, a value its leaf
refuses or an attribute that raises): the object is then completed field by field as before, which locates the
error exactly as graphql-core does. Reading an attribute and completing a leaf have no side effects, so trying
first changes nothing.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Inline = Callable[[Any], "dict[str, Any] | None"]


@dataclass(frozen=True, slots=True)
class LeafRead:
    """One field of an inlined object: ``typename`` for ``__typename``, else an attribute and its leaf."""

    key: str
    typename: str | None = None
    attribute: str = ""
    leaf: Callable[[Any], Any] | None = None
    nullable: bool = True
    as_is_str: bool = False
    """Whether a ``str`` value shows as itself (``String``, ``ID``): the leaf's own fast path, inlined."""


def inline_builder(fields: Sequence[LeafRead]) -> Inline | None:
    """The object's generated builder, or ``None`` when an attribute's name cannot be spelled in code."""
    if not fields:
        return None
    namespace: dict[str, Any] = {}
    reads: list[str] = []
    checks: list[str] = []
    entries: list[str] = []
    for index, field in enumerate(fields):
        key = repr(field.key)
        if field.typename is not None:
            entries.append(f"{key}: {field.typename!r}")
            continue
        name = field.attribute
        if not name.isidentifier() or keyword.iskeyword(name) or field.leaf is None:
            return None
        value, leaf = f"v{index}", f"leaf{index}"
        namespace[leaf] = field.leaf
        reads.append(f"        {value} = source.{name}")
        shown = f"{leaf}({value})"
        if field.as_is_str:
            shown = f"({value} if {value}.__class__ is str else {shown})"
        if field.nullable:
            shown = f"(None if {value} is None else {shown})"
        else:
            checks.append(f"{value} is None")
        entries.append(f"{key}: {shown}")
    lines = ["def build(source):", "    try:", *reads]
    if checks:
        lines += [f"        if {' or '.join(checks)}:", "            return None"]
    lines += ["        return {" + ", ".join(entries) + "}", "    except Exception:", "        return None"]
    exec("\n".join(lines), namespace)  # the code is built above from the schema's own names
    build: Inline = namespace["build"]
    return build


__all__ = ["Inline", "LeafRead", "inline_builder"]
