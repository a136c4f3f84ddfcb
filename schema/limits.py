"""Query limits in one validation rule whose work grows with the document's length, not with its expansion.

A document can nest fragment spreads so that a few hundred tokens expand to billions of fields
(``fragment F1 on Query { ...F0 ...F0 }`` and so on). Limiters that walk every path through the spreads take
seconds on such a document while the event loop waits. This rule measures each fragment definition once, keeps
its measures, and adds them up wherever the fragment is spread, so the expanded numbers are exact and their cost
is one pass over the text.

Measured per operation, with fragments expanded:

- **depth**: fields above the deepest field (``{ customers { totalCount } }`` has depth 1); introspection fields
  (``__schema``, ``__type``) and what they select do not count, so GraphiQL's introspection query passes;
- **aliases**, **fields**, **fragment spreads** and **directives**: how many the expanded operation holds;
- **cost**: an estimate of the fields the operation resolves. Each field costs one, times the sizes of the lists
  above it. A list's size is its field's ``first`` argument (or the ``first`` of the connection field it is the
  ``nodes`` or ``edges`` of): a literal counts as itself (at most the maximum page size, which the resolvers
  enforce), a variable as the maximum page size, a missing argument as the schema's default. A list without
  ``first`` counts ``list_size`` items.

Unknown and cyclic fragments count as empty: graphql-core's ``KnownFragmentNames`` and ``NoFragmentCycles`` rules
report them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    StringValueNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
)
from graphql.validation.validate import ValidationAbortedError

from core.settings import Settings

META_FIELDS = {
    "__typename": TypeNameMetaFieldDef,
    "__schema": SchemaMetaFieldDef,
    "__type": TypeMetaFieldDef,
}
PAGE_ARGUMENT = "first"
MESSAGES = {
    "QUERY_TOO_DEEP": "Operation {name} exceeds maximum operation depth: depth {value}, the limit is {limit}.",
    "TOO_MANY_ALIASES": "Operation {name}: {value} aliases found, the limit is {limit}.",
    "TOO_MANY_FIELDS": "Operation {name}: {value} fields found with fragments expanded, the limit is {limit}.",
    "TOO_MANY_FRAGMENT_SPREADS": (
        "Operation {name}: {value} fragment spreads found with fragments expanded, the limit is {limit}."
    ),
    "TOO_MANY_DIRECTIVES": "Operation {name}: {value} directives found, the limit is {limit}.",
    "QUERY_TOO_COMPLEX": "Operation {name} is too complex: estimated cost {value}, the limit is {limit}.",
}
"""Each limit's error, by its ``extensions.code``."""


@dataclass(frozen=True, slots=True)
class Limits:
    """The numbers an operation may reach; a measure above its limit refuses the whole document."""

    max_depth: int
    max_cost: int
    max_aliases: int
    max_fields: int
    max_fragment_spreads: int
    max_directives: int
    max_page_size: int
    list_size: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_depth=settings.max_query_depth,
            max_cost=settings.max_query_cost,
            max_aliases=settings.max_aliases,
            max_fields=settings.max_fields,
            max_fragment_spreads=settings.max_fragment_spreads,
            max_directives=settings.max_directives,
            max_page_size=settings.max_page_size,
            list_size=settings.query_cost_list_size,
        )


@dataclass(slots=True)
class Measure:
    """What a selection set adds up to. Its cost is ``fixed + per_item * size``, where ``size`` is the page size
    of the connection it is selected on (its ``nodes`` and ``edges`` are the lists that page sizes), or the default
    list size elsewhere: kept apart, a fragment's measure does not depend on where it is spread."""

    depth: int = 0
    aliases: int = 0
    fields: int = 0
    spreads: int = 0
    directives: int = 0
    fixed: int = 0
    per_item: int = 0

    def add(self, other: Measure) -> None:
        """Selections side by side: counts add up, the depth is the deepest."""
        self.depth = max(self.depth, other.depth)
        self.aliases += other.aliases
        self.fields += other.fields
        self.spreads += other.spreads
        self.directives += other.directives
        self.fixed += other.fixed
        self.per_item += other.per_item

    def cost(self, page: int) -> int:
        return self.fixed + self.per_item * page


class DocumentMeasure:
    """Measures a document's operations; each fragment definition is measured once (``visits`` counts them)."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, limits: Limits) -> None:
        self.schema = schema
        self.limits = limits
        self.fragments: dict[str, FragmentDefinitionNode] = {}
        self.operations: list[OperationDefinitionNode] = []
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self.fragments.setdefault(definition.name.value, definition)
            elif isinstance(definition, OperationDefinitionNode):
                self.operations.append(definition)
        self.memo: dict[str, Measure] = {}
        self.visits: Counter[str] = Counter()
        for name in self._dependency_order():
            self.visits[name] += 1
            self.memo[name] = self._fragment(self.fragments[name])

    def measures(self) -> Iterator[tuple[OperationDefinitionNode, Measure]]:
        for operation in self.operations:
            root = self.schema.get_root_type(operation.operation)
            measure = self._selections(operation.selection_set, root)
            measure.directives += len(operation.directives or ())
            yield operation, measure

    def errors(self) -> Iterator[GraphQLError]:
        """One error per measure above its limit, per operation: depth first, cost last."""
        limits = self.limits
        for operation, m in self.measures():
            name = repr(operation.name.value) if operation.name else "'anonymous'"
            checks = (
                ("QUERY_TOO_DEEP", "depth", m.depth, limits.max_depth),
                ("TOO_MANY_ALIASES", "aliases", m.aliases, limits.max_aliases),
                ("TOO_MANY_FIELDS", "fields", m.fields, limits.max_fields),
                ("TOO_MANY_FRAGMENT_SPREADS", "fragmentSpreads", m.spreads, limits.max_fragment_spreads),
                ("TOO_MANY_DIRECTIVES", "directives", m.directives, limits.max_directives),
                ("QUERY_TOO_COMPLEX", "cost", m.cost(limits.list_size), limits.max_cost),
            )
            for code, key, value, limit in checks:
                if value > limit:
                    message = MESSAGES[code].format(name=name, value=value, limit=limit)
                    yield GraphQLError(
                        message, operation, extensions={"code": code, key: value, "limit": limit}
                    )

    def _dependency_order(self) -> list[str]:
        """Fragments in an order where each comes after the fragments it spreads; a spread that closes a cycle is
        left out (graphql-core reports the cycle). Iterative, so long chains of fragments cannot overflow the
        stack."""
        spreads = {name: _spread_names(f.selection_set) for name, f in self.fragments.items()}
        order: list[str] = []
        state: dict[str, bool] = {}  # False: on the current path, True: done
        for start in self.fragments:
            if start in state:
                continue
            state[start] = False
            stack = [(start, iter(spreads[start]))]
            while stack:
                name, pending = stack[-1]
                for child in pending:
                    if child in self.fragments and child not in state:
                        state[child] = False
                        stack.append((child, iter(spreads[child])))
                        break
                else:
                    stack.pop()
                    state[name] = True
                    order.append(name)
        return order

    def _fragment(self, fragment: FragmentDefinitionNode) -> Measure:
        on = self.schema.get_type(fragment.type_condition.name.value)
        measure = self._selections(fragment.selection_set, on if is_composite_type(on) else None)
        measure.directives += len(fragment.directives or ())
        return measure

    def _selections(self, selection_set: SelectionSetNode, parent: Any) -> Measure:
        total = Measure()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total.add(self._field(selection, parent))
            elif isinstance(selection, FragmentSpreadNode):
                total.spreads += 1
                total.directives += len(selection.directives or ())
                fragment = self.memo.get(selection.name.value)
                if fragment is not None:  # unknown, or the spread that closes a cycle: nothing to add
                    total.add(fragment)
            elif isinstance(selection, InlineFragmentNode):
                on = parent
                if selection.type_condition is not None:
                    named = self.schema.get_type(selection.type_condition.name.value)
                    on = named if is_composite_type(named) else None
                inline = self._selections(selection.selection_set, on)
                inline.directives += len(selection.directives or ())
                total.add(inline)
        return total

    def _field(self, node: FieldNode, parent: GraphQLCompositeType | None) -> Measure:
        name = node.name.value
        definition = _field_definition(parent, name)
        child_type = get_named_type(definition.type) if definition is not None else None
        if node.selection_set is not None:
            child = self._selections(
                node.selection_set, child_type if is_composite_type(child_type) else None
            )
        else:
            child = Measure()
        introspection = name.startswith("__")
        measure = Measure(
            depth=0 if introspection or node.selection_set is None else 1 + child.depth,
            aliases=child.aliases + (node.alias is not None),
            fields=child.fields + 1,
            spreads=child.spreads,
            directives=child.directives + len(node.directives or ()),
        )
        page = self._page_size(node, definition) if definition is not None else None
        if definition is not None and is_list_type(get_nullable_type(definition.type)):
            if page is not None:
                measure.fixed = 1 + page * child.cost(self.limits.list_size)
            else:  # sized by the connection it belongs to, else the default list size
                measure.fixed = 1
                measure.per_item = child.cost(self.limits.list_size)
        else:
            measure.fixed = 1 + child.cost(page if page is not None else self.limits.list_size)
        return measure

    def _page_size(self, node: FieldNode, definition: GraphQLField) -> int | None:
        """The ``first`` a field is asked for, when the field takes one."""
        argument = definition.args.get(PAGE_ARGUMENT)
        if argument is None:
            return None
        maximum = self.limits.max_page_size
        for given in node.arguments or ():
            if given.name.value == PAGE_ARGUMENT:
                if isinstance(given.value, IntValueNode):
                    return max(0, min(int(given.value.value), maximum))
                return maximum  # a variable (or a wrong literal, which another rule reports)
        default = argument.default_value
        return max(0, min(default, maximum)) if isinstance(default, int) else maximum


def _field_definition(parent: GraphQLCompositeType | None, name: str) -> GraphQLField | None:
    meta: GraphQLField | None = META_FIELDS.get(name)
    if meta is not None:
        return meta
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        field: GraphQLField | None = parent.fields.get(name)
        return field
    return None


def _spread_names(selection_set: SelectionSetNode) -> list[str]:
    """The fragments a selection set spreads, at any depth, each name once."""
    names: dict[str, None] = {}
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names[selection.name.value] = None
            elif selection.selection_set is not None:  # type: ignore[attr-defined]
                stack.append(selection.selection_set)  # type: ignore[attr-defined]
    return list(names)


def limits_rule(limits: Limits) -> type[ValidationRule]:
    """A rule class for these limits. Build it once: validation caches key on the rule classes."""

    class QueryLimitsRule(ValidationRule):
        """Measures the document as validation starts. A document over a limit ends validation there: the other
        rules have nothing to add to a refusal, and some of them take long on large selections (graphql-core's
        ``OverlappingFieldsCanBeMergedRule`` compares same-named fields pairwise). graphql-core ends validation
        on a raised ``ValidationAbortedError`` and returns it after the errors reported before it, so the last
        limit error is raised as one."""

        LIMITS = limits

        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            errors = list(DocumentMeasure(self.context.schema, node, limits).errors())
            if errors:
                *reported, last = errors
                for error in reported:
                    self.report_error(error)
                raise ValidationAbortedError(last.message, last.nodes, extensions=last.extensions)

    return QueryLimitsRule


def string_literals_rule(max_length: int) -> type[ValidationRule]:
    """String literals of a document: at most ``max_length`` characters and no NUL (PostgreSQL text cannot hold
    one). A long literal is cheap to parse but expensive to run (a 255 KiB name filter cost 3 s of database
    time); variables are held to the same bounds when the request body is read."""

    class StringLiteralsRule(ValidationRule):
        def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
            if len(node.value) > max_length:
                self.report_error(
                    GraphQLError(
                        f"String literal of {len(node.value)} characters: the limit is {max_length}.",
                        node,
                        extensions={
                            "code": "STRING_TOO_LONG",
                            "length": len(node.value),
                            "limit": max_length,
                        },
                    )
                )
            elif "\x00" in node.value:
                self.report_error(
                    GraphQLError(
                        "Strings may not contain the NUL character.",
                        node,
                        extensions={"code": "BAD_USER_INPUT"},
                    )
                )

    return StringLiteralsRule
