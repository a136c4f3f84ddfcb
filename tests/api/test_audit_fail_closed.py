"""When the audit record cannot be written, the personal data it was for is withheld: each such value is null with
AUDIT_UNAVAILABLE on its path, the rest of the answer still comes (HTTP 200), and no personal value leaves.

The audit table is made unwritable by the schemas' owner (INSERT revoked from the API's role, or the table renamed
away) and restored afterwards; the database being down is a profiles DSN pointing where nothing listens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from core.settings import Settings
from graph_store.driver import GraphStore
from tests import fixtures
from tests.audit_helpers import Caller, new_customers, rows
from tests.conftest import LOG_CANARIES
from tests.servers import free_port, in_process

LI_LEI_VALUES = (*LOG_CANARIES[:4], "李雷", "Hangzhou")
"""Li Lei's personal values (phone, e-mail, WeChat ids, name, city): none may leave without a record."""
HOUSEHOLD = "失联之家"
REVOKED, RENAMED = "insert revoked", "table renamed"
CUSTOMER = """query Customer($id: ID!) { customer(id: $id) {
  id loyaltyTier loyaltyPoints fullName city identifiers { type value source } } }"""


@pytest.fixture(scope="module")
async def caller(settings: Settings) -> AsyncIterator[Caller]:
    async with in_process(settings, headers={}) as http:
        yield Caller(http)


@pytest.fixture(scope="module")
async def household(caller: Caller) -> tuple[str, str]:
    a, b = await new_customers(caller, 2, "household")
    _, body = await caller.body(
        """mutation($a: ID!, $b: ID!, $n: String!) { linkCustomers(input: {kind: HOUSEHOLD, customerId: $a,
        relatedCustomerId: $b, householdName: $n}) { changed } }""",
        a=a,
        b=b,
        n=HOUSEHOLD,
    )
    assert body["data"]["linkCustomers"]["changed"]
    return a, b


@pytest.fixture(scope="module")
async def strangers(caller: Caller) -> dict[str, tuple[str, str]]:
    """Two unrelated customers for each way of making the table unwritable, made while it is writable."""
    a, b, c, d = await new_customers(caller, 4, "strangers")
    return {REVOKED: (a, b), RENAMED: (c, d)}


SENT_UNWRITABLE: list[str] = []
"""Request ids sent while the table was unwritable: none may have a record once it is back."""


@pytest.fixture(params=[REVOKED, RENAMED])
async def unwritable(
    request: pytest.FixtureRequest, settings: Settings, pg: asyncpg.Connection, caller: Caller
) -> AsyncIterator[str]:
    if request.param == REVOKED:
        if not settings.app_db_role:
            pytest.skip("the API runs as the owner: no INSERT to revoke")
        role = '"' + settings.app_db_role.replace('"', '""') + '"'
        undo = f"GRANT INSERT ON profiles.audit_records TO {role}"
        await pg.execute(f"REVOKE INSERT ON profiles.audit_records FROM {role}")
    else:
        undo = "ALTER TABLE profiles.audit_records_away RENAME TO audit_records"
        await pg.execute("ALTER TABLE profiles.audit_records RENAME TO audit_records_away")
    before = len(caller.sent)
    try:
        yield request.param
    finally:
        await pg.execute(undo)
        SENT_UNWRITABLE.extend(caller.sent[before:])


def _codes(body: dict[str, Any]) -> dict[tuple[Any, ...], str]:
    return {tuple(e["path"]): e.get("extensions", {}).get("code") for e in body.get("errors") or []}


def _leaks(body: dict[str, Any], values: tuple[str, ...]) -> list[str]:
    text = str(body)
    return [v for v in values if v in text]


async def test_personal_fields_fail_closed_and_the_rest_answers(caller: Caller, unwritable: str) -> None:
    _, response = await caller.post(CUSTOMER, id=fixtures.LI_LEI)
    assert response.status_code == 200
    body = response.json()
    customer = body["data"]["customer"]
    assert customer["id"] == fixtures.LI_LEI
    assert customer["loyaltyTier"] == "GOLD"
    assert customer["loyaltyPoints"] is not None  # financial values are not audited
    assert (customer["fullName"], customer["city"]) == (None, None)
    withheld: set[tuple[Any, ...]] = {("customer", "fullName"), ("customer", "city")}
    for i, identifier in enumerate(customer["identifiers"]):
        assert identifier["source"]  # public
        if identifier["type"] == "CRM_ID":
            assert identifier["value"] == "CRM-LI-1"  # internal: not audited, still shown
        else:
            assert identifier["value"] is None
            withheld.add(("customer", "identifiers", i, "value"))
    assert _codes(body) == dict.fromkeys(withheld, "AUDIT_UNAVAILABLE")
    assert "audit record" in body["errors"][0]["message"]
    assert _leaks(body, LI_LEI_VALUES) == []


async def test_lists_and_subgraph_endpoints_fail_closed(
    caller: Caller, unwritable: str, household: tuple[str, str]
) -> None:
    _, body = await caller.body("{ customers(first: 5) { nodes { id loyaltyTier fullName } } }")
    nodes = body["data"]["customers"]["nodes"]
    assert len(nodes) == 5
    assert all(n["id"] and n["loyaltyTier"] and n["fullName"] is None for n in nodes)
    assert _codes(body) == {("customers", "nodes", i, "fullName"): "AUDIT_UNAVAILABLE" for i in range(5)}

    reps = [{"__typename": "Customer", "id": fixtures.LI_LEI}]
    _, body = await caller.body(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id fullName } } }",
        path="/subgraphs/profiles/graphql",
        r=reps,
    )
    assert body["data"]["_entities"] == [{"id": fixtures.LI_LEI, "fullName": None}]
    assert _codes(body) == {("_entities", 0, "fullName"): "AUDIT_UNAVAILABLE"}

    _, body = await caller.body(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { household { id name memberCount } } } }",
        path="/subgraphs/relationships/graphql",
        r=[{"__typename": "Customer", "id": household[0]}],
    )
    (entity,) = body["data"]["_entities"]
    assert entity["household"]["id"]
    assert entity["household"]["memberCount"] == 2
    assert entity["household"]["name"] is None
    assert _codes(body) == {("_entities", 0, "household", "name"): "AUDIT_UNAVAILABLE"}
    assert _leaks(body, (HOUSEHOLD,)) == []


async def test_what_needs_no_record_still_answers(caller: Caller, unwritable: str) -> None:
    _, body = await caller.body(
        "query($id: ID!) { customer(id: $id) { id loyaltyTier } }", id=fixtures.LI_LEI
    )
    assert body == {"data": {"customer": {"id": fixtures.LI_LEI, "loyaltyTier": "GOLD"}}}
    _, body = await caller.body(
        "query($id: ID!) { customer(id: $id) { fullName } }", roles=("marketing",), id=fixtures.LI_LEI
    )
    assert body == {"data": {"customer": {"fullName": "李*"}}}  # masked values need no record


async def test_a_mutation_says_its_change_was_made_without_a_record(
    caller: Caller, strangers: dict[str, tuple[str, str]], unwritable: str, graph: GraphStore
) -> None:
    a, b = strangers[unwritable]
    _, body = await caller.body(
        """mutation($a: ID!, $b: ID!) { linkCustomers(input: {kind: REFERRAL, customerId: $a,
        relatedCustomerId: $b}) { changed customer { id fullName } } }""",
        roles=("agent",),
        a=a,
        b=b,
    )
    change = body["data"]["linkCustomers"]
    assert change["changed"] is True
    assert change["customer"] == {"id": a, "fullName": None}
    assert _codes(body) == {
        ("linkCustomers",): "AUDIT_UNAVAILABLE",
        ("linkCustomers", "customer", "fullName"): "AUDIT_UNAVAILABLE",
    }
    assert any("change was made" in e["message"] for e in body["errors"])
    linked = await graph.read(
        "MATCH (:Customer {id: $a})-[r:REFERRED]->(:Customer {id: $b}) RETURN count(r) AS n", a=a, b=b
    )
    assert linked[0]["n"] == 1


async def test_the_audit_itself_fails_closed(caller: Caller, unwritable: str) -> None:
    _, body = await caller.body(
        "{ auditRecords(first: 1) { nodes { id } } identityQuality { customers } }",
        roles=("privacy", "steward"),
    )
    assert body["data"]["auditRecords"] is None
    assert isinstance(body["data"]["identityQuality"]["customers"], int)  # the rest answers
    codes = _codes(body)
    assert list(codes) == [("auditRecords",)]
    if unwritable == REVOKED:  # read, but its own record cannot be written (renamed, the read itself fails)
        assert codes[("auditRecords",)] == "AUDIT_UNAVAILABLE"


async def test_writable_again_the_values_come_back_with_their_record(
    caller: Caller, pg: asyncpg.Connection
) -> None:
    request_id, body = await caller.body(CUSTOMER, id=fixtures.LI_LEI)
    assert "errors" not in body
    assert body["data"]["customer"]["fullName"] == "李雷"
    assert list(await rows(pg, [request_id])) == [request_id]
    assert len(SENT_UNWRITABLE) >= 10
    assert await rows(pg, SENT_UNWRITABLE) == {}  # nothing was recorded while it was unwritable


async def test_the_database_being_down_fails_closed(settings: Settings, household: tuple[str, str]) -> None:
    """The relationships subgraph reads Neo4j only, but writes its records to the profiles database."""
    down = settings.model_copy(
        update={"subgraph_dsns": {"profiles": f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"}}
    )
    async with in_process(down, headers={}) as http:
        _, response = await Caller(http).post(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { household { id name } } } }",
            path="/subgraphs/relationships/graphql",
            r=[{"__typename": "Customer", "id": household[1]}],
        )
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["_entities"][0]["household"]["id"]
    assert body["data"]["_entities"][0]["household"]["name"] is None
    assert _codes(body) == {("_entities", 0, "household", "name"): "AUDIT_UNAVAILABLE"}
