"""Query limits refuse oversized documents during validation, before any statement reaches a store, and never
expand fragments to find out: a document of a few hundred tokens that expands to a billion fields is refused as
fast as a small one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLSchema, get_introspection_query, parse

from core.metrics import ROUND_TRIPS
from core.settings import Settings
from schema import unified_schema
from schema.extensions import FirstValidationRules, extensions
from schema.limits import DocumentMeasure, Limits
from tests.conftest import GraphQL
from tests.servers import in_process

DEFAULTS = Settings(_env_file=None)


def fragment_bomb(levels: int) -> str:
    """``F{levels}`` expands to ``2**levels`` copies of ``F0``: two fields each."""
    fragments = ["fragment F0 on Query { customers(first: 1) { totalCount } }"]
    fragments += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)]
    return " ".join(fragments) + f" query {{ ...F{levels} }}"


async def refused(gql: GraphQL, query: str, **variables: Any) -> list[dict[str, Any]]:
    """The errors of a request that must fail validation, having cost no SQL statement and no Cypher call."""
    sql, cypher = ROUND_TRIPS.snapshot()
    body = await gql(query, **variables)
    assert (ROUND_TRIPS.sql - sql, ROUND_TRIPS.cypher - cypher) == (0, 0)
    assert body.get("data") is None, body
    errors: list[dict[str, Any]] = body["errors"]
    return errors


def by_code(errors: list[dict[str, Any]], code: str) -> dict[str, Any]:
    found = [e for e in errors if (e.get("extensions") or {}).get("code") == code]
    assert len(found) == 1, errors
    return found[0]


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return unified_schema(DEFAULTS)._schema


def measure(schema: GraphQLSchema, query: str, settings: Settings = DEFAULTS) -> DocumentMeasure:
    return DocumentMeasure(schema, parse(query), Limits.from_settings(settings))


@pytest.mark.parametrize("levels", [20, 30])
async def test_fragment_bombs_are_refused_as_too_complex(gql: GraphQL, levels: int) -> None:
    errors = await refused(gql, fragment_bomb(levels))
    expanded = 2**levels
    too_complex = by_code(errors, "QUERY_TOO_COMPLEX")
    assert too_complex["extensions"]["cost"] == 2 * expanded
    assert too_complex["extensions"]["limit"] == DEFAULTS.max_query_cost
    assert str(2 * expanded) in too_complex["message"]
    assert by_code(errors, "TOO_MANY_FIELDS")["extensions"]["fields"] == 2 * expanded
    assert by_code(errors, "TOO_MANY_FRAGMENT_SPREADS")["extensions"]["fragmentSpreads"] == 2 * expanded - 1
    assert (await gql.data("{ __typename }")) == {"__typename": "Query"}


def test_each_fragment_definition_is_measured_once(graphql_schema: GraphQLSchema) -> None:
    document = measure(graphql_schema, fragment_bomb(30))
    assert dict(document.visits) == {f"F{i}": 1 for i in range(31)}
    [(_, totals)] = document.measures()
    assert totals.fields == 2**31
    assert dict(document.visits) == {f"F{i}": 1 for i in range(31)}


@pytest.mark.parametrize(
    "query",
    [
        "{ ...A } fragment A on Query { __typename ...A }",
        "{ ...A } fragment A on Query { ...B } fragment B on Query { __typename ...A }",
    ],
)
async def test_cyclic_fragments_are_ordinary_validation_errors(
    client: httpx.AsyncClient, graphql_schema: GraphQLSchema, query: str
) -> None:
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert errors[0]["message"].startswith("Cannot spread fragment 'A' within itself"), errors
    assert all("code" not in (e.get("extensions") or {}) for e in errors)
    assert all(v == 1 for v in measure(graphql_schema, query).visits.values())


async def test_unknown_fragments_are_ordinary_validation_errors(client: httpx.AsyncClient) -> None:
    for query in ("{ ...Nope }", "{ ...A } fragment A on Query { ...Nope __typename }"):
        response = await client.post("/graphql", json={"query": query})
        assert response.status_code == 200
        assert response.json()["errors"][0]["message"] == "Unknown fragment 'Nope'."


def nested_orders(levels: int) -> str:
    """``order > customer > orders > nodes`` repeated: depth ``3 * levels + 1`` with one order per page."""
    inner = "id"
    for _ in range(levels):
        inner = f"customer {{ orders(first: 1) {{ nodes {{ {inner} }} }} }}"
    return f'{{ order(id: "900001") {{ {inner} }} }}'


async def test_depth_is_limited(gql: GraphQL) -> None:
    at_limit = nested_orders(3)  # depth 10: `id` has ten fields above it
    assert DEFAULTS.max_query_depth == 10
    assert (await gql.data(at_limit))["order"]["customer"]["orders"]["nodes"]
    error = by_code(await refused(gql, at_limit.replace("{ id }", "{ customer { id } }")), "QUERY_TOO_DEEP")
    assert error["extensions"] == {"code": "QUERY_TOO_DEEP", "depth": 11, "limit": 10}
    assert "depth 11, the limit is 10" in error["message"]


async def test_aliases_are_limited(gql: GraphQL) -> None:
    def aliases(count: int) -> str:
        return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"

    limit = DEFAULTS.max_aliases
    assert len(await gql.data(aliases(limit))) == limit
    error = by_code(await refused(gql, aliases(limit + 1)), "TOO_MANY_ALIASES")
    assert error["extensions"] == {"code": "TOO_MANY_ALIASES", "aliases": limit + 1, "limit": limit}
    assert f"{limit + 1} aliases found, the limit is {limit}" in error["message"]


async def test_fields_are_limited_with_fragments_expanded(gql: GraphQL) -> None:
    def fields(spreads: int) -> str:
        return "{ " + "...T " * spreads + "} fragment T on Query { " + "__typename " * 50 + "}"

    limit = DEFAULTS.max_fields
    assert limit % 50 == 0
    assert await gql.data(fields(limit // 50)) == {"__typename": "Query"}
    error = by_code(await refused(gql, fields(limit // 50 + 1)), "TOO_MANY_FIELDS")
    assert error["extensions"] == {"code": "TOO_MANY_FIELDS", "fields": limit + 50, "limit": limit}
    assert f"{limit + 50} fields found" in error["message"]


async def test_fragment_spreads_are_limited(gql: GraphQL) -> None:
    def spreads(count: int) -> str:
        return "{ " + "...T " * count + "} fragment T on Query { __typename }"

    limit = DEFAULTS.max_fragment_spreads
    assert await gql.data(spreads(limit)) == {"__typename": "Query"}
    error = by_code(await refused(gql, spreads(limit + 1)), "TOO_MANY_FRAGMENT_SPREADS")
    assert error["extensions"] == {
        "code": "TOO_MANY_FRAGMENT_SPREADS",
        "fragmentSpreads": limit + 1,
        "limit": limit,
    }
    assert f"{limit + 1} fragment spreads found" in error["message"]


async def test_directives_are_limited(gql: GraphQL) -> None:
    def directives(count: int) -> str:
        return "{ " + "__typename @include(if: true) " * count + "}"

    limit = DEFAULTS.max_directives
    assert await gql.data(directives(limit)) == {"__typename": "Query"}
    error = by_code(await refused(gql, directives(limit + 1)), "TOO_MANY_DIRECTIVES")
    assert error["extensions"] == {"code": "TOO_MANY_DIRECTIVES", "directives": limit + 1, "limit": limit}
    assert f"{limit + 1} directives found" in error["message"]


async def test_a_refused_document_ends_validation(gql: GraphQL) -> None:
    # graphql-core's rules would report each unknown field, and compare the same-named fields pairwise
    errors = await refused(gql, "{ " + "shoeSize " * (DEFAULTS.max_fields + 1) + "}")
    assert [e["extensions"]["code"] for e in errors] == ["TOO_MANY_FIELDS"]


PAGE_OF_PAGES_OF_PAGES = """{ customers(first: 100) { nodes { orders(first: 100) { nodes {
  customer { orders(first: 100) { nodes { id } } } } } } } }"""


async def test_a_page_of_pages_of_pages_is_refused_with_its_cost(gql: GraphQL) -> None:
    # inner orders: 1 + 1 + 100 ids; an order: 1 + that; a customer's orders: 1 + 1 + 100 orders; the page likewise
    cost = 2 + 100 * (2 + 100 * (1 + 2 + 100))
    error = by_code(await refused(gql, PAGE_OF_PAGES_OF_PAGES), "QUERY_TOO_COMPLEX")
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "cost": cost,
        "limit": DEFAULTS.max_query_cost,
    }
    assert f"estimated cost {cost}, the limit is {DEFAULTS.max_query_cost}" in error["message"]


def test_cost_counts_page_sizes(graphql_schema: GraphQLSchema) -> None:
    def cost(query: str) -> int:
        [(_, totals)] = measure(graphql_schema, query).measures()
        return totals.cost(DEFAULTS.query_cost_list_size)

    items = DEFAULTS.query_cost_list_size
    assert cost("{ customers(first: 7) { totalCount nodes { id } } }") == 1 + 1 + 1 + 7
    assert cost("{ customers(first: 7) { edges { node { id } } } }") == 1 + 1 + 7 * 2
    # a variable counts the maximum page size, a missing argument the schema's default (20 customers, 50 tickets)
    assert cost("query($n: Int!) { customers(first: $n) { nodes { id } } }") == 2 + DEFAULTS.max_page_size
    assert cost("{ customers { nodes { tickets { id } } } }") == 2 + 20 * (1 + 50)
    # a list without `first` counts the default list size, in a fragment as anywhere else
    assert cost("{ customers(first: 3) { nodes { identifiers { value } } } }") == 2 + 3 * (1 + items)
    fragment = "fragment C on CustomerConnection { nodes { identifiers { value } } }"
    assert cost(f"{{ customers(first: 3) {{ ...C }} }} {fragment}") == 2 + 3 * (1 + items)
    # a literal above the maximum page size counts as the maximum (the resolver refuses it)
    assert cost("{ customers(first: 1000) { nodes { id } } }") == 2 + DEFAULTS.max_page_size


@pytest.fixture(scope="module")
async def costly(settings: Settings) -> AsyncIterator[GraphQL]:
    """The API with a cost limit of exactly ``COSTLY``'s cost."""
    async with in_process(settings.model_copy(update={"max_query_cost": COSTLY_COST})) as http:
        yield GraphQL(http)


COSTLY = "{ customers(first: 100) { nodes { orders(first: 100) { nodes { id } } } } }"
COSTLY_COST = 2 + 100 * (2 + 100)


async def test_cost_is_accepted_at_the_limit(costly: GraphQL) -> None:
    data = await costly.data(COSTLY)
    assert len(data["customers"]["nodes"]) == 100
    error = by_code(
        await refused(costly, COSTLY.replace("nodes", "totalCount nodes", 1)), "QUERY_TOO_COMPLEX"
    )
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": COSTLY_COST + 1, "limit": COSTLY_COST}


async def test_introspection_passes_the_limits(gql: GraphQL) -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    data = await gql.data(query)
    assert data["__schema"]["queryType"]["name"] == "Query"


def test_the_rule_class_is_built_once_per_schema() -> None:
    """Validation caches key on the rule classes: a class built per request would miss the cache every time."""
    chain = extensions(DEFAULTS)
    made = [[e for e in (make() for make in chain) if isinstance(e, FirstValidationRules)] for _ in range(2)]
    [first], [second] = made
    assert first is not second
    assert first.rules == second.rules
