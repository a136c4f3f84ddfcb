"""Unmerging restores the exact customers a merge joined, with their ids, and they stay apart."""

from __future__ import annotations

from tests.conftest import GraphQL
from tests.identity.test_ingest import CUSTOMER, ingest, phone, record, unique

UNMERGE = """mutation($input: UnmergeCustomerInput!) { unmergeCustomer(input: $input) { customers { id mergedIds
  identifiers { type value } sourceRecords { system externalId } } } }"""


def _ids(customer: dict) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(i["type"], i["value"]) for i in customer["identifiers"]}


async def test_unmerge_by_the_record_that_merged_restores_both_customers(gql: GraphQL) -> None:
    p, email = phone(), f"{unique('split')}@shop.cn"
    a_rec = record(
        "crm",
        unique("U"),
        [("PHONE", p)],
        given_name="An",
        family_name="Li",
        observedAt="2026-09-01T00:00:00+00:00",
    )
    c_rec = record(
        "wechat",
        unique("U"),
        [("EMAIL", email)],
        given_name="Cai",
        family_name="Wu",
        observedAt="2026-09-02T00:00:00+00:00",
    )
    b_rec = record(
        "pos", unique("U"), [("PHONE", p), ("EMAIL", email)], observedAt="2026-09-03T00:00:00+00:00"
    )
    a = (await ingest(gql, a_rec))["results"][0]["customer"]["id"]
    c = (await ingest(gql, c_rec))["results"][0]["customer"]["id"]
    merged = (await ingest(gql, b_rec))["results"][0]
    assert (merged["status"], merged["customer"]["id"], merged["mergedCustomerIds"]) == ("MERGED", a, [c])
    before = {"a": _ids((await gql.data(CUSTOMER, id=a))["customer"])}
    assert before["a"] == {("PHONE", f"+86{p}"), ("EMAIL", email)}

    out = await gql.data(
        UNMERGE,
        input={"customerId": a, "sourceRecords": [{"system": "pos", "externalId": b_rec["externalId"]}]},
    )
    first, second, third = out["unmergeCustomer"]["customers"]
    assert (first["id"], second["id"]) == (a, c)  # the exact prior customers, with their own ids
    assert third["id"] not in (a, c)
    assert [r["externalId"] for r in first["sourceRecords"]] == [a_rec["externalId"]]
    assert [r["externalId"] for r in second["sourceRecords"]] == [c_rec["externalId"]]
    assert [r["externalId"] for r in third["sourceRecords"]] == [b_rec["externalId"]]
    assert _ids(first) == {("PHONE", f"+86{p}")}
    assert _ids(second) == {("EMAIL", email)}
    assert first["mergedIds"] == []

    # The old id answers as itself again, with its own golden record.
    revived = (await gql.data("query($id: ID!) { customer(id: $id) { id fullName } }", id=c))["customer"]
    assert revived == {"id": c, "fullName": "Cai Wu"}
    history = (await gql.data("query($id: ID!) { customer(id: $id) { identityHistory { kind } } }", id=a))[
        "customer"
    ]
    assert [e["kind"] for e in history["identityHistory"]][-1] == "SPLIT"

    # Re-ingesting the bridging record changes nothing, and a new bridging record cannot merge them again.
    assert (await ingest(gql, b_rec))["results"][0]["status"] == "UNCHANGED"
    bridge = (await ingest(gql, record("app", unique("U"), [("PHONE", p), ("EMAIL", email)])))["results"][0]
    assert bridge["mergedCustomerIds"] == []
    assert all("were split" in c["reason"] for c in bridge["conflicts"])
    assert _ids((await gql.data(CUSTOMER, id=a))["customer"]) == {("PHONE", f"+86{p}")}
    assert _ids((await gql.data(CUSTOMER, id=c))["customer"]) == {("EMAIL", email)}


async def test_unmerge_refuses_what_it_cannot_do(gql: GraphQL) -> None:
    only = (await ingest(gql, record("crm", unique("V"), [("PHONE", phone())])))["results"][0]
    cases = [
        ({"customerId": only["customer"]["id"], "sourceRecords": [{"system": "crm", "externalId": "nope"}]}, "has no source record"),
        ({"customerId": only["customer"]["id"], "sourceRecords": [{"system": "crm", "externalId": only["externalId"]}]}, "leaves nothing"),
        ({"customerId": "00000000-0000-4000-8000-00000000f00d", "sourceRecords": [{"system": "crm", "externalId": "x"}]}, "No customer"),
        ({"customerId": only["customer"]["id"]}, "at least one"),
    ]  # fmt: skip
    for payload, message in cases:
        error = await gql.error(UNMERGE, input=payload)
        assert message in error["message"]


async def test_a_merge_carries_relationships_to_the_survivor(gql: GraphQL) -> None:
    p, email = phone(), f"{unique('rel')}@shop.cn"
    a = await ingest(gql, record("crm", unique("K"), [("PHONE", p)], observedAt="2026-09-01T00:00:00+00:00"))
    c = await ingest(gql, record("wechat", unique("K"), [("EMAIL", email)]))
    a_id, c_id = a["results"][0]["customer"]["id"], c["results"][0]["customer"]["id"]
    account = (await gql.data('mutation { createAccount(input: {name: "Merge Carry Co."}) { id } }'))[
        "createAccount"
    ]["id"]
    await gql.data(
        'mutation($c: ID!, $a: ID!) { addAccountContact(input: {customerId: $c, accountId: $a, title: "Buyer"}) { changed } }',
        c=c_id,
        a=account,
    )
    merged = (await ingest(gql, record("pos", unique("K"), [("PHONE", p), ("EMAIL", email)])))["results"][0]
    assert merged["mergedCustomerIds"] == [c_id]
    survivor = await gql.data(
        "query($id: ID!) { customer(id: $id) { id accounts { title account { id } } } }", id=c_id
    )
    assert survivor["customer"] == {"id": a_id, "accounts": [{"title": "Buyer", "account": {"id": account}}]}
