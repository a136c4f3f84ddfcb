"""Generated documents that select every field reachable from a root field, for the policy matrix."""

from __future__ import annotations

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.pyutils import Undefined


def _selection(schema: GraphQLSchema, gtype: GraphQLObjectType, depth: int) -> str:
    parts = []
    for name, field in gtype.fields.items():
        if name.startswith("_") or _required(field):
            continue
        named = get_named_type(field.type)
        if is_leaf_type(named):
            parts.append(name)
        elif isinstance(named, GraphQLObjectType) and depth > 0:
            inner = _selection(schema, named, depth - 1)
            if inner:
                args = "(first: 2)" if "first" in field.args else ""
                parts.append(f"{name}{args} {{ {inner} }}")
    return " ".join(parts)


def _required(field: GraphQLField) -> bool:
    return any(is_non_null_type(a.type) and a.default_value is Undefined for a in field.args.values())


def every_field(schema: GraphQLSchema, type_name: str, depth: int) -> str:
    gtype = schema.type_map[type_name]
    assert isinstance(gtype, GraphQLObjectType)
    return _selection(schema, gtype, depth)
