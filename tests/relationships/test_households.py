"""Households through the public API: joining, roles, idempotence, refusals, leaving."""

from __future__ import annotations

from typing import Any

from tests.conftest import FreshCustomers, GraphQL
from tests.relationships.helpers import LINK, link, unlink

HOUSEHOLD = """query($id: ID!) { customer(id: $id) { household {
  id name memberCount members { role source customer { id } } } } }"""


async def _household(gql: GraphQL, customer: str) -> dict[str, Any] | None:
    data = await gql.data(HOUSEHOLD, id=customer)
    household: dict[str, Any] | None = data["customer"]["household"]
    return household


async def test_members_join_with_roles_and_every_member_sees_the_same_household(
    gql: GraphQL, fresh: FreshCustomers
) -> None:
    head, partner, child = fresh.take(3)
    assert await _household(gql, head) is None
    assert await link(gql, "HOUSEHOLD", partner, head, role="PARTNER", householdName="The Test household")
    assert await link(gql, "HOUSEHOLD", child, partner, role="CHILD", source="crm")

    seen = [await _household(gql, c) for c in (head, partner, child)]
    assert seen[0] == seen[1] == seen[2]
    household = seen[0]
    assert household is not None
    assert household["name"] == "The Test household"
    assert household["memberCount"] == 3
    roles = {m["customer"]["id"]: (m["role"], m["source"]) for m in household["members"]}
    assert roles == {head: ("HEAD", "api"), partner: ("PARTNER", "api"), child: ("CHILD", "crm")}


async def test_linking_again_changes_nothing_but_a_new_role_is_applied(
    gql: GraphQL, fresh: FreshCustomers
) -> None:
    head, member = fresh.take(2)
    assert await link(gql, "HOUSEHOLD", member, head, role="CHILD") is True
    assert await link(gql, "HOUSEHOLD", member, head, role="CHILD") is False
    household = await _household(gql, head)
    assert household is not None
    assert household["memberCount"] == 2
    assert await link(gql, "HOUSEHOLD", member, head, role="PARENT") is True
    household = await _household(gql, member)
    assert household is not None
    assert {m["customer"]["id"]: m["role"] for m in household["members"]}[member] == "PARENT"


async def test_self_link_and_second_household_are_refused(gql: GraphQL, fresh: FreshCustomers) -> None:
    a, b, c, d = fresh.take(4)
    error = await gql.error(LINK, input={"kind": "HOUSEHOLD", "customerId": a, "relatedCustomerId": a})
    assert error["extensions"] == {"code": "RELATIONSHIP_REFUSED", "reason": "SELF_LINK"}
    assert await _household(gql, a) is None

    assert await link(gql, "HOUSEHOLD", a, b)
    assert await link(gql, "HOUSEHOLD", c, d)
    error = await gql.error(LINK, input={"kind": "HOUSEHOLD", "customerId": a, "relatedCustomerId": c})
    assert error["extensions"]["reason"] == "ALREADY_IN_HOUSEHOLD"
    assert "unlink it" in error["message"]
    household = await _household(gql, c)
    assert household is not None
    assert household["memberCount"] == 2


async def test_unknown_customer_is_not_found(gql: GraphQL, fresh: FreshCustomers) -> None:
    (a,) = fresh.take(1)
    ghost = "00000000-0000-4000-8000-0000000000aa"
    error = await gql.error(LINK, input={"kind": "HOUSEHOLD", "customerId": a, "relatedCustomerId": ghost})
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert ghost in error["message"]
    error = await gql.error(LINK, input={"kind": "HOUSEHOLD", "customerId": "nope", "relatedCustomerId": a})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_leaving_shrinks_the_household_and_the_last_pair_dissolves_it(
    gql: GraphQL, fresh: FreshCustomers
) -> None:
    head, partner, child = fresh.take(3)
    await link(gql, "HOUSEHOLD", partner, head)
    await link(gql, "HOUSEHOLD", child, head)
    assert await unlink(gql, "HOUSEHOLD", child, head) is True
    assert await unlink(gql, "HOUSEHOLD", child, head) is False
    assert await _household(gql, child) is None
    household = await _household(gql, head)
    assert household is not None
    assert household["memberCount"] == 2
    assert await unlink(gql, "HOUSEHOLD", partner, head) is True
    assert await _household(gql, head) is None
    assert await _household(gql, partner) is None
