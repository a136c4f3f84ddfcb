"""Bad input gets a precise error and the service keeps answering."""

from __future__ import annotations

import httpx

from tests import fixtures
from tests.conftest import GraphQL


async def test_unknown_ids_are_null(gql: GraphQL) -> None:
    data = await gql.data("""{ customer(id: "00000000-0000-4000-8000-00000000beef") { id }
      order(id: "987654321") { id } ticket(id: "987654321") { id } interaction(id: "987654321") { id } }""")
    assert data == {"customer": None, "order": None, "ticket": None, "interaction": None}


async def test_malformed_ids_are_input_errors(gql: GraphQL) -> None:
    body = await gql('{ customer(id: "not-a-uuid") { id } order(id: "abc") { id } }')
    assert body["data"] == {"customer": None, "order": None}
    errors = {tuple(e["path"]): e for e in body["errors"]}
    assert errors[("customer",)]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "expected a UUID" in errors[("customer",)]["message"]
    assert errors[("order",)]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_syntax_error_is_reported(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ customer(id: ) { id "})
    body = response.json()
    assert "data" not in body or body["data"] is None
    assert body["errors"][0]["message"].startswith("Syntax Error")


async def test_wrong_argument_type_is_a_validation_error(gql: GraphQL) -> None:
    body = await gql('{ customers(first: "ten") { nodes { id } } }')
    assert body["data"] is None
    assert "Int cannot represent non-integer value" in body["errors"][0]["message"]


async def test_unknown_field_is_a_validation_error(gql: GraphQL) -> None:
    body = await gql("{ customers { nodes { shoeSize } } }")
    assert "Cannot query field 'shoeSize' on type 'Customer'" in body["errors"][0]["message"]


async def test_page_size_is_bounded(gql: GraphQL) -> None:
    body = await gql("{ customers(first: 1000) { nodes { id } } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 0 and 100" in body["errors"][0]["message"]


async def test_malformed_cursor_is_an_input_error(gql: GraphQL) -> None:
    body = await gql('{ customers(after: "!!!") { nodes { id } } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = await gql(
        'query($id: ID!) { customer(id: $id) { orders(after: "WzEsMl0=") { nodes { id } } } }',
        id=fixtures.LI_LEI,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_deep_queries_are_refused(gql: GraphQL) -> None:
    # order > customer > orders > nodes > customer > orders > ... : 13 levels deep, the limit is 10.
    inner = "id"
    for _ in range(4):
        inner = f"customer {{ orders {{ nodes {{ {inner} }} }} }}"
    body = await gql(f'{{ order(id: "900001") {{ {inner} }} }}')
    assert body["errors"], body
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_oversized_body_is_refused(client: httpx.AsyncClient, gql: GraphQL) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }", "pad": "x" * 300_000})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert (await gql.data("{ __typename }")) == {"__typename": "Query"}


async def test_too_many_aliases_are_refused(gql: GraphQL) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"
    body = await gql(query)
    assert "aliases found" in body["errors"][0]["message"]
