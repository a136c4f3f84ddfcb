"""Keeping what is valid, through the public API: a bad identifier is dropped and reported, the record is ingested
with the rest; numbers of the current Chinese numbering plan are phones; placeholders link nothing."""

from __future__ import annotations

from typing import Any

import httpx

from tests import auth
from tests.conftest import GraphQL
from tests.identity.test_ingest import phone, record, unique

INGEST = """mutation($records: [SourceRecordInput!]!) { ingestSourceRecords(records: $records) {
  created linked merged rejected
  results { status customer { id identifiers { type value } }
            dropped { field value reason } blocked { type value reason } conflicts { type value reason } }
} }"""


async def ingest(gql: GraphQL, *records: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = (await gql.data(INGEST, records=list(records)))["ingestSourceRecords"][
        "results"
    ]
    return results


async def test_a_record_with_one_bad_phone_keeps_its_other_identifiers(gql: GraphQL) -> None:
    email, device, external_id = f"{unique('keep')}@shop.cn", unique("DEV-KEEP-"), unique("K")
    [result] = await ingest(
        gql, record("app", external_id, [("PHONE", "-1"), ("EMAIL", email), ("DEVICE_ID", device)])
    )
    assert result["status"] == "CREATED"
    assert result["dropped"] == [
        {"field": "identifiers[0].phone", "value": "-1", "reason": "not a phone number"}
    ]
    held = {(i["type"], i["value"]) for i in result["customer"]["identifiers"]}
    assert held == {("EMAIL", email), ("DEVICE_ID", device.lower())}
    later = await gql.data(
        """query($r: [SourceRecordRef!]!) { ingestOutcomes(records: $r) { status dropped { field reason } } }""",
        r=[{"system": "app", "externalId": external_id}],
    )
    assert later["ingestOutcomes"] == [
        {"status": "CREATED", "dropped": [{"field": "identifiers[0].phone", "reason": "not a phone number"}]}
    ]


async def test_the_dropped_value_follows_the_callers_policy(client: httpx.AsyncClient) -> None:
    """The integration role may ingest but not read contact data: the dropped value is withheld, the field and the
    reason are not."""
    query = """mutation($records: [SourceRecordInput!]!) { ingestSourceRecords(records: $records) {
      results { status dropped { field value reason } } } }"""
    records = [record("app", unique("KM"), [("PHONE", "12345678901"), ("EMAIL", f"{unique('m')}@shop.cn")])]
    answer = (
        await client.post(
            "/graphql",
            json={"query": query, "variables": {"records": records}},
            headers=auth.headers(("integration",), "test-integration"),
        )
    ).json()
    [result] = answer["data"]["ingestSourceRecords"]["results"]
    assert result["status"] == "CREATED"
    [dropped] = result["dropped"]
    assert (dropped["field"], dropped["value"]) == ("identifiers[0].phone", None)
    assert dropped["reason"].startswith("not a valid number")
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}


async def test_numbers_of_the_current_numbering_plan_are_phones(gql: GraphQL) -> None:
    """19x, 17x, 16x and 14x numbers that carriers hand out match one another like any phone."""
    for prefix in ("194", "179", "149", "160"):
        number = f"{prefix}{int(phone()[3:]) % 100_000_000:08d}"
        first, second = await ingest(
            gql,
            record("crm", unique("NP"), [("PHONE", number)]),
            record("pos", unique("NP"), [("PHONE", f"+86 {number[:3]} {number[3:7]} {number[7:]}")]),
        )
        assert (first["status"], second["status"], first["dropped"]) == ("CREATED", "LINKED", []), number
        assert first["customer"]["id"] == second["customer"]["id"]
        assert first["customer"]["identifiers"] == [{"type": "PHONE", "value": f"+86{number}"}]


async def test_placeholders_link_nothing(gql: GraphQL) -> None:
    one = await ingest(
        gql, record("crm", unique("PH"), [("EMAIL", "null@null.com"), ("PHONE", "13800138000")])
    )
    two = await ingest(
        gql, record("pos", unique("PH"), [("EMAIL", "NULL@null.com"), ("PHONE", "138 0013 8000")])
    )
    a, b = one[0], two[0]
    assert (a["status"], b["status"]) == ("CREATED", "CREATED")
    assert a["customer"]["id"] != b["customer"]["id"]
    assert {(x["type"], x["value"]) for x in a["blocked"]} == {
        ("EMAIL", "null@null.com"),
        ("PHONE", "+8613800138000"),
    }
    assert a["customer"]["identifiers"] == []
