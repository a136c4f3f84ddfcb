"""Every field a query can reach that loads data is a batch resolver, in every schema: its one implementation, which
the planned executor calls once per level and graphql-core through a DataLoader (``subgraphs/kit/batch.py``)."""

from __future__ import annotations

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLUnionType

from core.settings import Settings
from schema import PARTS, subgraph_schema, unified_schema
from subgraphs.kit.batch import BATCH_KEY


def _reachable(schema: GraphQLSchema) -> set[GraphQLObjectType]:
    """Object types a query or a subscription can reach (mutation payloads run in graphql-core only)."""
    roots = [t for t in (schema.query_type, schema.subscription_type) if t is not None]
    seen: set[GraphQLObjectType] = set()
    stack: list[GraphQLObjectType] = list(roots)
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        for field in current.fields.values():
            output = field.type
            while isinstance(output, GraphQLNonNull | GraphQLList):
                output = output.of_type
            if isinstance(output, GraphQLObjectType):
                stack.append(output)
            elif isinstance(output, GraphQLUnionType):
                stack.extend(output.types)
    return seen - set(roots)


def _unbatched(schema: GraphQLSchema) -> list[str]:
    found = []
    for object_type in _reachable(schema):
        for name, field in object_type.fields.items():
            definition = field.extensions.get("strawberry-definition")
            resolver = getattr(definition, "base_resolver", None)
            if resolver is not None and resolver.is_async and BATCH_KEY not in definition.metadata:
                found.append(f"{object_type.name}.{name}")
    return sorted(found)


def test_every_field_that_loads_data_is_a_batch_resolver() -> None:
    settings = Settings(_env_file=None)
    assert _unbatched(unified_schema(settings)._schema) == []
    for name in PARTS:
        assert _unbatched(subgraph_schema(name, settings)._schema) == [], name


def test_the_check_sees_an_unbatched_field() -> None:
    """The test above is not vacuous: an async resolver without a batch resolver is found."""
    schema = unified_schema(Settings(_env_file=None))
    customer = schema._schema.type_map["Customer"]
    assert isinstance(customer, GraphQLObjectType)
    definition = customer.fields["orders"].extensions["strawberry-definition"]
    saved = definition.metadata
    definition.metadata = {k: v for k, v in saved.items() if k != BATCH_KEY}
    try:
        assert "Customer.orders" in _unbatched(schema._schema)
    finally:
        definition.metadata = saved
