"""A generated corpus of hostile requests: no 5xx, the process keeps answering, every document that must be refused
is refused before execution (0 SQL statements, 0 Cypher calls), and no fixture PII leaks into a response.

Limits come from the settings the tests run with (defaults): depth 10, aliases 30, tokens 2,000, page size 100.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from core.metrics import ROUND_TRIPS
from tests import fixtures
from tests.conftest import LOG_CANARIES


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    refused: bool
    """True: must be refused before execution (errors, no data, 0 round trips). False: may run (no 5xx)."""
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})
    method: str = "POST"


def _doc(name: str, query: str, refused: bool, variables: dict[str, Any] | None = None) -> Case:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    return Case(name, json.dumps(payload).encode(), refused)


def _nested(depth: int) -> str:
    inner = "id"
    for _ in range(depth):
        inner = f"customer {{ orders(first: 1) {{ nodes {{ {inner} }} }} }}"
    return f'{{ order(id: "900001") {{ {inner} }} }}'


def _bomb(levels: int) -> str:
    parts = ["fragment F0 on Query { customers(first: 1) { totalCount } }"]
    parts += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)]
    return " ".join(parts) + f" query {{ ...F{levels} }}"


INJECTIONS = (
    "' OR 1=1 --",
    '"; DROP TABLE profiles.customers; --',
    "$1",
    "%",
    "_",
    "\\",
    "}) MATCH (n) DETACH DELETE n //",
    "' RETURN 1 UNION MATCH (n) RETURN n //",
    "${jndi:ldap://127.0.0.1/x}",
    "<script>alert(1)</script>",
    "\u202e\u200b\ufeff",
    "𝕮𝖚𝖘𝖙𝖔𝖒𝖊𝖗 😀",
    "王*",
    "../../etc/passwd",
)
STRING_ARGUMENTS = (
    "customers(filter: {name: $s}) { totalCount }",
    "customers(filter: {cities: [$s]}) { totalCount }",
    "customerByIdentifier(type: EMAIL, value: $s) { id }",
    "customerByIdentifier(type: PHONE, value: $s) { id }",
    "customerByIdentifier(type: WECHAT_OPENID, value: $s, appId: $s) { id }",
    "accounts(search: $s) { nodes { id } }",
    "rejectedRecords(system: $s) { nodes { id } }",
    "customer(id: $s) { id }",
    "order(id: $s) { id }",
    "erasureJob(id: $s) { id }",
    "customers(after: $s) { totalCount }",
)


def corpus() -> list[Case]:
    cases: list[Case] = []
    for depth in range(4, 12):  # order > (customer > orders > nodes) x depth: over the limit from 4 on
        cases.append(_doc(f"depth {depth}", _nested(depth), refused=depth >= 4))
    for count in (31, 40, 100, 500):
        aliases = " ".join(f"a{i}: __typename" for i in range(count))
        cases.append(_doc(f"{count} aliases", f"{{ {aliases} }}", refused=True))
    for count in (2100, 5000):
        cases.append(_doc(f"{count} tokens", "{ " + "__typename " * count + "}", refused=True))
    for count in (50, 200, 1000):
        directives = " ".join("@include(if: true)" for _ in range(count))
        cases.append(_doc(f"{count} directives", f"{{ __typename {directives} }}", refused=True))
    for count in (1000, 1900):
        cases.append(
            _doc(
                f"{count} duplicated fields",
                "{ customers(first: 1) { " + "totalCount " * count + "} }",
                refused=True,
            )
        )
    for levels in (10, 16, 20, 25, 30):
        cases.append(_doc(f"fragment bomb 2^{levels}", _bomb(levels), refused=True))
    cases.append(
        _doc("fragment cycle", "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }", True)
    )
    cases.append(_doc("self-spread", "fragment A on Query { __typename ...A } { ...A }", True))
    cases.append(_doc("unknown fragment", "{ ...Nope }", True))
    cases.append(_doc("unknown field", "{ shoeSize }", True))
    cases.append(_doc("unknown mutation", "mutation { createTicket { id } }", True))
    cases.append(_doc("subscription", "subscription { x }", True))
    cases.append(_doc("two anonymous operations", "{ __typename } { __typename }", True))
    of_types = "{ __schema { types { fields { type { " + "ofType { " * 8 + "name" + " }" * 8 + " } } } } }"
    cases.append(_doc("introspection of nested types", of_types, refused=False))  # bounded by the schema
    recursive = "{ __schema { types { " + "fields { type { " * 6 + "name" + " } }" * 6 + " } } }"
    cases.append(_doc("recursive introspection", recursive, refused=True))  # 10^7 estimated: refused by cost
    for first in (-1, 101, 1000, 2**31 - 1):
        cases.append(
            _doc(f"first {first}", f"{{ customers(first: {first}) {{ totalCount }} }}", refused=True)
        )
    cases.append(_doc("first 2^31", "{ customers(first: 2147483648) { totalCount } }", True))
    cases.append(_doc("first as a string", '{ customers(first: "10") { totalCount } }', True))
    cases.append(_doc("first as a float", "{ customers(first: 1.5) { totalCount } }", True))
    for size in (30_000, 200_000):
        cases.append(
            _doc(
                f"{size}-character literal",
                '{ customers(filter: {name: "' + "x" * size + '"}) { totalCount } }',
                True,
            )
        )
    cases.append(
        _doc(
            "deep list literal",
            "{ customers(filter: {cities: " + "[" * 200 + '"x"' + "]" * 200 + "}) { totalCount } }",
            True,
        )
    )
    cases.append(
        _doc(
            "deep variables",
            "query($f: CustomerFilter) { customers(filter: $f) { totalCount } }",
            True,
            {"f": {"cities": [[["x"]]]}},
        )
    )
    cases.append(_doc("NUL in a literal", '{ customers(filter: {name: "a\\u0000b"}) { totalCount } }', True))
    cases.append(
        _doc(
            "NUL in a variable",
            "query($s: String) { customers(filter: {name: $s}) { totalCount } }",
            True,
            {"s": "a\x00b"},
        )
    )
    cases.append(
        _doc(
            "missing variable",
            "query($s: String!) { customers(filter: {name: $s}) { totalCount } }",
            True,
            {},
        )
    )
    cases.append(
        _doc(
            "wrong variable type",
            "query($n: Int) { customers(first: $n) { totalCount } }",
            True,
            {"n": "ten"},
        )
    )
    cases.append(
        _doc(
            "huge variable int", "query($n: Int) { customers(first: $n) { totalCount } }", True, {"n": 2**40}
        )
    )
    for i, injection in enumerate(INJECTIONS):
        for j, argument in enumerate(STRING_ARGUMENTS):
            query = (
                f"query($s: String!) {{ {argument} }}"
                if not any(f"{root}(id" in argument for root in ("customer", "order", "erasureJob"))
                else f"query($s: ID!) {{ {argument} }}"
            )
            cases.append(
                _doc(f"injection {i} in argument {j}", query, refused=False, variables={"s": injection})
            )
            literal = json.dumps(injection)
            cases.append(
                _doc(
                    f"literal injection {i} in argument {j}",
                    "{ " + argument.replace("$s", literal) + " }",
                    refused=False,
                )
            )
    raw: list[tuple[str, bytes]] = [
        ("null body", b"null"),
        ("array body", b"[1, 2]"),
        ("batch", b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]'),
        ("truncated", b'{"query": "{ __typename '),
        ("bad utf-8", b'{"query": "{ \xc3\x28 }"}'),
        ("overlong utf-8", b'{"query": "{ \xc0\xaf }"}'),
        (
            "lone surrogate escape",
            b'{"query": "{ customers(filter: {name: \\"\\ud800\\"}) { totalCount } }"}',
        ),
        ("duplicate keys", b'{"query": "{ __typename }", "query": "{ __typename }"}'),
        (
            "deep json",
            b'{"query": "{ __typename }", "extensions": ' + b'{"a": ' * 500 + b"1" + b"}" * 500 + b"}",
        ),
        ("big integer", b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * 5000 + b"}}"),
        ("oversized body", b'{"query": "{ __typename }", "pad": "' + b"x" * 300_000 + b'"}'),
    ]
    cases += [Case(name, body, refused=True) for name, body in raw]
    cases.append(Case("text/plain", b'{"query": "{ __typename }"}', True, {"content-type": "text/plain"}))
    cases.append(
        Case(
            "form body",
            b"query=%7B__typename%7D",
            True,
            {"content-type": "application/x-www-form-urlencoded"},
        )
    )
    cases.append(Case("PUT", b'{"query": "{ __typename }"}', True, method="PUT"))
    cases.append(Case("DELETE", b"", True, method="DELETE"))
    cases.append(Case("GET query", b"", True, method="GET", headers={"accept": "application/json"}))
    return cases


CORPUS = corpus()


def test_the_corpus_is_large_and_mixed() -> None:
    assert len(CORPUS) >= 300
    assert sum(case.refused for case in CORPUS) >= 60
    assert len({case.name for case in CORPUS}) == len(CORPUS)


async def test_no_hostile_request_gets_a_5xx_or_runs_when_it_must_be_refused(
    client: httpx.AsyncClient,
) -> None:
    problems: list[str] = []
    for case in CORPUS:
        sql, cypher = ROUND_TRIPS.snapshot()
        path = "/graphql?query=%7B__typename%7D" if case.method == "GET" else "/graphql"
        response = await client.request(case.method, path, content=case.body, headers=case.headers)
        cost = (ROUND_TRIPS.sql - sql, ROUND_TRIPS.cypher - cypher)
        if response.status_code >= 500:
            problems.append(f"{case.name}: HTTP {response.status_code}")
            continue
        if any(canary in response.text for canary in LOG_CANARIES):
            problems.append(f"{case.name}: fixture PII in the response")
        if not case.refused:
            continue
        if response.status_code == 200:
            body = response.json()
            data = body.get("data")
            if not body.get("errors") or (data is not None and any(v is not None for v in data.values())):
                problems.append(f"{case.name}: not refused: {response.text[:120]}")
        if cost != (0, 0):
            problems.append(f"{case.name}: refused after {cost[0]} SQL and {cost[1]} Cypher calls")
    assert problems == []
    assert (await client.post("/graphql", json={"query": "{ __typename }"})).json() == {
        "data": {"__typename": "Query"}
    }


async def test_injections_leave_the_data_as_it_was(client: httpx.AsyncClient) -> None:
    query = "query($id: ID!) { customer(id: $id) { fullName orderCount identifiers { type } } }"
    body = (await client.post("/graphql", json={"query": query, "variables": {"id": fixtures.LI_LEI}})).json()
    assert body["data"]["customer"]["fullName"] == "李雷"
    assert body["data"]["customer"]["orderCount"] == len(fixtures.LI_LEI_ORDERS)


@pytest.mark.parametrize(
    "name", ["fragment bomb 2^30", "fragment cycle", "unknown fragment", "30000-character literal"]
)
async def test_refusals_are_coded_graphql_errors(client: httpx.AsyncClient, name: str) -> None:
    case = next(c for c in CORPUS if c.name == name)
    response = await client.post("/graphql", content=case.body, headers=case.headers)
    assert response.status_code in (200, 400)
    error = response.json()["errors"][0]
    assert error["message"]
    assert "Unexpected error" not in error["message"]
