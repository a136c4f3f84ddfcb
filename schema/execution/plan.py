"""A query's plan: what to call for each field of each object type it selects, and how to complete each value.

A plan is built once per (document, operation, ``@skip``/``@include`` values, roles and row-scope kind) and kept
(``schema/execution/cache.py``): fields are collected with graphql-core's own ``collect_fields`` and
``collect_subfields``, so response keys, their order, merged fields and directives are exactly graphql-core's; the
policy's decisions for the caller's roles are taken here, not per value. At run time (``run.py``) the plan is
walked level by level.

How each field is read (:class:`Read`):

- ``ATTR``: a field without a resolver reads its attribute (strawberry's default resolver);
- ``METHOD``: a synchronous resolver of the object alone (``Connection.nodes``), or of the object and ``info``;
- ``BATCH``: a batch resolver (``subgraphs.kit.batch``), called once per level with every parent;
- ``RESOLVER``: anything else goes through the field's own resolver, exactly as graphql-core calls it (root
  fields, resolvers with arguments that are not batched, federation fields), with the policy's wrapper in it;
- ``TYPENAME``: ``__typename``.

What a plan cannot run raises :class:`Unsupported`, and the operation goes to graphql-core (counted).
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationDefinitionNode,
    Undefined,
    get_named_type,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues
from strawberry.schema.types.base_scalars import isoformat
from strawberry.types.field import StrawberryField

from core.policy import Decision, Policy
from schema.execution.inline import Inline, LeafRead, inline_builder
from schema.policies import GUARD, FieldGuard
from subgraphs.kit.batch import BATCH_KEY, BatchResolver


class Unsupported(Exception):
    """The plan cannot run this operation; graphql-core does (the reason is counted)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Read(enum.IntEnum):
    ATTR = 1
    METHOD = 2
    METHOD_INFO = 3
    BATCH = 4
    RESOLVER = 5
    TYPENAME = 6


class Kind(enum.IntEnum):
    LEAF = 1
    LIST = 2
    OBJECT = 3
    ABSTRACT = 4


@dataclass(slots=True, eq=False)
class TypePlan:
    """How a value of one output type completes: ``nullable`` tells whether a null or an error stops here."""

    kind: Kind
    nullable: bool
    leaf: Callable[[Any], Any] | None = None
    """For leaves: the value as the response shows it (the type's own ``coerce_output_value``, after a fast path
    for values that show as themselves); raises as graphql-core's ``complete_leaf_value`` does."""
    item: TypePlan | None = None
    object: ObjectPlan | None = None
    abstract: GraphQLAbstractType | None = None
    """For unions and interfaces: the type, whose ``resolve_type`` names each value's object type."""
    objects: dict[str, ObjectPlan] | None = None
    """For unions and interfaces: a plan for each possible object type."""


@dataclass(slots=True, eq=False)
class FieldPlan:
    key: str
    name: str
    definition: GraphQLField
    details: list[FieldDetails]
    nodes: list[FieldNode]
    parent_type: GraphQLObjectType
    read: Read
    type: TypePlan
    attribute: str = ""
    """``ATTR``: the attribute read; ``METHOD_INFO``: the name of the resolver's ``info`` parameter."""
    method: Callable[..., Any] | None = None
    batch: BatchResolver[Any] | None = None
    strawberry_field: StrawberryField | None = None
    has_arguments: bool = False
    constant_arguments: dict[str, Any] | None = None
    """The GraphQL arguments when no variable appears in them (coerced once, when the plan is built)."""
    guard: FieldGuard | None = None
    """The field's data class when it is not public and the plan applies its decisions (``ATTR``, ``METHOD``,
    ``BATCH``; a ``RESOLVER`` carries the policy's wrapper itself)."""
    columns: frozenset[str] | None = None
    """For a batch field: the Python names of the fields selected below it (through ``nodes`` and ``edges``)."""
    decision: Decision | None = None
    """The decision for the caller's roles, when it does not depend on the value (every class but identifiers)."""
    audited: bool = False

    @property
    def shown_as_is(self) -> bool:
        """Whether every value shows unmasked and unaudited, whoever owns it (public, or the roles' decision)."""
        return self.guard is None or (self.decision is Decision.ALLOW and not self.audited)


@dataclass(slots=True, eq=False)
class ObjectPlan:
    type: GraphQLObjectType
    fields: list[FieldPlan] = field(default_factory=list)
    keys: tuple[str, ...] = ()
    inline: Inline | None = None
    """When every field is a leaf read as it is: the generated builder of a value's result (``inline.py``)."""


@dataclass(slots=True, eq=False)
class Plan:
    root: ObjectPlan
    batches: int
    """Batch fields in the plan (a figure for the tests and the benchmark)."""
    compiled: bool | None = None
    """Whether its requests run as one statement (``compiled.py``): unknown until the first one tries."""
    statements: dict[Any, Any] = field(default_factory=dict)
    """Its statements (``compiled.Built``) by the fingerprints of their steps, the most recently used last."""


STRAWBERRY = "strawberry-definition"


INT_RANGE = range(-(2**31), 2**31)


def leaf_completer(leaf: GraphQLLeafType) -> Callable[[Any], Any]:
    """A leaf's completion: values a fast path knows show as graphql-core would show them; the rest go through the
    type's ``coerce_output_value`` and graphql-core's check that it gave a value."""
    coerce = leaf.coerce_output_value

    def checked(value: Any) -> Any:
        coerced = coerce(value)
        if coerced is Undefined or coerced is None:
            raise TypeError(
                f"Expected `{leaf}.coerce_output_value({value!r})` to return non-nullable value,"
                f" returned: {coerced!r}"
            )
        return coerced

    if isinstance(leaf, GraphQLEnumType):
        names: dict[Any, str] = {}
        wrapped = getattr(leaf, "wrapped_cls", None)
        for name, definition in leaf.values.items():
            names[definition.value] = name
            if wrapped is not None and isinstance(definition.value, wrapped):
                names.setdefault(definition.value.value, name)

        def enum(value: Any) -> Any:
            try:
                return names[value]
            except (KeyError, TypeError):
                return checked(value)

        return enum
    if coerce is str or coerce is isoformat:
        return (
            coerce  # Decimal, UUID, DateTime, Date: never ``None`` for a value; raising as ``checked`` would
        )
    name = leaf.name if isinstance(leaf, GraphQLScalarType) else ""
    if name == "ID":  # graphql-core's ``serialize_id``: an int shows as its decimal digits
        return lambda value: (
            value if type(value) is str else str(value) if type(value) is int else checked(value)
        )
    if name == "String":
        return lambda value: value if type(value) is str else checked(value)
    if name == "Int":
        return lambda value: value if type(value) is int and value in INT_RANGE else checked(value)
    if name == "Boolean":
        return lambda value: value if type(value) is bool else checked(value)
    return checked


def _leaf_plan(leaf: GraphQLLeafType, nullable: bool) -> TypePlan:
    return TypePlan(Kind.LEAF, nullable, leaf=leaf_completer(leaf))


def _columns(type_plan: TypePlan) -> frozenset[str] | None:
    """The Python names of the fields selected on the object a batch field returns, and on its connection's nodes."""
    while type_plan.kind is Kind.LIST:
        assert type_plan.item is not None
        type_plan = type_plan.item
    if type_plan.object is None:
        return None
    names: set[str] = set()

    def add(object_plan: ObjectPlan) -> None:
        for field_plan in object_plan.fields:
            definition = field_plan.definition.extensions.get(STRAWBERRY)
            if isinstance(definition, StrawberryField):
                names.add(definition.python_name)

    add(type_plan.object)
    for field_plan in type_plan.object.fields:
        if field_plan.name in ("nodes", "edges"):
            inner = field_plan.type
            while inner.kind is Kind.LIST and inner.item is not None:
                inner = inner.item
            if inner.object is not None:
                add(inner.object)
                for edge_field in inner.object.fields:
                    if edge_field.name == "node" and edge_field.type.object is not None:
                        add(edge_field.type.object)
    return frozenset(names)


class Planner:
    """Builds plans for one schema and its policy. Batch resolvers take Python arguments: the strawberry schema's
    scalars and configuration convert them, and its ``Info`` class is what resolvers taking ``info`` receive."""

    def __init__(
        self, schema: GraphQLSchema, policy: Policy | None, scalars: Any, config: Any, info_class: Any
    ) -> None:
        self.schema = schema
        self.policy = policy
        self.scalars = scalars
        self.config = config
        self.info_class = info_class

    def build(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDetails],
        variables: VariableValues,
        principal: Any,
    ) -> Plan:
        root_type = self.schema.get_root_type(operation.operation)
        if root_type is None:
            raise Unsupported("no root type")
        grouped, _, _ = collect_fields(self.schema, fragments, variables, root_type, operation)
        builder = _Builder(self, fragments, variables, operation, principal)
        root = builder.object_plan(root_type, grouped)
        return Plan(root, builder.batches)


class _Builder:
    def __init__(
        self,
        planner: Planner,
        fragments: dict[str, FragmentDetails],
        variables: VariableValues,
        operation: OperationDefinitionNode,
        principal: Any,
    ) -> None:
        self.planner = planner
        self.fragments = fragments
        self.variables = variables
        self.operation = operation
        self.principal = principal
        self.batches = 0

    def object_plan(
        self, object_type: GraphQLObjectType, grouped: Mapping[str, list[FieldDetails]]
    ) -> ObjectPlan:
        plan = ObjectPlan(object_type)
        for key, details in grouped.items():
            plan.fields.append(self.field_plan(object_type, key, details))
        plan.keys = tuple(f.key for f in plan.fields)
        plan.inline = _inline(plan)
        return plan

    def field_plan(self, parent: GraphQLObjectType, key: str, details: list[FieldDetails]) -> FieldPlan:
        node = details[0].node
        name = node.name.value
        nodes = [d.node for d in details]
        if any(d.fragment_variable_values is not None for d in details):
            raise Unsupported("fragment arguments")
        if name == "__typename":
            definition = self.planner.schema.get_field(parent, name)
            assert definition is not None
            return FieldPlan(
                key, name, definition, details, nodes, parent, Read.TYPENAME, TypePlan(Kind.LEAF, False)
            )
        if name.startswith("__"):
            raise Unsupported("introspection")
        definition = self.planner.schema.get_field(parent, name)
        if definition is None:
            raise Unsupported(f"unknown field {parent.name}.{name}")
        type_plan = self.type_plan(definition.type, details)
        plan = FieldPlan(key, name, definition, details, nodes, parent, Read.RESOLVER, type_plan)
        plan.has_arguments = bool(definition.args) or bool(node.arguments)
        if plan.has_arguments and not uses_variables(node):
            plan.constant_arguments = self.constant_arguments(definition, node)
        self.choose_read(plan)
        return plan

    def constant_arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any] | None:
        from graphql.execution.values import get_argument_values

        try:
            arguments = get_argument_values(definition, node, self.variables)
        except Exception:  # coerced again per request, where the error belongs to each parent
            return None
        # Kept only when nothing in them can be changed: a resolver may change what it is given (federation's
        # `_entities` takes `__typename` out of each representation), and graphql-core gives each call its own.
        immutable = all(
            isinstance(v, str | int | float | bool | enum.Enum) or v is None for v in arguments.values()
        )
        return arguments if immutable else None

    def choose_read(self, plan: FieldPlan) -> None:
        definition = plan.definition
        strawberry_field = definition.extensions.get(STRAWBERRY)
        if not isinstance(strawberry_field, StrawberryField) or strawberry_field.extensions:
            return  # RESOLVER: the field's own resolver, as graphql-core calls it
        plan.strawberry_field = strawberry_field
        guard = definition.extensions.get(GUARD)
        batch = strawberry_field.metadata.get(BATCH_KEY)
        resolver = strawberry_field.base_resolver
        if isinstance(batch, BatchResolver):
            plan.read, plan.batch = Read.BATCH, batch
            plan.columns = _columns(plan.type)
            self.batches += 1
        elif resolver is None:
            plan.read, plan.attribute = Read.ATTR, strawberry_field.python_name
        elif (
            not resolver.is_async
            and not resolver.arguments
            and resolver.self_parameter is not None
            and resolver.parent_parameter is None
            and resolver.root_parameter is None
            and inspect.isfunction(resolver.wrapped_func)
            and not inspect.isgeneratorfunction(resolver.wrapped_func)
        ):
            plan.method = resolver.wrapped_func
            if resolver.info_parameter is None:
                plan.read = Read.METHOD
            else:
                plan.read, plan.attribute = Read.METHOD_INFO, resolver.info_parameter.name
        else:
            return
        plan.strawberry_field = strawberry_field
        if isinstance(guard, FieldGuard):
            self.apply_guard(plan, guard)

    def apply_guard(self, plan: FieldPlan, guard: FieldGuard) -> None:
        policy = self.planner.policy
        if policy is None:
            raise Unsupported("a classified field without a policy")
        plan.guard = guard
        if guard.data_class != "identifier":
            _, _, plan.decision = guard.decide(policy, self.principal, None)
            plan.audited = guard.data_class in policy.audited

    def type_plan(self, output: GraphQLOutputType, details: list[FieldDetails]) -> TypePlan:
        nullable = True
        if isinstance(output, GraphQLNonNull):
            nullable, output = False, output.of_type
        if isinstance(output, GraphQLList):
            return TypePlan(Kind.LIST, nullable, item=self.type_plan(output.of_type, details))
        if isinstance(output, GraphQLScalarType | GraphQLEnumType):
            return _leaf_plan(output, nullable)
        if isinstance(output, GraphQLUnionType | GraphQLInterfaceType):
            objects = {
                possible.name: self.subfields(possible, details)
                for possible in self.planner.schema.get_possible_types(output)
            }
            return TypePlan(Kind.ABSTRACT, nullable, abstract=output, objects=objects)
        assert isinstance(output, GraphQLObjectType)
        return TypePlan(Kind.OBJECT, nullable, object=self.subfields(output, details))

    def subfields(self, object_type: GraphQLObjectType, details: list[FieldDetails]) -> ObjectPlan:
        grouped, _, _ = collect_subfields(
            self.planner.schema, self.fragments, self.variables, self.operation, object_type, details
        )
        return self.object_plan(object_type, grouped)


def _inline(plan: ObjectPlan) -> Inline | None:
    """The object's generated builder when each of its fields is ``__typename`` or an attribute of a leaf type that
    is public or that the caller's roles read unmasked and unaudited (a decision the plan took once)."""
    if plan.type.is_type_of is not None:
        return None
    reads: list[LeafRead] = []
    for field_plan in plan.fields:
        if field_plan.read is Read.TYPENAME:
            reads.append(LeafRead(field_plan.key, typename=field_plan.parent_type.name))
            continue
        type_plan = field_plan.type
        if field_plan.read is not Read.ATTR or type_plan.kind is not Kind.LEAF or not field_plan.shown_as_is:
            return None
        named = get_named_type(field_plan.definition.type)
        reads.append(
            LeafRead(
                field_plan.key,
                attribute=field_plan.attribute,
                leaf=type_plan.leaf,
                nullable=type_plan.nullable,
                as_is_str=isinstance(named, GraphQLScalarType) and named.name in ("String", "ID"),
            )
        )
    return inline_builder(reads)


def uses_variables(node: FieldNode) -> bool:
    """Whether a variable appears in the field's arguments (otherwise they are the same for every request)."""
    from graphql import VariableNode, visit
    from graphql.language import Visitor

    class Finder(Visitor):
        found = False

        def enter_variable(self, _node: VariableNode, *_args: Any) -> Any:
            self.found = True
            return self.BREAK

    finder = Finder()
    for argument in node.arguments or ():
        visit(argument, finder)
    return finder.found


def skip_include_variables(
    operation: OperationDefinitionNode, fragments: Mapping[str, Any]
) -> tuple[str, ...]:
    """Names of the variables that ``@skip`` and ``@include`` read in ``operation`` and its fragments: their values
    decide which fields a plan holds, so they are part of its key."""
    from graphql import DirectiveNode, VariableNode, visit
    from graphql.language import Visitor

    names: set[str] = set()

    class Finder(Visitor):
        def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
            if node.name.value in ("skip", "include"):
                for argument in node.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)

    visit(operation, Finder())
    for fragment in fragments.values():
        visit(fragment.definition, Finder())
    return tuple(sorted(names))


__all__ = [
    "FieldPlan",
    "Kind",
    "ObjectPlan",
    "Plan",
    "Planner",
    "Read",
    "TypePlan",
    "Undefined",
    "Unsupported",
    "skip_include_variables",
    "uses_variables",
]
