"""The unified schema is assembled from every subgraph, fully documented, and free of name clashes."""

from __future__ import annotations

import importlib
import inspect
import tomllib
from collections import Counter

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLSchema

from core.settings import PROJECT_ROOT, Settings
from schema import PARTS, subgraph_schema, unified_schema

FEDERATION_TYPES = {"_Service", "_Entity", "_Any"}


def _graphql(settings: Settings) -> GraphQLSchema:
    return unified_schema(settings)._schema


def test_customer_has_the_fields_of_every_subgraph() -> None:
    settings = Settings(_env_file=None)
    customer = _graphql(settings).type_map["Customer"]
    assert isinstance(customer, GraphQLObjectType)
    for name in PARTS:
        sub = subgraph_schema(name, settings)._schema.type_map["Customer"]
        assert isinstance(sub, GraphQLObjectType)
        assert set(sub.fields) <= set(customer.fields), name
    assert {
        "fullName",
        "identifiers",
        "orders",
        "lifetimeValue",
        "tickets",
        "openTicketCount",
        "interactions",
    } <= set(customer.fields)


def test_every_type_and_field_is_described() -> None:
    missing = []
    for name, gtype in _graphql(Settings(_env_file=None)).type_map.items():
        if (
            name.startswith("__")
            or name in FEDERATION_TYPES
            or name in {"String", "Int", "Boolean", "ID", "Float"}
        ):
            continue
        if not gtype.description:
            missing.append(name)
        if isinstance(gtype, GraphQLObjectType | GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, field in gtype.fields.items() if not field.description]
    assert missing == []


def _undescribed_arguments_and_enum_values(schema: GraphQLSchema) -> list[str]:
    """Arguments of object fields and enum values without a description; federation's own (``_service``,
    ``_entities``, ``link__Purpose`` and other ``_``-prefixed or ``link__`` names) are strawberry's, not ours."""
    missing = []
    for name, gtype in schema.type_map.items():
        if name.startswith("_") or name.startswith("link__"):
            continue
        if isinstance(gtype, GraphQLObjectType):
            for field_name, field in gtype.fields.items():
                if field_name.startswith("_"):
                    continue
                missing += [
                    f"{name}.{field_name}({arg})" for arg, a in field.args.items() if not a.description
                ]
        if isinstance(gtype, GraphQLEnumType):
            missing += [f"{name}.{value}" for value, v in gtype.values.items() if not v.description]
    return missing


def test_every_argument_and_enum_value_is_described() -> None:
    """In the unified schema and in every subgraph's schema (each one registers its own types)."""
    settings = Settings(_env_file=None)
    unified = _graphql(settings)
    assert _undescribed_arguments_and_enum_values(unified) == []
    for name in PARTS:
        subgraph = subgraph_schema(name, settings)._schema
        assert _undescribed_arguments_and_enum_values(subgraph) == [], name
    # the check looks where it should: the unified schema has arguments and enum values to check
    customer = unified.type_map["Customer"]
    assert isinstance(customer, GraphQLObjectType)
    assert customer.fields["orders"].args["first"].description
    assert isinstance(unified.type_map["IdentifierType"], GraphQLEnumType)


def test_no_two_strawberry_types_share_a_graphql_name() -> None:
    """Same-name validation is off for Customer; make sure nothing else relies on it by accident."""
    names: Counter[str] = Counter()
    for part in PARTS:
        for module in ("types", "queries"):
            mod = importlib.import_module(f"subgraphs.{part}.{module}")
            for _, obj in inspect.getmembers(mod, inspect.isclass):
                definition = getattr(obj, "__strawberry_definition__", None)
                if definition is not None and obj.__module__ == mod.__name__:
                    names[definition.name] += 1
    assert [name for name, count in names.items() if count > 1] == []
    assert "Customer" not in names  # only subgraphs.kit.entities and schema/ define it


def test_no_dependency_shadows_a_project_package() -> None:
    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text())
    ours = {"app", "c360", "core", "graph_store", "resolvers", "schema", "subgraphs", "tests", "bench", "web"}
    assert {pkg["name"] for pkg in lock["package"]} & ours == set()


def test_unified_schema_shows_no_federation_directive() -> None:
    """`PageInfo` is `@shareable` so the subgraphs compose; the unified API must not show it."""
    schema = unified_schema(Settings(_env_file=None))
    assert "@shareable" not in schema.as_str()
    assert "shareable" not in {d.name for d in schema._schema.directives}
    subgraph = subgraph_schema("orders", Settings(_env_file=None))
    sdl = subgraph.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]  # type: ignore[index]
    assert "type PageInfo @shareable" in sdl
