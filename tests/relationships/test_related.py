"""Referral chains, shared identifiers and `related` traversals with their paths, at depth 1, 2 and 3."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from graph_store import identity
from graph_store.driver import GraphStore
from tests.conftest import FreshCustomers, GraphQL
from tests.relationships.helpers import LINK, add_contact, create_account, link

REFERRALS = """query($id: ID!) { customer(id: $id) {
  referredBy { campaign referrer { id } referred { id } }
  referrals { campaign referred { id } }
} }"""

RELATED = """query($id: ID!, $kinds: [RelationKind!], $depth: Int!, $first: Int! = 20) { customer(id: $id) {
  related(kinds: $kinds, maxDepth: $depth, first: $first) {
    distance customer { id } path { kind via from { id } to { id } }
  } } }"""


async def _related(
    gql: GraphQL, customer: str, depth: int, kinds: list[str] | None = None
) -> list[dict[str, Any]]:
    data = await gql.data(RELATED, id=customer, kinds=kinds, depth=depth)
    related: list[dict[str, Any]] = data["customer"]["related"]
    return related


async def test_referral_chain(gql: GraphQL, fresh: FreshCustomers) -> None:
    a, b, c = fresh.take(3)
    assert await link(gql, "REFERRAL", a, b, campaign="cny-2026")
    assert await link(gql, "REFERRAL", b, c, campaign="member-day")
    assert await link(gql, "REFERRAL", b, c, campaign="member-day") is False

    mid = (await gql.data(REFERRALS, id=b))["customer"]
    assert mid["referredBy"] == {"campaign": "cny-2026", "referrer": {"id": a}, "referred": {"id": b}}
    assert mid["referrals"] == [{"campaign": "member-day", "referred": {"id": c}}]
    assert (await gql.data(REFERRALS, id=a))["customer"]["referredBy"] is None

    chain = await _related(gql, c, 2, ["REFERRAL"])
    assert [(r["customer"]["id"], r["distance"]) for r in chain] == [(b, 1), (a, 2)]
    assert [(s["from"]["id"], s["via"], s["to"]["id"]) for s in chain[1]["path"]] == [
        (c, "referred_by", b),
        (b, "referred_by", a),
    ]


async def test_referral_refusals(gql: GraphQL, fresh: FreshCustomers) -> None:
    a, b, c, d = fresh.take(4)
    await link(gql, "REFERRAL", a, b)
    await link(gql, "REFERRAL", b, c)
    cases = [
        ((a, a), "SELF_LINK"),
        ((d, b), "ALREADY_REFERRED"),
        ((c, a), "CYCLE"),
    ]
    for (referrer, referred), reason in cases:
        error = await gql.error(
            LINK, input={"kind": "REFERRAL", "customerId": referrer, "relatedCustomerId": referred}
        )
        assert error["extensions"] == {"code": "RELATIONSHIP_REFUSED", "reason": reason}
    assert (await gql.data(REFERRALS, id=a))["customer"]["referredBy"] is None
    assert (await gql.data(REFERRALS, id=b))["customer"]["referredBy"]["referrer"] == {"id": a}


async def test_shared_device_is_detected(gql: GraphQL, graph: GraphStore, fresh: FreshCustomers) -> None:
    a, b, c = fresh.take(3)
    device = str(uuid.uuid4())
    moment = datetime(2026, 10, 1, tzinfo=UTC)
    await identity.load_links(
        graph,
        [
            {
                "customer": customer,
                "type": "device_id",
                "value": device,
                "key": f"device_id:{device}",
                "raw": device.upper(),
                "source": "app",
                "observedAt": moment,
            }
            for customer in (a, b, c)
        ],
    )
    query = """query($id: ID!) { customer(id: $id) { sharedIdentifiers {
      type value sharedWithCount sharedWith { id } } } }"""
    shared = (await gql.data(query, id=a))["customer"]["sharedIdentifiers"]
    assert shared == [
        {
            "type": "DEVICE_ID",
            "value": device,
            "sharedWithCount": 2,
            "sharedWith": [{"id": x} for x in sorted([b, c])],
        }
    ]
    related = await _related(gql, b, 1, ["SHARED_IDENTIFIER"])
    assert [(r["customer"]["id"], r["path"][0]["via"]) for r in related] == [
        (x, f"device_id:{device}") for x in sorted([a, c])
    ]


async def test_related_follows_each_kind_to_depth_three_with_paths(
    gql: GraphQL, fresh: FreshCustomers
) -> None:
    """A —household— B —colleague at X— C —referred— D."""
    a, b, c, d = fresh.take(4)
    await link(gql, "HOUSEHOLD", a, b, role="PARTNER")
    account = await create_account(gql, "Related Test Co.")
    await add_contact(gql, b, account)
    await add_contact(gql, c, account)
    await link(gql, "REFERRAL", c, d)

    one = await _related(gql, a, 1)
    assert [(r["customer"]["id"], r["distance"]) for r in one] == [(b, 1)]

    two = await _related(gql, a, 2)
    assert [(r["customer"]["id"], r["distance"]) for r in two] == [(b, 1), (c, 2)]

    three = await _related(gql, a, 3)
    assert [(r["customer"]["id"], r["distance"]) for r in three] == [(b, 1), (c, 2), (d, 3)]
    household = (await gql.data("query($id: ID!) { customer(id: $id) { household { id } } }", id=a))[
        "customer"
    ]
    assert [(s["kind"], s["from"]["id"], s["to"]["id"], s["via"]) for s in three[2]["path"]] == [
        ("HOUSEHOLD", a, b, household["household"]["id"]),
        ("ACCOUNT", b, c, account),
        ("REFERRAL", c, d, "referred"),
    ]

    # Kinds restrict the walk: without households, A reaches nobody.
    assert await _related(gql, a, 3, ["ACCOUNT", "REFERRAL"]) == []
    # `first` keeps the nearest.
    limited = (await gql.data(RELATED, id=a, kinds=None, depth=3, first=2))["customer"]["related"]
    assert [r["customer"]["id"] for r in limited] == [b, c]


async def test_related_depth_and_kinds_are_bounded(gql: GraphQL, fresh: FreshCustomers) -> None:
    (a,) = fresh.take(1)
    for depth in (0, 4):
        body = await gql(RELATED, id=a, kinds=None, depth=depth)
        assert body["data"]["customer"]["related"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert body["errors"][0]["message"] == f"`maxDepth` must be between 1 and 3, got {depth}"
    body = await gql(RELATED, id=a, kinds=[], depth=2)
    assert body["errors"][0]["message"] == "`kinds` must name at least one kind of relationship"
