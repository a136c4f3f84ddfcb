"""Roles from the policy file: each root field and mutation answers only the roles it names; a refused mutation
answers FORBIDDEN and changes nothing in PostgreSQL or Neo4j."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from core.policy import Policy
from core.settings import PROJECT_ROOT, Settings
from graph_store.driver import GraphStore
from schema import unified_schema
from tests import auth, fixtures
from tests.conftest import FreshCustomers, NewCustomers

POLICY = Policy.load(PROJECT_ROOT / "config" / "policy.toml")
ROLES = sorted(POLICY.roles)
ACCOUNT = "0a1b2c3d-0000-4000-8000-00000000acc1"
SERVICE_WRITES = {
    "createTicket",
    "addTicketComment",
    "assignTicket",
    "transitionTicket",
    "changeTicketPriority",
}


def _mutations(a: str, b: str, ticket: str = "1") -> dict[str, tuple[str, dict[str, Any]]]:
    """One valid call of every mutation (a refusal must come before anything it would change)."""
    record = {"system": "crm", "externalId": "role-test-1", "observedAt": "2026-10-01T00:00:00Z",
              "identifiers": [{"type": "EMAIL", "value": "role.test@example.cn"}]}  # fmt: skip
    return {
        "ingestSourceRecords": (
            "mutation($r: [SourceRecordInput!]!) { ingestSourceRecords(records: $r) { created } }",
            {"r": [record]},
        ),
        "unmergeCustomer": (
            "mutation($a: ID!) { unmergeCustomer(input: {customerId: $a}) { customers { id } } }",
            {"a": a},
        ),
        "mergeCustomers": (
            "mutation($a: ID!, $b: ID!) { mergeCustomers(input: {customerId: $a, otherCustomerId: $b}) { applied } }",
            {"a": a, "b": b},
        ),
        "resolveMatchCandidate": (
            'mutation { resolveMatchCandidate(id: "9000000001", decision: KEEP_APART) { applied } }',
            {},
        ),
        "linkCustomers": (
            "mutation($a: ID!, $b: ID!) { linkCustomers(input: {kind: REFERRAL, customerId: $a, relatedCustomerId: $b}) { changed } }",
            {"a": a, "b": b},
        ),
        "unlinkCustomers": (
            "mutation($a: ID!, $b: ID!) { unlinkCustomers(input: {kind: REFERRAL, customerId: $a, relatedCustomerId: $b}) { changed } }",
            {"a": a, "b": b},
        ),
        "createAccount": ('mutation { createAccount(input: {name: "Role Test Co"}) { id } }', {}),
        "moveAccount": (
            "mutation($id: ID!) { moveAccount(accountId: $id, parentId: null) { changed } }",
            {"id": ACCOUNT},
        ),
        "addAccountContact": (
            "mutation($a: ID!, $id: ID!) { addAccountContact(input: {customerId: $a, accountId: $id}) { changed } }",
            {"a": a, "id": ACCOUNT},
        ),
        "setConsent": (
            "mutation($a: ID!) { setConsent(input: {customerId: $a, consent: {purpose: PROFILING, status: DENIED,"
            ' source: "crm", decidedAt: "2026-10-01T00:00:00Z"}}) { eventId } }',
            {"a": a},
        ),
        "removeAccountContact": (
            "mutation($a: ID!, $id: ID!) { removeAccountContact(customerId: $a, accountId: $id) { changed } }",
            {"a": a, "id": ACCOUNT},
        ),
        "createTicket": (
            'mutation($a: ID!) { createTicket(input: {customer: {id: $a}, channel: PHONE, subject: "Role test"}) { replayed } }',
            {"a": a},
        ),
        "addTicketComment": (
            'mutation($t: ID!) { addTicketComment(input: {ticketId: $t, body: "Role test"}) { replayed } }',
            {"t": ticket},
        ),
        "assignTicket": (
            'mutation($t: ID!) { assignTicket(input: {ticketId: $t, queue: "roles"}) { replayed } }',
            {"t": ticket},
        ),
        "transitionTicket": (
            "mutation($t: ID!) { transitionTicket(input: {ticketId: $t, to: OPEN}) { replayed } }",
            {"t": ticket},
        ),
        "logInteraction": (
            'mutation($a: ID!) { logInteraction(input: {customer: {id: $a}, kind: CALL, summary: "Role test"}) { replayed } }',
            {"a": a},
        ),
        "ingestOrders": (
            "mutation($o: [IngestOrderInput!]!) { ingestOrders(orders: $o) { results { outcome } } }",
            {
                "o": [
                    {
                        "system": "roles",
                        "externalId": f"role-{a}",
                        "customer": {"id": a},
                        "channel": "ONLINE",
                        "placedAt": "2026-11-01T00:00:00Z",
                        "items": [{"sku": "R", "name": "Role test", "quantity": 1, "unitPrice": "1.00"}],
                    }
                ]
            },
        ),
        "updateOrderStatus": (
            'mutation($a: String!) { updateOrderStatus(input: {system: "roles", externalId: $a, status: PAID})'
            " { changed } }",
            {"a": f"role-{a}"},
        ),
        "changeTicketPriority": (
            "mutation($t: ID!) { changeTicketPriority(input: {ticketId: $t, priority: LOW}) { replayed } }",
            {"t": ticket},
        ),
        # An id no customer has: the allowed role's call answers NOT_FOUND, so no erasure outlives the test.
        "eraseCustomer": (
            "mutation($a: ID!) { eraseCustomer(input: {customerId: $a}) { started } }",
            {"a": str(uuid.uuid5(uuid.NAMESPACE_URL, a))},
        ),
    }


async def _state(pg: asyncpg.Connection, graph: GraphStore) -> tuple[Any, ...]:
    """Everything a mutation could change, counted in both stores."""
    rows = await pg.fetchrow(
        "SELECT (SELECT count(*) FROM profiles.customers) a, (SELECT count(*) FROM profiles.customer_aliases) b,"
        " (SELECT count(*) FROM profiles.field_provenance) c, (SELECT count(*) FROM profiles.rejected_records) d,"
        " (SELECT max(updated_at) FROM profiles.customers) e,"
        " (SELECT count(*) FROM tickets.tickets) f, (SELECT max(updated_at) FROM tickets.tickets) g,"
        " (SELECT count(*) FROM tickets.ticket_events) h, (SELECT count(*) FROM tickets.outbox) i,"
        " (SELECT count(*) FROM interactions.interactions) j, (SELECT count(*) FROM interactions.outbox) k,"
        " (SELECT count(*) FROM orders.orders) l, (SELECT count(*) FROM orders.outbox) m,"
        " (SELECT max(updated_at) FROM orders.orders) n, (SELECT count(*) FROM profiles.consent_records) o,"
        " (SELECT count(*) FROM profiles.erasure_jobs) p, (SELECT count(*) FROM profiles.erasure_tombstones) q"
    )
    nodes = await graph.read("MATCH (n) RETURN count(n) AS n")
    links = await graph.read("MATCH ()-[r]->() RETURN count(r) AS n")
    return (*rows.values(), nodes[0]["n"], links[0]["n"])


def test_every_mutation_and_root_field_is_in_the_policy() -> None:
    schema = unified_schema(Settings(_env_file=None))._schema
    assert schema.mutation_type is not None
    listed = {name.split(".", 1)[1] for name in POLICY.operations if name.startswith("Mutation.")}
    assert set(schema.mutation_type.fields) == listed
    assert set(_mutations("a", "b")) == listed  # the refusal test below calls each of them


def test_a_root_field_missing_from_the_policy_stops_the_schema_from_building(tmp_path: Path) -> None:
    text = (PROJECT_ROOT / "config" / "policy.toml").read_text()
    partial = tmp_path / "policy.toml"
    partial.write_text("\n".join(line for line in text.splitlines() if not line.startswith('"Query.order"')))
    with pytest.raises(ValueError, match=r"Query\.order"):
        unified_schema(Settings(_env_file=None, policy_file=partial))


@pytest.mark.parametrize("mutation", sorted(_mutations("a", "b")))
async def test_every_mutation_is_refused_for_every_role_not_allowed(
    client: httpx.AsyncClient,
    pg: asyncpg.Connection,
    graph: GraphStore,
    fresh: FreshCustomers,
    customers: NewCustomers,
    mutation: str,
) -> None:
    # Writes about a customer's service history need only a golden record; identity writes, unrelated customers.
    a, b = await customers.take(2) if mutation in SERVICE_WRITES else fresh.take(2)
    ticket = await pg.fetchval(
        "INSERT INTO tickets.tickets (customer_id, subject, description, status, priority, channel, created_at,"
        " updated_at, sla_due_at, business_unit)"
        " VALUES ($1, 'Role test', '', 'new', 'normal', 'phone', now(), now(), now(), 'service')"
        " RETURNING id",
        uuid.UUID(a),
    )
    query, variables = _mutations(a, b, str(ticket))[mutation]
    refused = [role for role in ROLES if not POLICY.allows(f"Mutation.{mutation}", frozenset({role}))]
    assert refused  # every mutation is closed to someone
    before = await _state(pg, graph)
    for role in refused:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=auth.headers((role,))
        )
        body = response.json()
        assert response.status_code == 200
        assert body["data"] in (None, {mutation: None}), (role, body)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], (role, body)
        assert mutation in body["errors"][0]["message"]
    assert await _state(pg, graph) == before
    allowed = next(role for role in ROLES if role not in refused)
    body = (
        await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=auth.headers((allowed,))
        )
    ).json()
    assert "FORBIDDEN" not in [e["extensions"].get("code") for e in body.get("errors") or []], body


async def test_integration_ingests_but_does_not_browse(client: httpx.AsyncClient) -> None:
    integration = auth.headers(("integration",), subject="crm-connector")
    browse = await client.post(
        "/graphql", json={"query": "{ customers(first: 1) { totalCount } }"}, headers=integration
    )
    assert browse.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    lookup = {"query": f'{{ customer(id: "{fixtures.LI_LEI}") {{ fullName }} }}'}
    assert (await client.post("/graphql", json=lookup, headers=integration)).json()["data"] == {
        "customer": None
    }


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_reaches_exactly_its_root_fields(client: httpx.AsyncClient, role: str) -> None:
    queries = {
        "customers": "{ customers(first: 1) { totalCount } }",
        "rejectedRecords": "{ rejectedRecords(first: 1) { nodes { id } } }",
        "identityQuality": "{ identityQuality { customers } }",
        "order": '{ order(id: "900001") { id } }',
        "accounts": "{ accounts(first: 1) { nodes { id } } }",
    }
    for field, query in queries.items():
        body = (await client.post("/graphql", json={"query": query}, headers=auth.headers((role,)))).json()
        allowed = POLICY.allows(f"Query.{field}", frozenset({role}))
        codes = [e["extensions"]["code"] for e in body.get("errors") or []]
        assert (codes == []) == allowed, (role, field, body)
        if not allowed:
            assert codes == ["FORBIDDEN"]


async def test_a_token_without_roles_reaches_nothing(client: httpx.AsyncClient) -> None:
    body = (
        await client.post(
            "/graphql", json={"query": "{ customers(first: 1) { totalCount } }"}, headers=auth.headers(())
        )
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_searches_need_the_values_they_search_to_be_visible(client: httpx.AsyncClient) -> None:
    """Who sees names masked cannot filter by name; who may not read national ids cannot look one up."""
    by_name = {"query": '{ customers(first: 1, filter: {name: "李"}) { totalCount } }'}
    by_national_id = {
        "query": '{ customerByIdentifier(type: NATIONAL_ID, value: "110105199001011234") { id } }'
    }
    by_phone = {"query": '{ customerByIdentifier(type: PHONE, value: "13800138000") { id } }'}
    for role, request, allowed in (
        ("marketing", by_name, False),  # contact PII masked
        ("agent", by_name, True),
        ("agent", by_phone, True),
        ("sales", by_national_id, False),  # sensitive PI withheld
        ("agent", by_national_id, False),  # sensitive PI masked
        ("steward", by_national_id, True),
    ):
        body = (await client.post("/graphql", json=request, headers=auth.headers((role,)))).json()
        codes = [e["extensions"]["code"] for e in body.get("errors") or []]
        assert ("FORBIDDEN" not in codes) == allowed, (role, request, body)
