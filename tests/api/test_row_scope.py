"""Row scoping by account through the public API: a caller whose token names accounts sees those accounts, the
accounts below them and their contacts, and nothing else. Out of scope answers exactly like absent: root fields,
nested edges, aliases, a 100-id batch and a 100-representation ``_entities`` call are compared byte for byte with
the same requests for ids that do not exist."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from core.metrics import ROUND_TRIPS
from core.settings import Settings
from graph_store import identity
from graph_store.driver import GraphStore
from tests import auth
from tests.conftest import GraphQL
from tests.relationships.helpers import add_contact, create_account, link
from tests.servers import in_process

ONE_CUSTOMER = "query($id: ID!) { customer(id: $id) { id } }"
ABSENT_PHONE = "+8613999990001"
"""A valid mobile number no customer has (checked against the graph)."""


@dataclass(frozen=True)
class World:
    """Accounts ``group`` > ``sub`` > ``branch`` assigned to the rep (through ``group``), and ``other`` >
    ``other_child`` that are not; ``inside`` are contacts of the first three, ``outside`` of the others or of none."""

    group: str
    sub: str
    branch: str
    other: str
    other_child: str
    inside: tuple[str, str, str]
    outside: tuple[str, str, str]


INGEST = """mutation($r: [SourceRecordInput!]!) { ingestSourceRecords(records: $r) { results { customer { id } } } }"""
T0 = datetime(2026, 10, 1, tzinfo=UTC)


async def _customers(gql: GraphQL, count: int) -> list[str]:
    """New customers of this module's own (ingested, so both stores know them), each with a phone of its own."""
    run = uuid.uuid4().hex[:8]
    records = [
        {
            "system": "scope-test",
            "externalId": f"{run}-{n}",
            "observedAt": T0.isoformat(),
            "attributes": {"givenName": f"Scope{n}", "familyName": "Test", "city": "Hangzhou"},
            "identifiers": [{"type": "PHONE", "value": f"199{int(run, 16) % 10**4:04d}{n:04d}"}],
        }
        for n in range(count)
    ]
    results = (await gql.data(INGEST, r=records))["ingestSourceRecords"]["results"]
    return [r["customer"]["id"] for r in results]


async def _give_activity(pg: asyncpg.Connection, customer: str, n: int) -> None:
    """An order with a line, a ticket with a comment and an interaction, so that hiding the customer hides some."""
    cid = uuid.UUID(customer)
    order = await pg.fetchval(
        "INSERT INTO orders.orders (customer_id, channel, status, currency, subtotal, discount, shipping, total,"
        " placed_at, business_unit) VALUES ($1, 'online', 'paid', 'CNY', $2, 0, 0, $2, $3, 'ecommerce') RETURNING id",
        cid,
        100 + n,
        T0,
    )
    await pg.execute(
        "INSERT INTO orders.order_items (order_id, sku, name, quantity, unit_price) VALUES ($1, 'SKU-S', 'Tea', 1, $2)",
        order,
        100 + n,
    )
    ticket = await pg.fetchval(
        "INSERT INTO tickets.tickets (customer_id, subject, description, status, priority, channel, created_at,"
        " updated_at, sla_due_at, business_unit) VALUES ($1, 'Scope test', 'details', 'open', 'normal', 'web', $2, $2,"
        " $2, 'service') RETURNING id",
        cid,
        T0,
    )
    await pg.execute(
        "INSERT INTO tickets.ticket_comments (ticket_id, author, body, internal, created_at)"
        " VALUES ($1, 'customer', 'Hello', false, $2)",
        ticket,
        T0,
    )
    await pg.execute(
        "INSERT INTO interactions.interactions (customer_id, kind, channel, occurred_at, summary, payload,"
        " business_unit) VALUES ($1, 'call', 'call_center', $2, 'Called', '{}'::jsonb, 'service')",
        cid,
        T0,
    )


@pytest.fixture(scope="module")
async def world(gql: GraphQL, pg: asyncpg.Connection, graph: GraphStore) -> World:
    c1, c2, c3, c4, c5, c6 = await _customers(gql, 6)
    for n, customer in enumerate((c1, c2, c3, c4, c5, c6)):
        await _give_activity(pg, customer, n)
    group = await create_account(gql, "Scope Test Group")
    sub = await create_account(gql, "Scope Test Subsidiary", parent=group)
    branch = await create_account(gql, "Scope Test Branch", parent=sub)
    other = await create_account(gql, "Scope Test Other Group")
    other_child = await create_account(gql, "Scope Test Other Subsidiary", parent=other)
    for customer, account in (
        (c1, group),
        (c2, sub),
        (c3, branch),
        (c4, other),
        (c5, other_child),
        (c2, other),
    ):
        assert await add_contact(gql, customer, account)
    assert await link(gql, "HOUSEHOLD", c4, c1)  # c1's household holds c4, out of scope
    assert await link(gql, "REFERRAL", c4, c1)  # c1 was referred by c4
    assert await link(gql, "REFERRAL", c1, c5)  # c1 referred c5
    assert await link(gql, "REFERRAL", c2, c3)  # both in scope
    device = str(uuid.uuid4())
    await identity.load_links(
        graph,
        [
            {
                "customer": c,
                "type": "device_id",
                "value": device,
                "key": f"device_id:{device}",
                "raw": device,
                "source": "app",
                "observedAt": T0,
            }
            for c in (c1, c6)
        ],
    )
    return World(group, sub, branch, other, other_child, (c1, c2, c3), (c4, c5, c6))


def _as(world: World, role: str = "agent", accounts: list[str] | None = None) -> dict[str, str]:
    return auth.headers(
        (role,), subject=f"scoped-{role}", c360_accounts=accounts if accounts is not None else [world.group]
    )


async def _post(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, path: str = "/graphql", **variables: Any
) -> httpx.Response:
    response = await client.post(path, json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def _data(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, path: str = "/graphql", **variables: Any
) -> dict[str, Any]:
    body: dict[str, Any] = (await _post(client, headers, query, path, **variables)).json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def _visible_in_graph(graph: GraphStore, accounts: list[str]) -> set[str]:
    """Contacts of ``accounts`` and of every account below them, read straight from the graph."""
    records = await graph.read(
        "MATCH (top:Account) WHERE top.id IN $ids"
        " MATCH (top)<-[:SUBSIDIARY_OF*0..]-(:Account)<-[:WORKS_AT]-(c:Customer) RETURN DISTINCT c.id AS id",
        ids=accounts,
    )
    return {r["id"] for r in records}


async def _listed(client: httpx.AsyncClient, headers: dict[str, str], filter: dict[str, Any]) -> list[str]:
    """Every customer of ``customers(filter)``, page by page, with totalCount checked against the list."""
    query = """query($after: String, $filter: CustomerFilter) { customers(first: 2, after: $after, filter: $filter) {
      totalCount nodes { id } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await _data(client, headers, query, after=after, filter=filter))["customers"]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert page["totalCount"] == len(seen)
    return seen


async def test_a_sales_rep_lists_exactly_the_contacts_of_their_accounts(
    client: httpx.AsyncClient, graph: GraphStore, pg: asyncpg.Connection, world: World
) -> None:
    rep = _as(world, "sales")
    expected = await _visible_in_graph(graph, [world.group])
    assert expected == set(world.inside)
    listed = await _listed(client, rep, {})
    assert listed == sorted(expected)

    # Filters and counts see only the rows in scope too.
    tier = await pg.fetchval(
        "SELECT loyalty_tier FROM profiles.customers WHERE id = $1", uuid.UUID(world.inside[0])
    )
    in_tier = await pg.fetch(
        "SELECT id::text AS id FROM profiles.customers WHERE id = ANY($1::uuid[]) AND loyalty_tier = $2 ORDER BY id",
        list(world.inside),
        tier,
    )
    assert await _listed(client, rep, {"loyaltyTiers": [tier.upper()]}) == [r["id"] for r in in_tier]
    with_open = await pg.fetch(
        "SELECT DISTINCT customer_id::text AS id FROM tickets.tickets WHERE customer_id = ANY($1::uuid[])"
        " AND status IN ('open', 'pending') ORDER BY 1",
        list(world.inside),
    )
    assert await _listed(client, rep, {"hasOpenTickets": True}) == [r["id"] for r in with_open]


async def test_a_rep_of_the_seeded_groups_sees_the_contacts_the_graph_has(
    client: httpx.AsyncClient, graph: GraphStore
) -> None:
    tops = [
        r["id"]
        for r in await graph.read(
            "MATCH (a:Account {source: 'seed'}) WHERE NOT (a)-[:SUBSIDIARY_OF]->() RETURN a.id AS id ORDER BY id"
        )
    ]
    expected = await _visible_in_graph(graph, tops)
    assert expected, "the seeded accounts have contacts"
    rep = auth.headers(("sales",), subject="seed-rep", c360_accounts=tops)
    assert await _listed(client, rep, {}) == sorted(expected)
    everyone = (await _data(client, auth.headers(), "{ customers(first: 1) { totalCount } }"))["customers"]
    assert everyone["totalCount"] > len(expected)


ROOTS = {
    "customer": """query($id: ID!) { customer(id: $id) {
      id fullName city loyaltyTier orderCount lifetimeValue openTicketCount
      orders(first: 3) { nodes { id total } } tickets { id subject } interactions(first: 3) { nodes { id kind } }
      household { id memberCount } accounts { title account { id } } referredBy { campaign }
      referrals { campaign } sharedIdentifiers { type } related(maxDepth: 2) { distance customer { id } }
    } }""",
    "order": """query($id: ID!) { order(id: $id) {
      id total status businessUnit items { sku quantity } customer { id fullName } } }""",
    "ticket": """query($id: ID!) { ticket(id: $id) {
      id subject status businessUnit comments { body } customer { id fullName } } }""",
    "interaction": """query($id: ID!) { interaction(id: $id) { id kind businessUnit customer { id fullName } } }""",
    "account": """query($id: ID!) { account(id: $id) {
      id name parent { id } children { id } ancestors { id } lifetimeValue openTicketCount
      contacts(first: 5, includeDescendants: true) { nodes { title customer { id } account { id } } } } }""",
}
TABLES = {"order": "orders.orders", "ticket": "tickets.tickets", "interaction": "interactions.interactions"}


async def _row_of(pg: asyncpg.Connection, kind: str, customer: str) -> str:
    found = await pg.fetchval(
        f"SELECT min(id)::text FROM {TABLES[kind]} WHERE customer_id = $1", uuid.UUID(customer)
    )
    assert found is not None
    return str(found)


@pytest.mark.parametrize("kind", list(ROOTS))
async def test_root_fields_answer_out_of_scope_ids_like_absent_ones(
    client: httpx.AsyncClient, pg: asyncpg.Connection, world: World, kind: str
) -> None:
    agent = _as(world)
    if kind == "customer":
        inside, outside, absent = world.inside[0], world.outside[0], str(uuid.uuid4())
    elif kind == "account":
        inside, outside, absent = world.sub, world.other, str(uuid.uuid4())
    else:
        inside = await _row_of(pg, kind, world.inside[0])
        outside, absent = await _row_of(pg, kind, world.outside[0]), "9100000001"
    seen = (await _post(client, agent, ROOTS[kind], id=inside)).json()
    assert "errors" not in seen
    assert seen["data"][kind] is not None
    hidden = await _post(client, agent, ROOTS[kind], id=outside)
    missing = await _post(client, agent, ROOTS[kind], id=absent)
    assert hidden.content == missing.content == f'{{"data":{{"{kind}":null}}}}'.encode()
    # The same id is there for a caller not limited to accounts.
    assert (await _data(client, auth.headers(), ROOTS[kind], id=outside))[kind] is not None


async def test_lookup_by_identifier_answers_out_of_scope_like_absent(
    client: httpx.AsyncClient, graph: GraphStore, world: World
) -> None:
    phones = await graph.read(
        "MATCH (c:Customer)-[:HAS_IDENTIFIER]->(i:Identifier {type: 'phone'}) WHERE c.id IN $ids"
        " RETURN c.id AS id, i.value AS value",
        ids=[world.inside[0], world.outside[0]],
    )
    phone = {r["id"]: r["value"] for r in phones}
    assert not await graph.read("MATCH (i:Identifier {type: 'phone', value: $v}) RETURN i", v=ABSENT_PHONE)
    query = """query($v: String!) { customerByIdentifier(type: PHONE, value: $v) { id fullName } }"""
    agent = _as(world)
    found = await _data(client, agent, query, v=phone[world.inside[0]])
    assert found["customerByIdentifier"]["id"] == world.inside[0]
    hidden = await _post(client, agent, query, v=phone[world.outside[0]])
    missing = await _post(client, agent, query, v=ABSENT_PHONE)
    assert hidden.content == missing.content == b'{"data":{"customerByIdentifier":null}}'


async def _out_of_scope_ids(pg: asyncpg.Connection, graph: GraphStore, world: World) -> dict[str, list[str]]:
    """20 ids of each kind the scoped caller may not see (repeated where fewer exist)."""
    found: dict[str, list[str]] = {
        "customer": [
            r["id"]
            for r in await pg.fetch(
                "SELECT id::text AS id FROM profiles.customers WHERE NOT id = ANY($1::uuid[]) ORDER BY id LIMIT 20",
                list(world.inside),
            )
        ]
    }
    for kind, table in TABLES.items():
        found[kind] = [
            str(r["id"])
            for r in await pg.fetch(
                f"SELECT id FROM {table} WHERE NOT customer_id = ANY($1::uuid[]) ORDER BY id LIMIT 20",
                list(world.inside),
            )
        ]
    accounts = [
        r["id"]
        for r in await graph.read(
            "MATCH (a:Account) WHERE NOT a.id IN $mine RETURN a.id AS id ORDER BY id LIMIT 20",
            mine=[world.group, world.sub, world.branch],
        )
    ]
    found["account"] = [accounts[i % len(accounts)] for i in range(20)]
    assert all(len(ids) == 20 for ids in found.values())
    return found


def _absent_ids() -> dict[str, list[str]]:
    return {
        kind: [
            str(uuid.uuid4()) if kind in ("customer", "account") else str(9_100_000_000 + i)
            for i in range(20)
        ]
        for kind in ROOTS
    }


def _batch(ids: dict[str, list[str]]) -> str:
    """One document with 100 aliased lookups: 20 of each root field, each with a nested selection."""
    selection = {
        "customer": "id fullName orderCount orders(first: 2) { nodes { id } } household { id }",
        "order": "id total customer { id }",
        "ticket": "id subject customer { id }",
        "interaction": "id kind customer { id }",
        "account": "id name children { id } contacts(first: 2) { nodes { customer { id } } }",
    }
    fields = [
        f'{kind}{n}: {kind}(id: "{value}") {{ {selection[kind]} }}'
        for kind, values in ids.items()
        for n, value in enumerate(values)
    ]
    assert len(fields) == 100
    return "{ " + "\n".join(fields) + " }"


@pytest.fixture(scope="module")
async def roomy(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API with room for 100 aliases in one document (the default limits refuse it before it runs)."""
    limits = {"max_aliases": 200, "max_fields": 5000, "max_query_tokens": 20_000, "max_query_cost": 10**7}
    async with in_process(settings.model_copy(update=limits), headers={}) as http:
        yield http


async def test_a_batch_of_100_aliased_out_of_scope_ids_answers_like_100_absent_ones(
    roomy: httpx.AsyncClient, pg: asyncpg.Connection, graph: GraphStore, world: World
) -> None:
    outside = await _out_of_scope_ids(pg, graph, world)
    agent = _as(world)
    hidden = await _post(roomy, agent, _batch(outside))
    missing = await _post(roomy, agent, _batch(_absent_ids()))
    assert hidden.content == missing.content
    data = hidden.json()["data"]
    assert len(data) == 100
    assert set(data.values()) == {None}  # 0 records
    # Unscoped, the same document finds all 100.
    everything = await _data(roomy, auth.headers(), _batch(outside))
    assert None not in everything.values()


ENTITIES = """query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { %s } } }"""
ENTITY_SELECTIONS = {
    "profiles": "id fullName city loyaltyTier",
    "orders": "id orderCount lifetimeValue lastOrderAt orders(first: 3) { nodes { id total customer { id } } }",
    "tickets": "id openTicketCount tickets { id subject customer { id } }",
    "interactions": "id interactions(first: 3) { nodes { id kind customer { id } } }",
    "relationships": (
        "id household { id memberCount members { customer { id } } } accounts { title account { id } }"
        " referredBy { referrer { id } } referrals { referred { id } } sharedIdentifiers { sharedWith { id } }"
        " related(maxDepth: 2) { customer { id } }"
    ),
}


def _anonymised(content: bytes, ids: list[str]) -> bytes:
    """The response with the i-th representation's id written as ``#i`` (entities echo the ids they were given)."""
    for n, value in enumerate(ids):
        content = content.replace(value.encode(), f"#{n}".encode())
    return content


@pytest.mark.parametrize("subgraph", list(ENTITY_SELECTIONS))
async def test_100_entities_out_of_scope_answer_like_100_absent_ones(
    client: httpx.AsyncClient, pg: asyncpg.Connection, world: World, subgraph: str
) -> None:
    """Out-of-scope customers with the most data of every kind (and relationships), as 100 representations."""
    rows = await pg.fetch(
        "SELECT c.id::text AS id FROM profiles.customers c WHERE NOT c.id = ANY($1::uuid[])"
        " ORDER BY (c.id = ANY($2::uuid[])) DESC,"
        " (SELECT count(*) FROM orders.orders o WHERE o.customer_id = c.id) DESC, c.id LIMIT 100",
        list(world.inside),
        list(world.outside),
    )
    outside = [r["id"] for r in rows]
    assert len(outside) == 100
    absent = [str(uuid.uuid4()) for _ in outside]
    path = f"/subgraphs/{subgraph}/graphql"
    query = ENTITIES % ENTITY_SELECTIONS[subgraph]
    agent = _as(world)
    hidden = await _post(
        client, agent, query, path, reps=[{"__typename": "Customer", "id": c} for c in outside]
    )
    missing = await _post(
        client, agent, query, path, reps=[{"__typename": "Customer", "id": c} for c in absent]
    )
    assert _anonymised(hidden.content, outside) == _anonymised(missing.content, absent)
    # The same representations do carry data for a caller not limited to accounts.
    everything = await _post(
        client, auth.headers(), query, path, reps=[{"__typename": "Customer", "id": c} for c in outside]
    )
    assert _anonymised(everything.content, outside) != _anonymised(missing.content, absent)
    inside = await _data(
        client, agent, query, path, reps=[{"__typename": "Customer", "id": c} for c in world.inside]
    )
    assert [e["id"] for e in inside["_entities"]] == list(world.inside)


async def test_account_entities_out_of_scope_answer_like_absent_ones(
    client: httpx.AsyncClient, graph: GraphStore, world: World
) -> None:
    accounts = [
        r["id"] for r in await graph.read("MATCH (a:Account) WHERE NOT a.id IN $mine RETURN a.id AS id ORDER BY id",
                                          mine=[world.group, world.sub, world.branch])
    ]  # fmt: skip
    outside = [accounts[i % len(accounts)] for i in range(100)]
    absent = [str(uuid.uuid4()) for _ in outside]
    query = """query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Account {
      id name parent { id } children { id } contacts(first: 3) { nodes { customer { id } } } } } }"""
    path = "/subgraphs/relationships/graphql"
    agent = _as(world)
    hidden = await _post(
        client, agent, query, path, reps=[{"__typename": "Account", "id": a} for a in outside]
    )
    missing = await _post(
        client, agent, query, path, reps=[{"__typename": "Account", "id": a} for a in absent]
    )
    assert hidden.content == missing.content
    assert set(hidden.json()["data"]["_entities"]) == {None}
    mine = await _data(client, agent, query, path, reps=[{"__typename": "Account", "id": world.sub}])
    assert mine["_entities"][0]["children"] == [{"id": world.branch}]


async def test_nested_edges_leave_out_what_is_out_of_scope(
    client: httpx.AsyncClient, gql: GraphQL, world: World
) -> None:
    c1, c2, c3 = world.inside
    c4, c5, c6 = world.outside
    query = """query($id: ID!) { customer(id: $id) {
      household { memberCount members { role customer { id } } }
      accounts { account { id parent { id } ancestors { id } } }
      referredBy { referrer { id } }
      referrals { referred { id } }
      sharedIdentifiers { sharedWithCount sharedWith { id } }
      related(maxDepth: 3) { distance customer { id } path { kind from { id } to { id } } }
    } }"""
    # What is really there, seen by a caller not limited to accounts.
    full = (await gql.data(query, id=c1))["customer"]
    assert {m["customer"]["id"] for m in full["household"]["members"]} == {c1, c4}
    assert full["referredBy"] == {"referrer": {"id": c4}}
    assert full["referrals"] == [{"referred": {"id": c5}}]
    assert full["sharedIdentifiers"][0]["sharedWith"] == [{"id": c6}]
    assert {c4, c5, c6} <= {r["customer"]["id"] for r in full["related"]}

    agent = _as(world)
    seen = (await _data(client, agent, query, id=c1))["customer"]
    assert seen == {
        "household": {"memberCount": 1, "members": [{"role": "HEAD", "customer": {"id": c1}}]},
        "accounts": [{"account": {"id": world.group, "parent": None, "ancestors": []}}],
        "referredBy": None,
        "referrals": [],
        "sharedIdentifiers": [],
        "related": [],
    }
    # c2 also works at the other group, which also employs c4: neither that account nor c4 shows.
    seen = (await _data(client, agent, query, id=c2))["customer"]
    assert seen["accounts"] == [
        {"account": {"id": world.sub, "parent": {"id": world.group}, "ancestors": [{"id": world.group}]}}
    ]
    assert seen["related"] == [
        {
            "distance": 1,
            "customer": {"id": c3},
            "path": [{"kind": "REFERRAL", "from": {"id": c2}, "to": {"id": c3}}],
        }
    ]
    full = (await gql.data(query, id=c2))["customer"]
    assert c4 in {r["customer"]["id"] for r in full["related"]}


async def test_accounts_are_scoped_at_every_level(client: httpx.AsyncClient, world: World) -> None:
    c1, c2, c3 = world.inside
    rep = _as(world, "sales")
    listed = await _data(client, rep, "{ accounts(first: 100) { nodes { id } } }")
    assert {n["id"] for n in listed["accounts"]["nodes"]} == {world.group, world.sub, world.branch}
    assert (
        await _data(client, rep, '{ accounts(first: 5, search: "scope test other") { nodes { id } } }')
    ) == {"accounts": {"nodes": []}}
    query = """query($id: ID!) { account(id: $id) {
      parent { id } ancestors { id } children { id children { id } }
      contacts(first: 10, includeDescendants: true) { nodes { customer { id } account { id } } } } }"""
    top = (await _data(client, rep, query, id=world.group))["account"]
    assert top["children"] == [{"id": world.sub, "children": [{"id": world.branch}]}]
    assert [n["customer"]["id"] for n in top["contacts"]["nodes"]] == sorted(world.inside)
    # A rep assigned the subsidiary alone sees it as a top-level account: the group above is absent.
    narrow = _as(world, "sales", [world.sub])
    sub = (await _data(client, narrow, query, id=world.sub))["account"]
    assert (sub["parent"], sub["ancestors"]) == (None, [])
    assert sorted(n["customer"]["id"] for n in sub["contacts"]["nodes"]) == sorted([c2, c3])
    assert (await _data(client, narrow, query, id=world.group)) == {"account": None}
    branch = await _data(
        client,
        narrow,
        "query($id: ID!) { customer(id: $id) { accounts { account { id ancestors { id } } } } }",
        id=c3,
    )
    assert branch["customer"]["accounts"] == [
        {"account": {"id": world.branch, "ancestors": [{"id": world.sub}]}}
    ]
    assert (await _data(client, narrow, ONE_CUSTOMER, id=c1)) == {"customer": None}


async def test_an_empty_assignment_sees_nothing(client: httpx.AsyncClient, world: World) -> None:
    nobody = _as(world, "sales", [])
    data = await _data(
        client,
        nobody,
        "{ customers(first: 5) { totalCount nodes { id } } accounts(first: 5) { nodes { id } } }",
    )
    assert data == {"customers": {"totalCount": 0, "nodes": []}, "accounts": {"nodes": []}}


LIST_360 = """query($first: Int!) { customers(first: $first) { edges { node {
  id fullName
  identifiers { type value }
  orders(first: 5) { nodes { id total items { sku quantity } } }
  openTickets: tickets(status: [OPEN, PENDING]) { id subject }
  interactions(first: 10) { nodes { kind occurredAt } }
} } } }"""


async def _counted(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any
) -> tuple[int, int, dict[str, Any]]:
    sql, cypher = ROUND_TRIPS.snapshot()
    data = await _data(client, headers, query, **variables)
    return ROUND_TRIPS.sql - sql, ROUND_TRIPS.cypher - cypher, data


@pytest.mark.parametrize("first", [1, 3])
async def test_scoping_costs_one_cypher_call_whatever_the_page_size(
    client: httpx.AsyncClient, world: World, first: int
) -> None:
    """The unscoped 360 list costs 2 statements (one compiled statement, and its audit record) and no Cypher call
    (tests/api/test_round_trips.py); scoped, the visible set is one Cypher call, once per request, and no
    statement more."""
    sql, cypher, data = await _counted(client, _as(world), LIST_360, first=first)
    nodes = [e["node"] for e in data["customers"]["edges"]]
    assert [n["id"] for n in nodes] == sorted(world.inside)[:first]
    assert all(n["orders"]["nodes"] and n["interactions"]["nodes"] for n in nodes)
    assert (sql, cypher) == (2, 1)
    # A root field alone: one profile statement, the one scope call.
    sql, cypher, _ = await _counted(client, _as(world), ONE_CUSTOMER, id=world.inside[0])
    assert (sql, cypher) == (1, 1)


ADD_CONTACT = """mutation($c: ID!, $a: ID!) { addAccountContact(input: {customerId: $c, accountId: $a}) {
  changed customer { id } account { id } } }"""
REMOVE_CONTACT = """mutation($c: ID!, $a: ID!) { removeAccountContact(customerId: $c, accountId: $a) {
  changed customer { id } account { id } } }"""
CREATE_UNDER = """mutation($p: ID) { createAccount(input: {name: "Scope Test Written", parentId: $p}) { id parent { id } } }"""
UNMERGE = """mutation($c: ID!) { unmergeCustomer(input: {customerId: $c,
  sourceRecords: [{system: "crm", externalId: "scope-test"}]}) { customers { id } } }"""
LINK_REFERRAL = """mutation($a: ID!, $b: ID!) { linkCustomers(input: {kind: REFERRAL, customerId: $a, relatedCustomerId: $b}) {
  changed customer { id } relatedCustomer { id } } }"""


async def _graph_state(graph: GraphStore) -> tuple[int, int]:
    nodes = await graph.read("MATCH (n) RETURN count(n) AS n")
    links = await graph.read("MATCH ()-[r]->() RETURN count(r) AS n")
    return nodes[0]["n"], links[0]["n"]


async def test_writes_out_of_scope_are_refused_like_writes_on_absent_ids(
    client: httpx.AsyncClient, graph: GraphStore, world: World
) -> None:
    """Runs last in this module: its in-scope writes add an account under the rep's group."""
    rep, agent = _as(world, "sales"), _as(world)
    c1, c2, c3 = world.inside
    c4, _, c6 = world.outside
    ghost, ghost_account = str(uuid.uuid4()), str(uuid.uuid4())
    cases = [
        # (caller, mutation, variables out of scope, variables absent, the id that differs in each)
        (rep, ADD_CONTACT, {"c": c6, "a": world.group}, {"c": ghost, "a": world.group}, (c6, ghost)),
        (rep, ADD_CONTACT, {"c": c1, "a": world.other}, {"c": c1, "a": ghost_account}, (world.other, ghost_account)),
        (rep, REMOVE_CONTACT, {"c": c4, "a": world.other}, {"c": ghost, "a": world.other}, (c4, ghost)),
        (rep, CREATE_UNDER, {"p": world.other}, {"p": ghost_account}, (world.other, ghost_account)),
        (agent, LINK_REFERRAL, {"a": c1, "b": c6}, {"a": c1, "b": ghost}, (c6, ghost)),
        (_as(world, "steward"), UNMERGE, {"c": c6}, {"c": ghost}, (c6, ghost)),
    ]  # fmt: skip
    before = await _graph_state(graph)
    for headers, mutation, hidden_variables, absent_variables, (hidden_id, absent_id) in cases:
        hidden = await _post(client, headers, mutation, **hidden_variables)
        missing = await _post(client, headers, mutation, **absent_variables)
        assert hidden.content.replace(hidden_id.encode(), b"#") == missing.content.replace(
            absent_id.encode(), b"#"
        )
    assert await _graph_state(graph) == before
    contacts = await graph.read(
        "MATCH (:Customer {id: $c})-[w:WORKS_AT]->(:Account {id: $a}) RETURN count(w) AS n",
        c=c4,
        a=world.other,
    )
    assert contacts[0]["n"] == 1  # the out-of-scope contact the rep tried to remove is still there

    # An account without a parent would leave the rep's scope at once.
    refused = (await _post(client, rep, CREATE_UNDER, p=None)).json()
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert await _graph_state(graph) == before

    # Within the scope, writes work and their answers show what they wrote.
    added = await _data(client, rep, ADD_CONTACT, c=c3, a=world.sub)
    assert added["addAccountContact"] == {
        "changed": True,
        "customer": {"id": c3},
        "account": {"id": world.sub},
    }
    removed = await _data(client, rep, REMOVE_CONTACT, c=c3, a=world.sub)
    assert removed["removeAccountContact"]["changed"] is True
    created = (await _data(client, rep, CREATE_UNDER, p=world.branch))["createAccount"]
    assert created["parent"] == {"id": world.branch}
    listed = await _data(client, rep, "{ accounts(first: 100) { nodes { id } } }")
    assert created["id"] in {n["id"] for n in listed["accounts"]["nodes"]}
    assert (await _data(client, agent, LINK_REFERRAL, a=c1, b=c2))["linkCustomers"]["changed"] is True
