"""Random query documents over the unified schema, for the differential tests: random selections of every type's
fields, aliases (the same field twice with other arguments), inline and named fragments, ``@skip``/``@include``
on variables, arguments from variables and literals, valid and invalid values. Seeded: the same seed, the same
documents."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

from tests import fixtures

ROOTS: dict[str, list[dict[str, Any]]] = {
    # root field → argument sets (literal values; None: a variable of the argument's type)
    "customer": [{"id": fixtures.LI_LEI}, {"id": fixtures.EMMA}, {"id": "not-a-uuid"}, {"id": None}],
    "customers": [
        {"first": 3},
        {"first": 2, "filter": "{hasOpenTickets: true}"},
        {"first": 2, "after": "broken"},
    ],
    "customerByIdentifier": [{"type": "PHONE", "value": "138-0013-8000"}, {"type": "EMAIL", "value": "@@"}],
    "order": [{"id": "900001"}, {"id": "900002"}, {"id": "x"}],
    "orders": [{"first": 3}],
    "ticket": [{"id": "800001"}],
    "tickets": [{"first": 3}],
    "interaction": [{"id": "700001"}, {"id": "700003"}],
    "accounts": [{"first": 2}],
    "identityQuality": [{}],
    "rejectedRecords": [{"first": 2}],
}
SKIPPED_TYPES = {"AuditRecord"}
"""Reading the audit writes to it: two reads in a row never see the same records."""


@dataclass
class Document:
    text: str
    variables: dict[str, Any]
    declarations: dict[str, str] = field(default_factory=dict)


class Generator:
    def __init__(self, schema: GraphQLSchema, seed: int) -> None:
        self.schema = schema
        self.random = random.Random(seed)

    def document(self) -> Document:
        doc = Document("", {})
        self.fragments: list[str] = []
        self.counter = 0
        roots = self.random.sample(sorted(ROOTS), self.random.randint(1, 3))
        query = self.schema.query_type
        assert query is not None
        selections = []
        for name in roots:
            arguments = self.random.choice(ROOTS[name])
            definition = query.fields[name]
            alias = f"r{self.counter}: " if self.random.random() < 0.4 else ""
            self.counter += 1
            args = self.arguments(doc, definition, arguments)
            selections.append(f"{alias}{name}{args}{self.selection(doc, definition, depth=1)}")
        body = " ".join(selections)
        header = ", ".join(f"${name}: {kind}" for name, kind in doc.declarations.items())
        doc.text = f"query Generated{f'({header})' if header else ''} {{ {body} }}" + "".join(
            f" {f}" for f in self.fragments
        )
        return doc

    def arguments(self, doc: Document, definition: GraphQLField, given: dict[str, Any] | None = None) -> str:
        parts = []
        for name, argument in definition.args.items():
            if given is not None and name in given:
                value = given[name]
                if value is None:
                    parts.append(f"{name}: {self.variable(doc, argument, self.value_for(name, argument))}")
                elif isinstance(value, str) and not value.startswith("{") and not _is_enum(argument):
                    parts.append(f'{name}: "{value}"')
                else:
                    parts.append(f"{name}: {value}")
                continue
            if given is not None or isinstance(argument.type, GraphQLNonNull) or self.random.random() < 0.5:
                continue
            literal = self.literal(argument)
            if literal is None:
                continue
            if self.random.random() < 0.3:
                parts.append(f"{name}: {self.variable(doc, argument, self.python_value(argument))}")
            else:
                parts.append(f"{name}: {literal}")
        return f"({', '.join(parts)})" if parts else ""

    def value_for(self, name: str, argument: GraphQLArgument) -> Any:
        return fixtures.LI_LEI if name == "id" else self.python_value(argument)

    def variable(self, doc: Document, argument: GraphQLArgument, value: Any) -> str:
        name = f"v{len(doc.declarations)}"
        doc.declarations[name] = str(argument.type)
        doc.variables[name] = value
        return f"${name}"

    def literal(self, argument: GraphQLArgument) -> str | None:
        named = get_named_type(argument.type)
        is_list = isinstance(argument.type, GraphQLList) or (
            isinstance(argument.type, GraphQLNonNull) and isinstance(argument.type.of_type, GraphQLList)
        )
        if isinstance(named, GraphQLEnumType):
            values = self.random.sample(sorted(named.values), self.random.randint(0 if is_list else 1, 2))
            return f"[{', '.join(values)}]" if is_list else values[0]
        if isinstance(named, GraphQLScalarType):
            if named.name == "Int":
                return str(self.random.choice([0, 1, 2, 3, 5, 500]))
            if named.name == "Boolean":
                return self.random.choice(["true", "false"])
            if named.name == "String" and not is_list:
                return self.random.choice(['"group"', '"zz-nothing"'])
        return None  # input objects, ids, times, cursors: left to their defaults

    def python_value(self, argument: GraphQLArgument) -> Any:
        literal = self.literal(argument)
        if literal is None:
            return None
        if literal in ("true", "false"):
            return literal == "true"
        if literal.startswith("["):
            inner = literal.strip("[]")
            return [v.strip() for v in inner.split(",")] if inner else []
        if literal.isdigit():
            return int(literal)
        return literal.strip('"')

    def selection(self, doc: Document, definition: GraphQLField, depth: int) -> str:
        named = get_named_type(definition.type)
        if isinstance(named, GraphQLUnionType):
            named = self.random.choice(named.types)
            return f" {{ __typename ... on {named.name} {self.fields(doc, named, depth)} }}"
        if not isinstance(named, GraphQLObjectType):
            return ""
        return f" {self.fields(doc, named, depth)}"

    def fields(self, doc: Document, object_type: GraphQLObjectType, depth: int) -> str:
        names = [
            n
            for n, f in object_type.fields.items()
            if get_named_type(f.type).name not in SKIPPED_TYPES
            and not any(
                isinstance(a.type, GraphQLNonNull) and a.default_value is None for a in f.args.values()
            )
            and not isinstance(get_named_type(f.type), GraphQLInputObjectType)
        ]
        leaves = [
            n for n in names if not isinstance(get_named_type(object_type.fields[n].type), GraphQLObjectType)
        ]
        nested = [n for n in names if n not in leaves]
        chosen = self.random.sample(leaves, min(len(leaves), self.random.randint(1, 4)))
        if depth < 4 and nested:
            chosen += self.random.sample(nested, min(len(nested), self.random.randint(0, 2)))
        if not chosen:
            chosen = ["__typename"]
        parts = []
        for name in chosen:
            if name == "__typename":
                parts.append(name)
                continue
            definition = object_type.fields[name]
            head = f"{name}{self.arguments(doc, definition)}"
            tail = self.selection(doc, definition, depth + 1)
            roll = self.random.random()
            if roll < 0.1:
                again = f"{name}{self.arguments(doc, definition)}{self.selection(doc, definition, depth + 1)}"
                text = f"a{self.counter}: {head}{tail} again{self.counter}: {again}"
                self.counter += 1
            elif roll < 0.2:
                variable = f"s{len(doc.declarations)}"
                doc.declarations[variable] = "Boolean!"
                doc.variables[variable] = self.random.random() < 0.5
                text = f"{head} @{self.random.choice(['skip', 'include'])}(if: ${variable}){tail}"
            else:
                text = f"{head}{tail}"
            parts.append(text)
        if self.random.random() < 0.2:
            parts.append("__typename")
        body = " ".join(parts)
        roll = self.random.random()
        if roll < 0.15:
            return f"{{ ... on {object_type.name} {{ {body} }} }}"
        if roll < 0.3:
            name = f"F{len(self.fragments)}{self.counter}"
            self.counter += 1
            self.fragments.append(f"fragment {name} on {object_type.name} {{ {body} }}")
            return f"{{ ...{name} }}"
        return f"{{ {body} }}"


def _is_enum(argument: GraphQLArgument) -> bool:
    return isinstance(get_named_type(argument.type), GraphQLEnumType)
