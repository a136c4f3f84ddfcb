"""The audit of personal data: 1,000 generated authorised requests across roles, documents and endpoints write
exactly the records the policy file says (one per request that shows unmasked contact PII or sensitive PI, or
changes customer data; none otherwise), with the right customers and classes and no personal value inside.

The expected records are computed here, from the policy file and what each document selects, with the data read
as the schemas' owner (PostgreSQL and Neo4j), never from the audit path of the API."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest

from core.metrics import ROUND_TRIPS
from core.settings import Settings
from graph_store.driver import GraphStore
from subgraphs.kit.classes import identifier_class
from tests import fixtures
from tests.audit_helpers import POLICY, Caller, Row, new_customers, rows, shown
from tests.servers import in_process

REQUESTS = 1000
ROLES = sorted(POLICY.roles)
HOUSEHOLD_NAME = "审计之家"
LATE = "<ingested>"
"""Stands for the customer an ingested record resolves to, looked up in the graph after the run."""


@pytest.fixture(scope="module")
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(settings, headers={}) as client:
        yield client


@pytest.fixture(scope="module")
def caller(http: httpx.AsyncClient) -> Caller:
    return Caller(http)


@dataclass
class World:
    """What the generated requests reach, read as the owner before they run."""

    viewable: list[str]
    birth_known: dict[str, bool]
    identifier_types: dict[str, list[str]]
    household: tuple[str, str]
    pairs: list[tuple[str, str]]
    contacts: list[str]
    account: str


async def _identifier_types(graph: GraphStore, customer: str) -> list[str]:
    found = await graph.read(
        "MATCH (:Customer {id: $id})-[:HAS_IDENTIFIER]->(i:Identifier) RETURN i.type AS type", id=customer
    )
    return [r["type"] for r in found]


@pytest.fixture(scope="module")
async def world(caller: Caller, pg: asyncpg.Connection, graph: GraphStore) -> World:
    generated = await pg.fetch(
        "SELECT id::text AS id, birth_date IS NOT NULL AS known FROM profiles.customers"
        " WHERE id <> ALL($1::uuid[]) ORDER BY id OFFSET 10 LIMIT 6",
        [fixtures.LI_LEI, fixtures.EMMA],
    )
    viewable = [fixtures.LI_LEI, fixtures.EMMA, *(r["id"] for r in generated)]
    birth = {
        r["id"]: r["known"]
        for r in await pg.fetch(
            "SELECT id::text AS id, birth_date IS NOT NULL AS known FROM profiles.customers"
            " WHERE id = ANY($1::uuid[])",
            viewable,
        )
    }
    assert birth[fixtures.LI_LEI]
    assert not birth[fixtures.EMMA]
    ours = await new_customers(caller, 10, "world")
    joiner, head = ours[:2]
    _, body = await caller.body(
        """mutation($a: ID!, $b: ID!, $n: String!) { linkCustomers(input: {kind: HOUSEHOLD, customerId: $a,
        relatedCustomerId: $b, householdName: $n, role: CHILD}) { changed } }""",
        a=joiner,
        b=head,
        n=HOUSEHOLD_NAME,
    )
    assert body["data"]["linkCustomers"]["changed"], body
    _, body = await caller.body('mutation { createAccount(input: {name: "Audit Trail Co"}) { id } }')
    paired = ours[2:8]
    return World(
        viewable=viewable,
        birth_known=birth,
        identifier_types={c: await _identifier_types(graph, c) for c in (fixtures.LI_LEI, fixtures.EMMA)},
        household=(joiner, head),
        pairs=list(zip(paired[::2], paired[1::2], strict=True)),
        contacts=ours[8:],
        account=body["data"]["createAccount"]["id"],
    )


@dataclass
class Call:
    """One generated request and what it shows, before the policy is applied."""

    operation: str
    """The root field the policy lists (``Query.customer``)."""
    query: str
    name: str | None
    fields: tuple[str, ...]
    variables: dict[str, Any] = field(default_factory=dict)
    path: str = "/graphql"
    reads: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    """(data class, customers) of the values of audited classes the document selects that are not null."""
    changes: tuple[str, ...] = ()
    ingested: str | None = None
    """The source record an ingest writes, whose customer replaces :data:`LATE` after the run."""

    @property
    def kind(self) -> str:
        return "mutation" if self.operation.startswith("Mutation.") else "read"


Maker = Callable[[random.Random, World, asyncpg.Connection, int], Awaitable[Call]]


async def customer_view(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    customer = rng.choice(w.viewable)
    path = rng.choice(["/graphql", "/subgraphs/profiles/graphql"])
    return Call(
        "Query.customer",
        "query CustomerView($id: ID!) { customer(id: $id) { id loyaltyTier fullName city } }",
        "CustomerView",
        ("customer",),
        {"id": customer},
        path,
        reads=[("contact_pii", (customer,))],
    )


async def customer_birth(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    customer = rng.choice(w.viewable)
    return Call(
        "Query.customer",
        "query CustomerBirth($id: ID!) { customer(id: $id) { id birthDate } }",
        "CustomerBirth",
        ("customer",),
        {"id": customer},
        reads=[("sensitive_pi", (customer,))] if w.birth_known[customer] else [],  # a null shows nothing
    )


async def customer_profile(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    customer = rng.choice(w.viewable)
    reads: list[tuple[str, tuple[str, ...]]] = [("contact_pii", (customer,))]
    return Call(
        "Query.customer",
        "query CustomerProfile($id: ID!) { customer(id: $id) { fullName birthDate } }",
        "CustomerProfile",
        ("customer",),
        {"id": customer},
        reads=[*reads, ("sensitive_pi", (customer,))] if w.birth_known[customer] else reads,
    )


async def customer_page(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    first = rng.choice([3, 10, 25])
    listed = [
        r["id"]
        for r in await pg.fetch("SELECT id::text AS id FROM profiles.customers ORDER BY id LIMIT $1", first)
    ]
    return Call(
        "Query.customers",
        "query CustomerPage($first: Int!) { customers(first: $first) { nodes { id fullName } } }",
        "CustomerPage",
        ("customers",),
        {"first": first},
        reads=[("contact_pii", tuple(listed))],
    )


async def gold_cities(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    first = rng.choice([5, 20])
    found = await pg.fetch(
        "SELECT id::text AS id, city IS NOT NULL AS known FROM profiles.customers WHERE loyalty_tier = 'gold'"
        " ORDER BY id LIMIT $1",
        first,
    )
    with_city = tuple(r["id"] for r in found if r["known"])
    return Call(
        "Query.customers",
        "query GoldCities($first: Int!) { customers(first: $first, filter: {loyaltyTiers: [GOLD]}) { nodes { id city } } }",
        "GoldCities",
        ("customers",),
        {"first": first},
        reads=[("contact_pii", with_city)] if with_city else [],
    )


async def lookup(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    customer, phone = rng.choice([(fixtures.LI_LEI, "138 0013 8000"), (fixtures.EMMA, "13900139000")])
    reads: list[tuple[str, tuple[str, ...]]] = [("contact_pii", (customer,))]
    reads += [(identifier_class(t)[0], (customer,)) for t in w.identifier_types[customer]]
    return Call(
        "Query.customerByIdentifier",
        "query Lookup($v: String!) { customerByIdentifier(type: PHONE, value: $v) { id fullName identifiers { type value } } }",
        "Lookup",
        ("customerByIdentifier",),
        {"v": phone},
        reads=reads,
    )


async def pair(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    a, b = rng.sample(w.viewable, 2)
    return Call(
        "Query.customer",
        "query Pair($a: ID!, $b: ID!) { named: customer(id: $a) { fullName } bare: customer(id: $b) { id } }",
        "Pair",
        ("customer",),
        {"a": a, "b": b},
        reads=[("contact_pii", (a,))],
    )


async def order_customer(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    return Call(
        "Query.order",
        'query OrderCustomer { order(id: "900002") { id total customer { id fullName } } }',
        "OrderCustomer",
        ("order",),
        reads=[("contact_pii", (fixtures.LI_LEI,))],
    )


async def order_in_its_subgraph(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    """The orders subgraph holds no personal data: its customer is a key."""
    return Call(
        "Query.order",
        'query OrderRef { order(id: "900002") { id total customer { id } } }',
        "OrderRef",
        ("order",),
        path="/subgraphs/orders/graphql",
    )


async def ticket(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    return Call(
        "Query.ticket",
        '{ ticket(id: "800001") { id subject customer { fullName } } }',
        None,
        ("ticket",),
        reads=[("contact_pii", (fixtures.LI_LEI,))],
    )


async def figures(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    """Public and financial fields only: financial values are not audited."""
    return Call(
        "Query.customers",
        "query Figures { customers(first: 10) { nodes { id loyaltyTier loyaltyPoints lifetimeValue } } }",
        "Figures",
        ("customers",),
    )


async def entities(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    chosen = rng.sample(w.viewable, 2)
    return Call(
        "Query._entities",
        "query Entities($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { id fullName } } }",
        "Entities",
        ("_entities",),
        {"reps": [{"__typename": "Customer", "id": c} for c in chosen]},
        "/subgraphs/profiles/graphql",
        reads=[("contact_pii", tuple(chosen))],
    )


async def household_entities(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    return Call(
        "Query._entities",
        "query Households($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { id household { id name } } } }",
        "Households",
        ("_entities",),
        {"reps": [{"__typename": "Customer", "id": rng.choice(w.household)}]},
        "/subgraphs/relationships/graphql",
        reads=[("contact_pii", w.household)],  # a household's name is every member's
    )


async def household(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    return Call(
        "Query.customer",
        "query Household($id: ID!) { customer(id: $id) { id household { name members { role customer { id } } } } }",
        "Household",
        ("customer",),
        {"id": rng.choice(w.household)},
        reads=[("contact_pii", w.household)],
    )


LINK = """mutation Link($a: ID!, $b: ID!) { linkCustomers(input: {kind: REFERRAL, customerId: $a,
  relatedCustomerId: $b}) { changed } }"""
LINK_SHOWN = """mutation LinkShown($a: ID!, $b: ID!) { linkCustomers(input: {kind: REFERRAL, customerId: $a,
  relatedCustomerId: $b}) { changed customer { fullName } relatedCustomer { id } } }"""
UNLINK = """mutation Unlink($a: ID!, $b: ID!) { unlinkCustomers(input: {kind: REFERRAL, customerId: $a,
  relatedCustomerId: $b}) { changed } }"""


async def link(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    a, b = rng.choice(w.pairs)
    shown_too = rng.random() < 0.5
    return Call(
        "Mutation.linkCustomers",
        LINK_SHOWN if shown_too else LINK,
        "LinkShown" if shown_too else "Link",
        ("linkCustomers",),
        {"a": a, "b": b},
        reads=[("contact_pii", (a,))] if shown_too else [],
        changes=(a, b),
    )


async def unlink(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    a, b = rng.choice(w.pairs)
    return Call(
        "Mutation.unlinkCustomers", UNLINK, "Unlink", ("unlinkCustomers",), {"a": a, "b": b}, changes=(a, b)
    )


async def contact(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
    customer = rng.choice(w.contacts)
    if rng.random() < 0.5:
        return Call(
            "Mutation.addAccountContact",
            'mutation AddContact($c: ID!, $a: ID!) { addAccountContact(input: {customerId: $c, accountId: $a, title: "Buyer"}) { changed } }',
            "AddContact",
            ("addAccountContact",),
            {"c": customer, "a": w.account},
            changes=(customer,),
        )
    return Call(
        "Mutation.removeAccountContact",
        "mutation RemoveContact($c: ID!, $a: ID!) { removeAccountContact(customerId: $c, accountId: $a) { changed } }",
        "RemoveContact",
        ("removeAccountContact",),
        {"c": customer, "a": w.account},
        changes=(customer,),
    )


INGEST = """mutation Ingest($r: [SourceRecordInput!]!) { ingestSourceRecords(records: $r) {
  results { status customer { id } } } }"""
INGEST_SHOWN = """mutation IngestShown($r: [SourceRecordInput!]!) { ingestSourceRecords(records: $r) {
  results { status customer { id fullName } } } }"""


def _record(run: str, i: int) -> dict[str, Any]:
    return {
        "system": "audit-trail",
        "externalId": f"{run}-{i}",
        "observedAt": "2026-11-01T08:00:00Z",
        "attributes": {"givenName": "Ada", "familyName": f"Audit{i:04d}"},
        "identifiers": [{"type": "EMAIL", "value": f"ada.{run}.{i}@example.cn"}],
    }


def ingest(run: str) -> Maker:
    async def make(rng: random.Random, w: World, pg: asyncpg.Connection, i: int) -> Call:
        shown_too = rng.random() < 0.5
        return Call(
            "Mutation.ingestSourceRecords",
            INGEST_SHOWN if shown_too else INGEST,
            "IngestShown" if shown_too else "Ingest",
            ("ingestSourceRecords",),
            {"r": [_record(run, i)]},
            reads=[("contact_pii", (LATE,))] if shown_too else [],
            changes=(LATE,),
            ingested=f"audit-trail:{run}-{i}",
        )

    return make


def _roles(rng: random.Random, operation: str) -> tuple[str, ...]:
    """An authorised caller: one role the operation allows, sometimes with a second role of any kind."""
    allowed = [r for r in ROLES if POLICY.allows(operation, frozenset({r}))]
    first = rng.choice(allowed)
    second = rng.choice(ROLES) if rng.random() < 0.15 else first
    return tuple(sorted({first, second}))


def expected_row(request_id: str, call: Call, roles: tuple[str, ...], ingested: dict[str, str]) -> Row | None:
    def real(ids: tuple[str, ...]) -> set[str]:
        return {ingested[call.ingested] if c == LATE and call.ingested else c for c in ids}

    who = frozenset(roles)
    visible = [(data_class, ids) for data_class, ids in call.reads if ids and shown(who, data_class)]
    if not visible and not call.changes:
        return None
    customers = set().union(*(real(ids) for _, ids in visible), real(call.changes))
    return Row(
        request_id,
        f"audit-{'+'.join(roles)}",
        roles,
        call.name,
        call.fields,
        call.kind,
        tuple(sorted(customers)),
        tuple(sorted({data_class for data_class, _ in visible})),
        call.path,
    )


async def _ingested_customers(graph: GraphStore, keys: list[str]) -> dict[str, str]:
    found = await graph.read(
        "UNWIND $keys AS key MATCH (:SourceRecord {key: key})-[:RESOLVES_TO]->(c:Customer) RETURN key, c.id AS id",
        keys=keys,
    )
    return {r["key"]: r["id"] for r in found}


async def _personal_values(pg: asyncpg.Connection, graph: GraphStore, customers: set[str]) -> set[str]:
    """Every personal value of these customers that could be told apart inside an audit column."""
    values: set[str] = set()
    for r in await pg.fetch(
        "SELECT full_name, given_name, family_name, city, birth_date::text AS birth FROM profiles.customers"
        " WHERE id = ANY($1::uuid[])",
        list(customers),
    ):
        values.update(v for v in r.values() if v)
    for r in await graph.read(
        "UNWIND $ids AS id MATCH (:Customer {id: id})-[:HAS_IDENTIFIER]->(i:Identifier) RETURN i.value AS value",
        ids=list(customers),
    ):
        values.add(r["value"])
    values.add(HOUSEHOLD_NAME)
    # Short Latin words (a given name such as "Li") could be part of an operation's name; names in Chinese cannot.
    return {v for v in values if len(v) >= 4 or not v.isascii()}


async def test_generated_requests_write_exactly_the_expected_records(
    caller: Caller, world: World, pg: asyncpg.Connection, graph: GraphStore
) -> None:
    rng = random.Random(360)
    makers: list[tuple[Maker, int]] = [
        (customer_view, 14), (customer_birth, 6), (customer_profile, 4), (customer_page, 8), (gold_cities, 4), (lookup, 8),
        (pair, 5), (order_customer, 5), (order_in_its_subgraph, 3), (ticket, 5), (figures, 5),
        (entities, 6), (household_entities, 5), (household, 4), (link, 6), (unlink, 4), (contact, 5),
        (ingest(caller.run), 5),
    ]  # fmt: skip
    population, weights = zip(*makers, strict=True)
    sent: list[tuple[str, Call, tuple[str, ...]]] = []
    for i in range(REQUESTS):
        make = rng.choices(population, weights)[0]
        call = await make(rng, world, pg, i)
        roles = _roles(rng, call.operation)
        request_id, response = await caller.post(
            call.query, roles, f"audit-{'+'.join(roles)}", call.path, **call.variables
        )
        assert response.status_code == 200, response.text
        body = response.json()
        codes = {e["extensions"]["code"] for e in body.get("errors") or []}
        # Authorised requests answer; the only errors are values the policy withholds from these roles.
        assert codes <= {"FORBIDDEN"}, (call.name, roles, body["errors"])
        if call.kind == "mutation":
            assert body["data"][call.fields[0]] is not None, (call.name, roles, body["errors"])  # it ran
        sent.append((request_id, call, roles))

    keys = [call.ingested for _, call, _ in sent if call.ingested]
    ingested = await _ingested_customers(graph, keys)
    assert set(ingested) == set(keys)
    expected = {
        request_id: row
        for request_id, call, roles in sent
        if (row := expected_row(request_id, call, roles, ingested)) is not None
    }
    written = await rows(pg, [request_id for request_id, _, _ in sent])
    assert {r: len(found) for r, found in written.items() if len(found) != 1} == {}, "one record per request"
    actual = {r: found[0] for r, found in written.items()}
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    assert (missing, extra) == ([], [])
    assert [r for r in expected if expected[r] != actual[r]] == []
    # Both outcomes are well represented: the check above compares real records, not an empty table.
    assert 300 < len(expected) < REQUESTS - 100
    assert {row.kind for row in expected.values()} == {"read", "mutation"}
    assert {row.data_classes for row in expected.values()} == {
        (),  # mutations that showed no personal data
        ("contact_pii",),
        ("sensitive_pi",),
        ("contact_pii", "sensitive_pi"),
    }

    customers = {c for row in actual.values() for c in row.customer_ids}
    values = await _personal_values(pg, graph, customers) | {
        r["identifiers"][0]["value"] for _, call, _ in sent if call.ingested for r in call.variables["r"]
    }
    texts = [
        r["t"]
        for r in await pg.fetch(
            "SELECT r::text AS t FROM profiles.audit_records r WHERE request_id = ANY($1::text[])",
            list(actual),
        )
    ]
    assert len(values) > 50
    assert [(v, t) for t in texts for v in values if v in t] == [], "a personal value inside an audit record"


async def test_mutations_name_the_customers_they_change(
    caller: Caller, world: World, pg: asyncpg.Connection, graph: GraphStore
) -> None:
    run = caller.run
    steward = (("steward",), "audit-steward")
    first = _record(run, 9001)
    second = {
        **_record(run, 9002),
        "identifiers": [first["identifiers"][0], {"type": "PHONE", "value": "13912349002"}],
    }
    _, body = await caller.body(INGEST, roles=steward[0], subject=steward[1], r=[first, second])
    merged = {r["customer"]["id"] for r in body["data"]["ingestSourceRecords"]["results"]}
    assert len(merged) == 1  # the second record shares the first's e-mail: one customer
    (customer,) = merged

    split_id, body = await caller.body(
        """mutation Split($c: ID!, $s: String!, $e: String!) { unmergeCustomer(input: {customerId: $c,
        sourceRecords: [{system: $s, externalId: $e}]}) { customers { id } } }""",
        roles=steward[0],
        subject=steward[1],
        c=customer,
        s="audit-trail",
        e=second["externalId"],
    )
    assert "errors" not in body, body
    parts = await _ingested_customers(graph, [f"audit-trail:{run}-9001", f"audit-trail:{run}-9002"])
    assert len(set(parts.values())) == 2  # split in two

    account_id, body = await caller.body(
        'mutation NewAccount { createAccount(input: {name: "Audit Split Co"}) { id } }'
    )
    move_id, _ = await caller.body(
        "mutation Move($a: ID!) { moveAccount(accountId: $a, parentId: null) { changed } }",
        a=body["data"]["createAccount"]["id"],
    )
    refused_id, body = await caller.body(
        LINK, roles=("developer",), subject="audit-developer", a=world.pairs[0][0], b=world.pairs[0][1]
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    rejected_id, body = await caller.body(
        INGEST,
        roles=("integration",),
        subject="audit-integration",
        r=[{**_record(run, 9003), "attributes": {"gender": "robot"}}],
    )
    assert body["data"]["ingestSourceRecords"]["results"][0]["status"] == "REJECTED"

    written = await rows(pg, [split_id, account_id, move_id, refused_id, rejected_id])
    assert set(written) == {
        split_id
    }  # accounts alone, a refused call and a rejected record change no customer
    (row,) = written[split_id]
    assert (row.kind, row.operation, row.fields, row.subject) == (
        "mutation",
        "Split",
        ("unmergeCustomer",),
        "audit-steward",
    )
    assert row.customer_ids == tuple(sorted(set(parts.values())))
    assert row.data_classes == ()  # the answer showed ids only


async def test_the_audit_costs_one_statement_only_when_personal_data_is_shown(caller: Caller) -> None:
    async def cost(query: str, roles: tuple[str, ...]) -> int:
        before = ROUND_TRIPS.sql
        _, body = await caller.body(query, roles=roles, id=fixtures.LI_LEI)
        assert "errors" not in body, body
        return ROUND_TRIPS.sql - before

    public = "query($id: ID!) { customer(id: $id) { id loyaltyTier loyaltyPoints } }"
    named = "query($id: ID!) { customer(id: $id) { id loyaltyTier loyaltyPoints fullName city } }"
    assert await cost(public, ("admin",)) == 1  # the profile
    assert await cost(named, ("admin",)) == 2  # the profile and the audit record
    assert await cost(named, ("marketing",)) == 1  # masked names: nothing to audit


async def test_concurrent_requests_each_have_their_own_record(caller: Caller, pg: asyncpg.Connection) -> None:
    """Records of concurrent requests are written in groups (``core.audit.GroupCommit``): each request's record
    still names exactly its own customer, roles and operation, and each answer comes after its record."""
    customers = await new_customers(caller, 12, "concurrent")
    named = "query Named($id: ID!) { customer(id: $id) { id fullName } }"
    before = ROUND_TRIPS.sql
    sent = await asyncio.gather(
        *(caller.body(named, roles=("agent",), subject=f"agent-{n}", id=c) for n, c in enumerate(customers))
    )
    statements = ROUND_TRIPS.sql - before
    found = await rows(pg, [request_id for request_id, _ in sent])
    for n, ((request_id, body), customer) in enumerate(zip(sent, customers, strict=True)):
        assert body["data"]["customer"]["id"] == customer
        (row,) = found[request_id]
        assert (row.customer_ids, row.subject, row.roles) == ((customer,), f"agent-{n}", ("agent",))
        assert (row.operation, row.fields, row.data_classes) == ("Named", ("customer",), ("contact_pii",))
    # One statement per profile, and at most one per record (fewer when they were written together).
    assert len(customers) < statements <= 2 * len(customers)
