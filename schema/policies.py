"""The access policy applied to a built schema, once, in one place.

Each root field's resolver is wrapped with its role check; each field whose data class is not public is wrapped
with its show/mask/withhold decision. Public fields are left as they are, so they cost nothing; a classified field
costs one cached dictionary look-up (no async hook per field). A value of a class the audit covers that is shown
unmasked is noted in the request's audit notes with its customer and its path (one list append); the request's
record is written after execution (``schema/audit.py``). A root field missing from the policy file, a field
without a data class, or a type with audited fields that does not say whose they are makes the schema fail to
build.
"""

from __future__ import annotations

import inspect
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    default_field_resolver,
)
from graphql.pyutils import Path

from core import masking
from core.errors import Forbidden
from core.policy import ANY, Decision, Policy
from subgraphs.kit.audit import AuditNotes
from subgraphs.kit.classes import ATTRIBUTE, IDENTIFIER_CLASSES, OWNER, identifier_class

GUARD = "c360-guard"
"""Where a classified field keeps its :class:`FieldGuard` (``GraphQLField.extensions``)."""
OPERATION = "c360-operation"
"""Where a root field keeps its name in the policy file's ``[operations]``."""


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


def _guarded_stream(field: GraphQLField, name: str, policy: Policy) -> Any:
    subscribe = field.subscribe
    assert subscribe is not None, f"{name} has no stream"
    needed = ", ".join(sorted(policy.operations[name]))
    field_name = name.split(".", 1)[1]

    def guarded(root: Any, info: GraphQLResolveInfo[Any], /, **arguments: Any) -> Any:
        principal = getattr(info.context, "principal", None)
        if ANY not in policy.operations[name] and (
            principal is None or not policy.allows(name, principal.roles)
        ):
            raise Forbidden(f"`{field_name}` is not allowed for your roles; it needs one of: {needed}")
        return subscribe(root, info, **arguments)

    return guarded


def guard_operations(schema: GraphQLSchema, policy: Policy) -> None:
    """Wrap every root query and mutation field of ``schema`` with the roles the policy gives it, and every
    subscription field's ``subscribe`` (its stream), so a refused subscription never starts."""
    roots: list[GraphQLObjectType] = [
        t for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t is not None
    ]
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
            if root is schema.subscription_type:
                field.subscribe = _guarded_stream(field, f"{root.name}.{name}", policy)
                continue
            field.resolve = _guarded(field, f"{root.name}.{name}", policy)
            field.extensions = {**field.extensions, OPERATION: f"{root.name}.{name}"}
            if root is schema.query_type and ANY not in policy.operations[f"{root.name}.{name}"]:
                field.type = nullable(field.type)  # one refused root field leaves the others' data


def field_class(field: GraphQLField) -> tuple[str, str] | None:
    """A field's (data class, mask) from its own metadata or its declaring type's default; None if it has none."""
    definition = field.extensions.get("strawberry-definition")
    if definition is None:
        return None
    own = definition.metadata.get("data_class")
    if own is not None:
        return own, definition.metadata.get("mask", "text")
    default = getattr(definition.origin, ATTRIBUTE, None)
    return (default, "text") if default is not None else None


def masked(value: Any, mask: str) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return masking.MASKS[mask](value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [masking.MASKS[mask](v) for v in value]
    raise Forbidden("This value is withheld from your roles (it cannot be shown masked)")


Owner = Callable[[Any], Any]
"""Reads the customer id (or ids) of an object whose fields are personal data; see ``subgraphs.kit.classes``."""


@dataclass(frozen=True, slots=True)
class FieldGuard:
    """What the policy says of one classified field, kept on the field (``field.extensions[GUARD]``) so that the
    planned executor applies the same decisions at plan time that the wrapped resolver applies per call."""

    data_class: str
    mask: str
    owner: Owner | None

    def decide(self, policy: Policy, principal: Any, root: Any) -> tuple[str, str, Decision]:
        """The value's data class (an identifier's follows its type), its mask, and what ``principal`` may see."""
        kind, how = self.data_class, self.mask
        if kind == "identifier":
            identifier_type = getattr(root, "type", None)
            kind, how = identifier_class(
                identifier_type.value if isinstance(identifier_type, Enum) else str(identifier_type)
            )
        decision = policy.decide(principal.roles, kind) if principal is not None else Decision.ALLOW
        return kind, how, decision


def withheld(field_name: str, kind: str) -> Forbidden:
    return Forbidden(f"`{field_name}` ({kind.replace('_', ' ')}) is withheld from your roles")


def _field_guard(resolve: Callable[..., Any], guard: FieldGuard, policy: Policy) -> Callable[..., Any]:
    audited = policy.audited
    owner = guard.owner

    def guarded(root: Any, info: GraphQLResolveInfo[Any], /, **arguments: Any) -> Any:
        principal = getattr(info.context, "principal", None)
        kind, how, decision = guard.decide(policy, principal, root)
        if decision is Decision.ALLOW:
            value = resolve(root, info, **arguments)
            if kind in audited and value is not None:
                notes: AuditNotes | None = getattr(info.context, "audit", None)
                if notes is not None:
                    customer = owner(root) if owner is not None else None
                    if inspect.isawaitable(value):
                        return _note_later(value, notes, kind, customer, info.path)
                    notes.read(kind, customer, info.path)
            return value
        if decision is Decision.DENY:
            raise withheld(info.field_name, kind)
        value = resolve(root, info, **arguments)
        if inspect.isawaitable(value):
            return _mask_later(value, how)
        return masked(value, how)

    return guarded


async def _mask_later(value: Awaitable[Any], mask: str) -> Any:
    return masked(await value, mask)


async def _note_later(value: Awaitable[Any], notes: AuditNotes, kind: str, customer: Any, path: Path) -> Any:
    shown = await value
    if shown is not None:
        notes.read(kind, customer, path)
    return shown


def _owner(gtype: GraphQLNamedType) -> tuple[bool, Owner | None]:
    """Whether ``gtype`` says whose data its objects hold, and how to read it (``None``: no customer's)."""
    definition = gtype.extensions.get("strawberry-definition")
    origin = getattr(definition, "origin", None)
    if not hasattr(origin, OWNER):
        return False, None
    attribute = getattr(origin, OWNER)
    return True, operator.attrgetter(attribute) if attribute is not None else None


def may_be_audited(data_class: str, policy: Policy) -> bool:
    """Whether a field of ``data_class`` may hold values the audit covers (an identifier's class follows its type)."""
    if data_class == "identifier":
        return any(c in policy.audited for c, _ in IDENTIFIER_CLASSES.values())
    return data_class in policy.audited


def guard_fields(schema: GraphQLSchema, policy: Policy) -> None:
    """Wrap every classified, non-public field of ``schema`` with its decision (and its audit note); fail on an
    unclassified field and on a type with audited fields that does not say whose data it holds."""
    unclassified = []
    ownerless = []
    for type_name, gtype in schema.type_map.items():
        if (
            not isinstance(gtype, GraphQLObjectType)
            or type_name.startswith("_")
            or gtype
            in (
                schema.query_type,
                schema.mutation_type,
                schema.subscription_type,
            )
        ):
            continue
        declared, owner = _owner(gtype)
        for name, field in gtype.fields.items():
            found = field_class(field)
            if found is None:
                unclassified.append(f"{type_name}.{name}")
                continue
            data_class, mask = found
            if data_class != "public":
                if not declared and may_be_audited(data_class, policy):
                    ownerless.append(f"{type_name}.{name}")
                guard = FieldGuard(data_class, mask, owner)
                field.resolve = _field_guard(field.resolve or default_field_resolver, guard, policy)
                field.extensions = {**field.extensions, GUARD: guard}
                field.type = nullable(field.type)
    if unclassified:
        raise ValueError(f"fields without a data class: {', '.join(unclassified)}")
    if ownerless:
        raise ValueError(
            f"audited fields of types that do not say whose data they hold (@owned_by): {', '.join(ownerless)}"
        )


def nullable(output: GraphQLOutputType) -> GraphQLOutputType:
    """A field that may be withheld must be nullable, so withholding it nulls only itself, never its parent."""
    return output.of_type if isinstance(output, GraphQLNonNull) else output


def declare_for_gateways(schema: GraphQLSchema, policy: Policy) -> None:
    """Federation's own access directives on the strawberry definitions behind ``schema``, so a gateway can enforce
    what the subgraphs enforce themselves: ``@authenticated`` and ``@policy([["role:<name>"], …])`` on each root
    field, ``@policy([["class:<data class>"]])`` on each classified field. Idempotent; the unified schema prints
    no applied directive, so only the subgraph SDLs show them."""
    from strawberry.federation.schema_directives import Authenticated
    from strawberry.federation.schema_directives import Policy as PolicyDirective

    def add(field: GraphQLField, *directives: object) -> None:
        definition = field.extensions.get("strawberry-definition")
        if definition is None:
            return
        have = {type(d).__name__ for d in definition.directives}
        definition.directives.extend(d for d in directives if type(d).__name__ not in have)

    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        if root is None:
            continue
        for name, field in root.fields.items():
            roles = policy.operations.get(f"{root.name}.{name}", frozenset())
            if name.startswith("_") or ANY in roles:
                continue
            add(field, Authenticated(), PolicyDirective(policies=[[f"role:{r}"] for r in sorted(roles)]))
    for type_name, gtype in schema.type_map.items():
        if (
            not isinstance(gtype, GraphQLObjectType)
            or type_name.startswith("_")
            or gtype
            in (
                schema.query_type,
                schema.mutation_type,
                schema.subscription_type,
            )
        ):
            continue
        for field in gtype.fields.values():
            found = field_class(field)
            if found is not None and found[0] != "public":
                add(field, PolicyDirective(policies=[[f"class:{found[0]}"]]))
