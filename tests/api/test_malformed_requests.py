"""Malformed requests are refused with a 4xx and a GraphQL error body, never a 500, and the API keeps answering."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import GraphQL

JSON = {"content-type": "application/json"}
DEEP = b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 1000 + b"]" * 1000 + b"}}"
BIG_INT = (
    b'{"query": "query($n: Int) { customers(first: $n) { totalCount } }", "variables": {"n": 1'
    + (b"0" * 5000)
    + b"}}"
)

CASES: dict[str, tuple[bytes, dict[str, str], int, str]] = {
    # name: (body, headers, status, a part of the message)
    "null": (b"null", JSON, 400, "must be a JSON object"),
    "true": (b"true", JSON, 400, "must be a JSON object"),
    "number": (b"1", JSON, 400, "must be a JSON object"),
    "string": (b'"{ __typename }"', JSON, 400, "must be a JSON object"),
    "batch": (b'[{"query": "{ __typename }"}]', JSON, 400, "Batched requests are not supported"),
    "empty": (b"", JSON, 400, "not JSON"),
    "truncated json": (b'{"query": "{ __typename }"', JSON, 400, "not JSON"),
    "nan": (b'{"query": "{ __typename }", "variables": {"a": NaN}}', JSON, 400, "NaN is not JSON"),
    "nested 1000 deep": (DEEP, JSON, 400, "nested deeper than"),
    "invalid utf-8": (b'{"query": "{ __typename \xff }"}', JSON, 400, "not valid UTF-8"),
    "truncated utf-8": (
        b'{"query": "{ customers(filter: {name: \\"\xe7\x8e"}) { totalCount } }"}',
        JSON,
        400,
        "UTF-8",
    ),
    "5000-digit integer": (BIG_INT, JSON, 400, "digits"),
    "duplicate keys": (
        b'{"query": "{ __typename }", "query": "{ customers { totalCount } }"}',
        JSON,
        400,
        "Duplicate key",
    ),
    "query not a string": (b'{"query": 1}', JSON, 400, "`query` must be a string"),
    "variables not an object": (
        b'{"query": "{ __typename }", "variables": [1]}',
        JSON,
        400,
        "`variables` must be an object",
    ),
    "long string variable": (
        b'{"query": "query($n: String) { customers(filter: {name: $n}) { totalCount } }", "variables": {"n": "'
        + b"x" * 30_000
        + b'"}}',
        JSON,
        400,
        "String of 30000 characters",
    ),
    "no query": (b'{"variables": {}}', JSON, 400, "No GraphQL query"),
    "text/plain": (
        b'{"query": "{ __typename }"}',
        {"content-type": "text/plain"},
        415,
        "Unsupported content type",
    ),
    "no content type": (b'{"query": "{ __typename }"}', {}, 415, "Unsupported content type"),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_malformed_body_is_a_4xx_with_a_graphql_error(
    client: httpx.AsyncClient, gql: GraphQL, name: str
) -> None:
    body, headers, status, message = CASES[name]
    response = await client.post("/graphql", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["errors"][0]
    assert message in error["message"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert (await gql.data("{ __typename }")) == {"__typename": "Query"}


async def test_unknown_fragment_is_a_validation_error(gql: GraphQL) -> None:
    body = await gql("{ ...Nope }")
    assert body["errors"][0]["message"] == "Unknown fragment 'Nope'."


async def test_other_methods_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.put("/graphql", content=b'{"query": "{ __typename }"}', headers=JSON)
    assert response.status_code == 405
