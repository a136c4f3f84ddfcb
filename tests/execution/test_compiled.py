"""Queries whose fields all read PostgreSQL rows run as one statement that builds their JSON in PostgreSQL
(``schema/execution/compiled.py``), and answer byte for byte as graphql-core does: the benchmark's pages, the
shapes a client may give them (aliases, fragments, directives, edges and page info, cursors, filters), scoped
callers, a merged-away id, bad input and an audit that cannot be written. Their audit records name what the
batch resolvers' run names."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import orjson

from bench.workload import API_TEXT
from core.settings import Settings
from schema.execution.counts import EXECUTIONS, STATEMENTS
from tests import auth, fixtures
from tests.audit_helpers import Caller, rows
from tests.conftest import GraphQL, NewCustomers
from tests.execution.differential import CLOCK_AT, Pair, pair
from tests.identity.test_ingest import ingest, record, unique
from tests.identity.test_merged_records import _order
from tests.servers import in_process

Q4 = API_TEXT["q4"].replace("first: 200", "first: 100")
"""The benchmark's summary page at the largest page the default settings allow."""
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }"
SHAPES: list[tuple[str, dict[str, Any]]] = [
    (
        """query($id: ID!) { a: customer(id: $id) { __typename ...Person } b: customer(id: $id) { name: fullName }
        } fragment Person on Customer { id givenName familyName birthDate gender status createdAt updatedAt
        loyaltyPoints region countryCode city }""",
        {"id": fixtures.LI_LEI},
    ),
    (
        f"""{{ customers(first: 3) {{ edges {{ cursor node {{ id orders(first: 2) {{ edges {{ cursor node {{ id
        total subtotal discount shipping channel storeCode placedAt updatedAt restricted businessUnit }} }}
        {PAGE_INFO} }} }} }} {PAGE_INFO} }} }}""",
        {},
    ),
    ("{ customers(first: 0) { totalCount nodes { id } " + PAGE_INFO + " } }", {}),
    (
        """query($id: ID!, $more: Boolean!) { customer(id: $id) { id lifetimeValue orderCount lastOrderAt
        openTicketCount orders(first: 50, status: [PAID, SHIPPED, DELIVERED]) @include(if: $more) {
          nodes { id status items { id sku name quantity unitPrice } } }
        tickets(status: [OPEN, PENDING, NEW], first: 2) @skip(if: $more) { id status priority channel queue
          createdAt resolvedAt } } }""",
        {"id": fixtures.LI_LEI, "more": True},
    ),
    (
        """query($id: ID!, $more: Boolean!) { customer(id: $id) { id orders(first: 1) @include(if: $more) {
        nodes { id } } tickets(first: 1) @skip(if: $more) { id subject } } }""",
        {"id": fixtures.EMMA, "more": False},
    ),
    ("""{ customers(first: 4) { nodes { id lifetimeValue orderCount lastOrderAt openTicketCount } } }""", {}),
    ('{ customer(id: "0a1b2c3d-0000-4000-8000-00000000dead") { id fullName } }', {}),
    (
        """{ customers(first: 5, filter: {loyaltyTiers: [GOLD, PLATINUM], hasOpenTickets: true}) {
        nodes { id loyaltyTier openTicketCount } pageInfo { hasNextPage endCursor } count: totalCount } }""",
        {},
    ),
    (
        """query($n: String!, $c: [String!]) { customers(first: 5, filter: {name: $n, cities: $c}) {
        totalCount nodes { id fullName city } } }""",
        {"n": "李", "c": ["Hangzhou", "Shanghai"]},
    ),
    (
        """query($p: String!) { customerByIdentifier(type: PHONE, value: $p) { id fullName
        tickets(first: 3) { id status } } }""",
        {"p": fixtures.LI_LEI_PHONE_FORMATS[-1]},
    ),
    (
        "query($id: ID!) { customer(id: $id) { orders(first: 1) { pageInfo { hasNextPage startCursor } } } }",
        {"id": fixtures.LI_LEI},
    ),
    # An empty page that selects no aggregate (its count, a constant) is still one object.
    (
        '{ customers(filter: {name: "no one is called this"}) { totalCount pageInfo { hasPreviousPage } } }',
        {},
    ),
]
REFUSED: list[tuple[str, dict[str, Any]]] = [
    ('{ customer(id: "not-a-uuid") { id } }', {}),
    ("{ customers(first: 100000) { nodes { id } } }", {}),
    ('{ customers(after: "%%%") { nodes { id } } }', {}),
    (
        'query($id: ID!) { customer(id: $id) { orders(after: "bm90IGEgY3Vyc29y") { nodes { id } } } }',
        {"id": fixtures.LI_LEI},
    ),
]
"""Input the resolvers refuse: the request runs by its plan, which reports the error as graphql-core does."""


def _compiled() -> int:
    return EXECUTIONS["compiled"]


async def test_the_benchmark_queries_cost_one_statement_and_their_audit(gql: GraphQL) -> None:
    """Q2, Q3 and Q4 (each page) run as one statement, plus the audit record of the names they show."""
    requests: list[tuple[str, dict[str, Any]]] = [
        (API_TEXT["q2"], {"id": fixtures.LI_LEI}),
        (API_TEXT["q3"], {"after": None}),
        (Q4, {"after": None}),
    ]
    for query, variables in requests:
        await gql.data(query, **variables)  # validated and planned once
        before = _compiled()
        sql, cypher, data = await gql.counted(query, **variables)
        assert (sql, cypher) == (2, 0), query
        assert _compiled() == before + 1
        page = data.get("customers")
        if page is not None:
            after = page["pageInfo"]["endCursor"]
            sql, cypher, following = await gql.counted(query, after=after)
            assert (sql, cypher) == (2, 0)
            first_ids = {n["id"] for n in page["nodes"]}
            assert following["customers"]["nodes"]
            assert first_ids.isdisjoint(n["id"] for n in following["customers"]["nodes"])


async def test_every_shape_answers_as_graphql_core(settings: Settings) -> None:
    before = _compiled()
    async with pair(settings) as both:
        for query, variables in SHAPES:
            await both.query(query, variables)
        # Walk one customer's orders by cursor, as a console would.
        answer = await _answer(
            both,
            "query($id: ID!) { customer(id: $id) { orders(first: 1) { pageInfo { endCursor } } } }",
            {"id": fixtures.LI_LEI},
        )
        cursor = answer["data"]["customer"]["orders"]["pageInfo"]["endCursor"]
        assert cursor
        await both.query(
            """query($id: ID!, $after: String!) { customer(id: $id) { orders(first: 5, after: $after) {
            nodes { id placedAt } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }""",
            {"id": fixtures.LI_LEI, "after": cursor},
        )
        # Callers whose rows are scoped: by business unit, and by the accounts assigned to them.
        for query, variables in SHAPES[1:6]:
            await both.query(query, variables, ("agent",), c360_business_units=["retail"])
        await both.query(SHAPES[5][0], {}, ("sales",), c360_accounts=["0a1b2c3d-0000-4000-8000-00000000beef"])
        # Names a marketing analyst sees masked: masked after the statement, as the field guards mask them.
        masked = _compiled()
        await both.query(API_TEXT["q3"], {"after": None}, ("marketing",))
        assert _compiled() - masked == 2
        compiled = _compiled() - before
        for query, variables in REFUSED:
            await both.query(query, variables)
        # A search on values the caller sees masked is refused, as the resolvers refuse it.
        await both.query(SHAPES[8][0], SHAPES[8][1], ("marketing",))
        outcome = both.outcome
    assert outcome.differences == [], "\n".join(outcome.differences[:3])
    assert outcome.fallbacks == {}, outcome
    assert outcome.with_errors >= len(REFUSED), outcome
    # Each document is sent twice to the planned app (strawberry's view, then the lean path).
    assert compiled >= 2 * (len(SHAPES) + 1 + 6 + 1), (compiled, dict(EXECUTIONS))


async def test_a_merged_away_id_answers_with_its_survivor(settings: Settings, gql: GraphQL) -> None:
    family = unique("Bing")
    ids = []
    for given in ("Ming", "Mei"):
        rec = record(
            "crm", unique("CM"), [("EMAIL", f"{unique(given)}@shop.cn")], given_name=given, family_name=family
        )
        ids.append((await ingest(gql, rec))["results"][0]["customer"]["id"])
    for customer, total in zip(ids, ("30.00", "12.50"), strict=True):
        await _order(gql, customer, total)
    merged = await gql.data(
        "mutation($a: ID!, $b: ID!) { mergeCustomers(input: {customerId: $a, otherCustomerId: $b}) { applied } }",
        a=ids[0],
        b=ids[1],
    )
    assert merged["mergeCustomers"]["applied"]
    view = """query($id: ID!) { customer(id: $id) { id fullName lifetimeValue orderCount
      orders(first: 5) { nodes { id total items { quantity unitPrice } } } } }"""
    before = _compiled()
    async with pair(settings) as both:
        for customer in ids:
            await both.query(view, {"id": customer})
        outcome = both.outcome
        answer = await _answer(both, view, {"id": ids[1]})
    assert outcome.differences == [], "\n".join(outcome.differences[:3])
    assert _compiled() - before >= 4
    survivor = answer["data"]["customer"]
    assert survivor["orderCount"] == 2
    assert survivor["lifetimeValue"] == "42.50"
    assert len(survivor["orders"]["nodes"]) == 2


async def test_the_audit_records_the_same_customers(settings: Settings, pg: asyncpg.Connection) -> None:
    sent: dict[bool, str] = {}
    for compiled in (True, False):
        update = {"compiled_sql": compiled, "relay_in_process": False}
        async with in_process(settings.model_copy(update=update), headers={}) as http:
            caller = Caller(http)
            before = _compiled()
            await caller.post(Q4, after=None)
            request_id, response = await caller.post(Q4, after=None)
            assert response.status_code == 200
            assert "errors" not in response.json()
            assert (_compiled() - before == 2) is compiled
            sent[compiled] = request_id
    found = await rows(pg, list(sent.values()))
    mine, theirs = found[sent[True]], found[sent[False]]
    assert len(mine) == len(theirs) == 1
    assert len(mine[0].customer_ids) == 100
    assert (mine[0].customer_ids, mine[0].data_classes, mine[0].fields, mine[0].operation) == (
        theirs[0].customer_ids,
        theirs[0].data_classes,
        theirs[0].fields,
        theirs[0].operation,
    )


async def test_values_are_withheld_as_before_when_the_audit_cannot_be_written(
    settings: Settings, pg: asyncpg.Connection
) -> None:
    query = API_TEXT["q3"]
    async with pair(settings) as both:
        await pg.execute("ALTER TABLE profiles.audit_records RENAME TO audit_records_away")
        try:
            before = _compiled()
            await both.query(query, {"after": None})
            compiled = _compiled() - before
            answer = await _answer(both, query, {"after": None})
        finally:
            await pg.execute("ALTER TABLE profiles.audit_records_away RENAME TO audit_records")
        outcome = both.outcome
    assert outcome.differences == [], "\n".join(outcome.differences[:3])
    assert compiled == 2
    nodes = answer["data"]["customers"]["nodes"]
    assert nodes
    assert all(n["fullName"] is None and n["id"] for n in nodes)
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"AUDIT_UNAVAILABLE"}
    assert len(answer["errors"]) == len(nodes)


async def _answer(
    both: Pair, query: str, variables: dict[str, Any], roles: tuple[str, ...] = ("admin",)
) -> dict[str, Any]:
    """The planned app's answer (the pair has compared it already, or the test reads what it holds)."""
    body = orjson.dumps({"query": query, "variables": variables})
    headers = {**auth.headers(roles), "content-type": "application/json"}
    answer: dict[str, Any] = (await both.planned.post("/graphql", content=body, headers=headers)).json()
    return answer


async def test_a_value_the_schema_cannot_show_is_reported_as_graphql_core_reports_it(
    settings: Settings, pg: asyncpg.Connection, customers: NewCustomers
) -> None:
    """A tier no enum value names fails the statement (its guard), and the plan reports the field's error."""
    (odd,) = await customers.take(1)
    await pg.execute("UPDATE profiles.customers SET loyalty_tier = 'diamond' WHERE id = $1", uuid.UUID(odd))
    try:
        before = EXECUTIONS.copy()
        async with pair(settings) as both:
            await both.query("query($id: ID!) { customer(id: $id) { id fullName loyaltyTier } }", {"id": odd})
            outcome = both.outcome
            answer = await _answer(
                both,
                "query($id: ID!) { customer(id: $id) { loyaltyTier } }",
                {"id": odd},
            )
        counted = EXECUTIONS - before
    finally:
        await pg.execute("DELETE FROM profiles.customers WHERE id = $1", uuid.UUID(odd))
    assert outcome.differences == [], "\n".join(outcome.differences[:3])
    assert outcome.with_errors == 1, outcome
    assert answer["data"] == {"customer": None}
    assert "diamond" in answer["errors"][0]["message"]
    assert counted["planned: compiled statement not run"] >= 3, counted
    assert counted["compiled"] == 0, counted


async def test_the_console_view_costs_one_statement(gql: GraphQL) -> None:
    """Q1 (profile, identifiers, orders with their lines, open tickets with their due times, interactions) is one
    statement, plus the audit record of the personal data it shows."""
    query = API_TEXT["q1"]
    await gql.data(query, id=fixtures.LI_LEI)
    before = _compiled()
    sql, cypher, data = await gql.counted(query, id=fixtures.LI_LEI)
    assert (sql, cypher) == (2, 0)
    assert _compiled() == before + 1
    view = data["customer"]
    assert view["identifiers"]
    assert view["orders"]["nodes"]
    assert view["interactions"]["nodes"]


async def test_an_agents_console_view_compiles_with_its_masks_and_refusals(settings: Settings) -> None:
    """An agent sees sensitive data masked: a national id masked after the statement, and a birth date (not a
    string, so not shown masked) null with the field guard's FORBIDDEN error at its path, as graphql-core says."""
    before = _compiled()
    async with pair(settings) as both:
        await both.query(API_TEXT["q1"], {"id": fixtures.LI_LEI}, ("agent",))
        await both.query(SHAPES[0][0], SHAPES[0][1], ("agent",))
        outcome = both.outcome
        answer = await _answer(both, API_TEXT["q1"], {"id": fixtures.LI_LEI}, ("agent",))
    assert outcome.differences == [], "\n".join(outcome.differences[:3])
    assert outcome.fallbacks == {}, outcome
    assert _compiled() - before == 5
    assert answer["data"]["customer"]["birthDate"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in answer["errors"]] == [
        (["customer", "birthDate"], "FORBIDDEN")
    ]
    assert answer["data"]["customer"]["fullName"] == "李雷"


IDENTIFIERS = "query($id: ID!) { customer(id: $id) { id identifiers { type value source observedAt } } }"


async def test_identifier_values_follow_their_types_policy(
    settings: Settings, pg: asyncpg.Connection, customers: NewCustomers
) -> None:
    """An identifier's value is shown, masked or withheld by its type's class: a compiled statement masks what the
    caller's roles see masked (an agent sees a national id masked, a phone unmasked) and audits what they see
    unmasked, as the field guards do; a role that may not see some type runs by its plan."""
    (customer,) = await customers.take(1)
    owner = uuid.UUID(customer)
    values = [
        ("phone", "+8613912345678"),
        ("email", "li.na@example.cn"),
        ("national_id", "110101199003074518"),
        ("device_id", "dev-8f2c"),
    ]
    await pg.executemany(
        "INSERT INTO profiles.customer_identifiers (customer_id, key, type, value, source, observed_at, rule)"
        " VALUES ($1, $2, $3, $4, 'crm', '2026-10-01T10:00:00.25+00', 'test')",
        [(owner, f"{kind}:{value}:{customer}", kind, value) for kind, value in values],
    )
    before = EXECUTIONS.copy()
    async with pair(settings) as both:
        for roles in (("admin",), ("agent",), ("steward",), ("sales",), ("marketing",)):
            await both.query(IDENTIFIERS, {"id": customer}, roles)
        outcome = both.outcome
        answer = await _answer(both, IDENTIFIERS, {"id": customer}, ("agent",))
    counted = EXECUTIONS - before
    assert outcome.differences == [], "\n".join(outcome.differences[:3])
    # Sales and marketing: a device id, a national id withheld.
    assert outcome.with_errors == 2, outcome
    # admin, agent and steward compile (each sent twice); sales and marketing may not see some type.
    assert counted["compiled"] == 2 * 3 + 1, counted
    shown = {i["type"]: i["value"] for i in answer["data"]["customer"]["identifiers"]}
    assert shown["PHONE"] == "+8613912345678"
    assert shown["NATIONAL_ID"] != "110101199003074518"
    assert shown["NATIONAL_ID"] == "110***********4518"
    assert shown["DEVICE_ID"] == "dev-8f2c"
    # The agent's phone and e-mail are contact data the audit notes, its masked national id is not; the
    # steward's national id is sensitive data it notes.
    for roles, classes in ((("agent",), ("contact_pii",)), (("steward",), ("contact_pii", "sensitive_pi"))):
        sent: dict[bool, str] = {}
        for compiled in (True, False):
            update = {"compiled_sql": compiled, "relay_in_process": False}
            async with in_process(settings.model_copy(update=update), headers={}) as http:
                request_id, response = await Caller(http).post(IDENTIFIERS, roles=roles, id=customer)
                assert response.status_code == 200
                assert "errors" not in response.json()
                sent[compiled] = request_id
        found = await rows(pg, list(sent.values()))
        mine, theirs = found[sent[True]], found[sent[False]]
        assert len(mine) == len(theirs) == 1
        assert tuple(sorted(mine[0].data_classes)) == tuple(sorted(theirs[0].data_classes)) == classes
        assert (mine[0].customer_ids, mine[0].fields) == (theirs[0].customer_ids, theirs[0].fields)


async def test_due_times_of_stopped_clocks_answer_as_the_resolvers_do(
    settings: Settings, pg: asyncpg.Connection, customers: NewCustomers
) -> None:
    """A ticket's due time is read in SQL when it is stored, and worked out on its target's calendar in Python when
    its clock is stopped (pending on the customer; a business-hours target for a normal ticket)."""
    (customer,) = await customers.take(1)
    owner = uuid.UUID(customer)
    created = CLOCK_AT - timedelta(days=3)
    stopped = CLOCK_AT - timedelta(days=1, hours=2)
    tickets = [
        # (status, priority, due, stopped, remaining seconds, resolved)
        ("open", "high", created + timedelta(hours=24), None, None, None),
        ("pending", "normal", None, stopped, 5400.25, None),
        ("pending", "urgent", None, stopped, 1800.0, None),
        ("resolved", "low", None, stopped, 7200.0, stopped),
        ("open", "normal", None, None, None, None),
    ]
    base = 830000 + uuid.uuid4().int % 100000 * 10
    await pg.executemany(
        "INSERT INTO tickets.tickets (id, customer_id, subject, description, status, priority, channel, created_at,"
        " updated_at, resolved_at, sla_due_at, sla_stopped_at, sla_remaining_seconds, business_unit)"
        " VALUES ($1, $2, 'Due', 'details', $3, $4, 'phone', $5, $5, $6, $7, $8, $9, 'service')",
        [
            (base + n, owner, status, priority, created + timedelta(minutes=n), resolved, due, at, left)
            for n, (status, priority, due, at, left, resolved) in enumerate(tickets)
        ],
    )
    query = "query($id: ID!) { customer(id: $id) { tickets { id status priority createdAt slaDueAt slaBreached } } }"
    before = _compiled()
    async with pair(settings) as both:
        await both.query(query, {"id": customer})
        await both.query(query, {"id": customer}, ("agent",), c360_business_units=["service"])
        outcome = both.outcome
        answer = await _answer(both, query, {"id": customer})
    assert outcome.differences == [], "\n".join(outcome.differences[:3])
    assert _compiled() - before == 5
    due = {int(t["id"]) - base: t["slaDueAt"] for t in answer["data"]["customer"]["tickets"]}
    assert len(due) == len(tickets)
    assert due[0] == (created + timedelta(hours=24)).isoformat()
    assert due[4] == (created + timedelta(minutes=4)).isoformat()  # no target: its creation
    # The urgent ticket's clock runs around the clock: 30 minutes from now.
    assert due[2] == (CLOCK_AT + timedelta(minutes=30)).isoformat()
    assert due[1] not in (None, due[4])
    breached = {int(t["id"]) - base: t["slaBreached"] for t in answer["data"]["customer"]["tickets"]}
    assert breached == {0: True, 1: False, 2: False, 3: False, 4: False}
    assert due[3] is not None


async def test_a_plans_statement_is_built_once_and_replayed_with_each_requests_arguments(
    settings: Settings, customers: NewCustomers
) -> None:
    """A plan's later requests reuse its statement's text with their own parameters (other customers, another
    cursor); a request whose arguments change the text (a page size, a page after a cursor) builds its own, kept
    beside the first. Every answer is graphql-core's."""
    view = """query($id: ID!, $first: Int, $after: String) { customer(id: $id) { id fullName openTicketCount
      orders(first: $first, after: $after) { nodes { id total } pageInfo { hasNextPage endCursor } } } }"""
    others = await customers.take(3)
    ids = [fixtures.LI_LEI, fixtures.EMMA, *others]
    async with pair(settings) as both:
        before = STATEMENTS.copy()
        for customer in ids:
            await both.query(view, {"id": customer, "first": 1})
        first_pages = STATEMENTS - before
        answer = await _answer(both, view, {"id": fixtures.LI_LEI, "first": 1})
        info = answer["data"]["customer"]["orders"]["pageInfo"]
        cursor = info["endCursor"]
        assert cursor
        assert info["hasNextPage"]
        before = STATEMENTS.copy()
        await both.query(view, {"id": fixtures.LI_LEI, "first": 1, "after": cursor})
        await both.query(view, {"id": fixtures.LI_LEI, "first": 2})
        await both.query(view, {"id": fixtures.EMMA, "first": 1})
        others_counted = STATEMENTS - before
        # Many shapes (each page size is its own text): each built once, each found again by its fingerprints.
        before = STATEMENTS.copy()
        for customer in (fixtures.LI_LEI, fixtures.EMMA):
            for size in range(3, 9):
                await both.query(view, {"id": customer, "first": size})
        many = STATEMENTS - before
        outcome = both.outcome
    assert outcome.differences == [], "\n".join(outcome.differences[:3])
    assert outcome.fallbacks == {}, outcome
    # Each document is sent twice to the planned app: the first request builds, the other nine replay.
    assert (first_pages["built"], first_pages["reused"]) == (1, 2 * len(ids) - 1), first_pages
    # After a cursor and a page of two differ in text (built once each, then replayed); the first shape is kept.
    assert (others_counted["built"], others_counted["reused"]) == (2, 4), others_counted
    assert (many["built"], many["reused"]) == (6, 18), many
