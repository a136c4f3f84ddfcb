"""The access policy applied to a built schema, once, in one place: each root field's resolver is wrapped with its
role check, so refusing costs one set intersection per root field and nothing per nested field.

A root field the policy file does not list makes the schema fail to build: no operation exists unguarded.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema, default_field_resolver

from core.errors import Forbidden
from core.policy import ANY, Policy


def _guarded(field: GraphQLField, name: str, policy: Policy) -> Any:
    resolve = field.resolve or default_field_resolver
    needed = ", ".join(sorted(policy.operations[name]))
    field_name = name.split(".", 1)[1]

    open_to_all = ANY in policy.operations[name]

    def guarded(root: Any, info: GraphQLResolveInfo[Any], /, **arguments: Any) -> Any:
        # Every request carries a verified principal (app.py refuses it otherwise); in-process execution
        # without a context (the SDL printers) reaches only what is open to every caller.
        principal = getattr(info.context, "principal", None)
        if not open_to_all and (principal is None or not policy.allows(name, principal.roles)):
            raise Forbidden(f"`{field_name}` is not allowed for your roles; it needs one of: {needed}")
        return resolve(root, info, **arguments)

    return guarded


def guard_operations(schema: GraphQLSchema, policy: Policy) -> None:
    """Wrap every root query and mutation field of ``schema`` with the roles the policy gives it."""
    roots: list[GraphQLObjectType] = [t for t in (schema.query_type, schema.mutation_type) if t is not None]
    missing = [
        f"{root.name}.{name}"
        for root in roots
        for name in root.fields
        if f"{root.name}.{name}" not in policy.operations
    ]
    if missing:
        raise ValueError(f"the policy file lists no roles for: {', '.join(missing)}")
    for root in roots:
        for name, field in root.fields.items():
            field.resolve = _guarded(field, f"{root.name}.{name}", policy)
