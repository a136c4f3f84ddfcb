"""Each subgraph is a federation v2 subgraph of its own, with Customer as its entity."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from core.metrics import ROUND_TRIPS
from schema import PARTS
from tests import fixtures
from tests.conftest import GraphQL


@pytest.mark.parametrize("name", list(PARTS))
async def test_sdl_declares_customer_entity(gql: GraphQL, name: str) -> None:
    data = await gql.data("{ _service { sdl } }", path=f"/subgraphs/{name}/graphql")
    sdl = data["_service"]["sdl"]
    assert 'type Customer @key(fields: "id")' in sdl
    assert "https://specs.apollo.dev/federation/v2.7" in sdl


async def test_subgraph_sdl_holds_only_its_own_customer_fields(gql: GraphQL) -> None:
    sdl = (await gql.data("{ _service { sdl } }", path="/subgraphs/orders/graphql"))["_service"]["sdl"]
    customer = sdl.split('type Customer @key(fields: "id") {', 1)[1].split("}", 1)[0]
    assert "orders(" in customer
    assert "lifetimeValue" in customer
    assert "fullName" not in customer
    assert "tickets" not in customer
    assert "identifiers" not in customer


ENTITIES = """query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { %s } } }"""


@pytest.mark.parametrize(
    ("name", "selection", "sql"),
    [
        ("profiles", "id fullName", 2),  # the profiles, and the audit record of the names
        # Each also asks which ids were merged into the customers, whose records count as theirs: one statement.
        ("orders", "id orderCount orders(first: 2) { nodes { id items { sku } } }", 4),
        ("tickets", "id openTicketCount", 2),
        ("interactions", "id interactions(first: 3) { nodes { id } }", 2),
    ],
)
async def test_entities_resolve_a_batch_in_one_round_trip_per_source(
    gql: GraphQL, pg: asyncpg.Connection, name: str, selection: str, sql: int
) -> None:
    ids = [str(r["id"]) for r in await pg.fetch("SELECT id FROM profiles.customers ORDER BY id LIMIT 30")]
    reps = [{"__typename": "Customer", "id": cid} for cid in ids]
    before = ROUND_TRIPS.snapshot()
    data = await gql.data(ENTITIES % selection, path=f"/subgraphs/{name}/graphql", reps=reps)
    assert (ROUND_TRIPS.sql - before[0], ROUND_TRIPS.cypher - before[1]) == (sql, 0)
    assert [entity["id"] for entity in data["_entities"]] == ids


async def test_profiles_entity_of_unknown_id_is_null(gql: GraphQL) -> None:
    reps = [
        {"__typename": "Customer", "id": fixtures.LI_LEI},
        {"__typename": "Customer", "id": "00000000-0000-4000-8000-00000000dead"},
    ]
    data = await gql.data(ENTITIES % "fullName", path="/subgraphs/profiles/graphql", reps=reps)
    assert data["_entities"] == [{"fullName": "李雷"}, None]


async def test_order_customer_is_a_reference_in_the_orders_subgraph(gql: GraphQL) -> None:
    data = await gql.data('{ order(id: "900001") { customer { id } } }', path="/subgraphs/orders/graphql")
    assert data["order"]["customer"] == {"id": fixtures.LI_LEI}


async def test_relationships_entities_batch_into_one_cypher_call_per_field(
    gql: GraphQL, pg: asyncpg.Connection
) -> None:
    ids = [str(r["id"]) for r in await pg.fetch("SELECT id FROM profiles.customers ORDER BY id LIMIT 30")]
    reps = [{"__typename": "Customer", "id": cid} for cid in ids]
    before = ROUND_TRIPS.snapshot()
    data = await gql.data(
        ENTITIES % "id household { id } referredBy { campaign }",
        path="/subgraphs/relationships/graphql",
        reps=reps,
    )
    assert (ROUND_TRIPS.sql - before[0], ROUND_TRIPS.cypher - before[1]) == (0, 2)
    assert [entity["id"] for entity in data["_entities"]] == ids


ACCOUNT_ENTITIES = (
    """query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Account { %s } } }"""
)


async def test_account_rollups_use_the_customers_the_gateway_supplies(
    gql: GraphQL, pg: asyncpg.Connection
) -> None:
    """Orders and tickets `@requires` the roll-up customers from the relationships subgraph; they never ask Neo4j."""
    listed = await gql.data(
        "{ accounts(first: 100) { nodes { id contacts(first: 1, includeDescendants: true) { nodes { title } } } } }",
        path="/subgraphs/relationships/graphql",
    )
    nodes = listed["accounts"]["nodes"]
    with_contacts = [n["id"] for n in nodes if n["contacts"]["nodes"]]
    without = [n["id"] for n in nodes if not n["contacts"]["nodes"]]
    account_ids = with_contacts[:3] + without[:1]
    reps = [{"__typename": "Account", "id": a} for a in account_ids]
    keyed = await gql.data(
        ACCOUNT_ENTITIES % "id rollupCustomerIds", path="/subgraphs/relationships/graphql", reps=reps
    )
    with_customers = [
        {"__typename": "Account", "id": e["id"], "rollupCustomerIds": e["rollupCustomerIds"]}
        for e in keyed["_entities"]
    ]
    assert any(e["rollupCustomerIds"] for e in with_customers)

    before = ROUND_TRIPS.snapshot()
    values = await gql.data(
        ACCOUNT_ENTITIES % "lifetimeValue", path="/subgraphs/orders/graphql", reps=with_customers
    )
    counts = await gql.data(
        ACCOUNT_ENTITIES % "openTicketCount", path="/subgraphs/tickets/graphql", reps=with_customers
    )
    # Per subgraph: the ids merged into the roll-up customers (their records count too), then the sums.
    assert (ROUND_TRIPS.sql - before[0], ROUND_TRIPS.cypher - before[1]) == (4, 0)

    for entity, count, account_id in zip(values["_entities"], counts["_entities"], account_ids, strict=True):
        unified = await gql.data(
            "query($id: ID!) { account(id: $id) { lifetimeValue openTicketCount } }", id=account_id
        )
        assert unified["account"] == {**entity, **count}
    for entity, rep in zip(values["_entities"], with_customers, strict=True):
        expected = await pg.fetchval(
            "SELECT coalesce(sum(total), 0) FROM orders.orders WHERE customer_id = ANY($1::uuid[])"
            " AND status NOT IN ('cancelled', 'refunded')",
            rep["rollupCustomerIds"],
        )
        assert Decimal(entity["lifetimeValue"]) == expected


async def test_rollup_plumbing_is_hidden_from_the_api(gql: GraphQL) -> None:
    sdl = (await gql.data("{ _service { sdl } }", path="/subgraphs/relationships/graphql"))["_service"]["sdl"]
    assert "rollupCustomerIds: [ID!]! @inaccessible" in sdl
    body = await gql("{ accounts(first: 1) { nodes { rollupCustomerIds } } }")
    assert "Cannot query field 'rollupCustomerIds'" in body["errors"][0]["message"]
