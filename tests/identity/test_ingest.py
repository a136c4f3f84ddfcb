"""Ingesting source records through the public API: matching, merges, protection, idempotence, rejections."""

from __future__ import annotations

import itertools
from typing import Any

from tests.conftest import GraphQL

INGEST = """mutation($records: [SourceRecordInput!]!) { ingestSourceRecords(records: $records) {
  created linked merged unchanged rejected
  results { system externalId status mergedCustomerIds customer { id fullName }
            errors { field value message } conflicts { type value reason } blocked { type value reason } }
} }"""

CUSTOMER = (
    """query($id: ID!) { customer(id: $id) { id fullName mergedIds identifiers { type value source } } }"""
)

_serial = itertools.count(1)


def unique(prefix: str) -> str:
    """Values no other test uses, so tests do not merge into each other's customers."""
    return f"{prefix}{next(_serial):04d}"


def phone() -> str:
    return f"139{next(_serial) + 10_000_000:08d}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def record(
    system: str, external_id: str, identifiers: list[tuple[str, str]], **attributes: Any
) -> dict[str, Any]:
    return {
        "system": system,
        "externalId": external_id,
        "observedAt": attributes.pop("observedAt", "2026-10-01T10:00:00+00:00"),
        "attributes": {_camel(k): v for k, v in attributes.items()} or None,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
    }


async def ingest(gql: GraphQL, *records: dict[str, Any]) -> dict[str, Any]:
    data = await gql.data(INGEST, records=list(records))
    payload: dict[str, Any] = data["ingestSourceRecords"]
    return payload


async def test_records_sharing_an_identifier_are_one_customer(gql: GraphQL) -> None:
    p = phone()
    out = await ingest(
        gql,
        record(
            "crm",
            unique("C"),
            [("PHONE", f"+86 {p[:3]} {p[3:7]} {p[7:]}")],
            given_name="Wei",
            family_name="Zhang",
        ),
        record("ecommerce", unique("E"), [("PHONE", p), ("EMAIL", f"{unique('w')}@shop.cn")]),
    )
    first, second = out["results"]
    assert (first["status"], second["status"]) == ("CREATED", "LINKED")
    assert first["customer"]["id"] == second["customer"]["id"]
    assert first["customer"]["fullName"] == "Wei Zhang"
    found = await gql.data("query($v: String!) { customerByIdentifier(type: PHONE, value: $v) { id } }", v=p)
    assert found["customerByIdentifier"]["id"] == first["customer"]["id"]


async def test_chained_records_merge_and_old_ids_keep_resolving(gql: GraphQL) -> None:
    """A and B share a phone, B and C share an email: one customer in the end, whatever was created first."""
    p, email = phone(), f"{unique('chain')}@shop.cn"
    a = (
        await ingest(gql, record("crm", unique("A"), [("PHONE", p)], observedAt="2026-09-01T00:00:00+00:00"))
    )["results"][0]
    c = (await ingest(gql, record("wechat", unique("C"), [("EMAIL", email)])))["results"][0]
    assert a["customer"]["id"] != c["customer"]["id"]
    b = (await ingest(gql, record("pos", unique("B"), [("PHONE", p), ("EMAIL", email)])))["results"][0]
    assert b["status"] == "MERGED"
    survivor = b["customer"]["id"]
    assert survivor == a["customer"]["id"]  # the oldest customer keeps its id
    assert b["mergedCustomerIds"] == [c["customer"]["id"]]

    old = (await gql.data(CUSTOMER, id=c["customer"]["id"]))["customer"]
    assert old["id"] == survivor
    assert old["mergedIds"] == [c["customer"]["id"]]
    assert {(i["type"], i["value"]) for i in old["identifiers"]} == {("PHONE", f"+86{p}"), ("EMAIL", email)}


async def test_blocked_values_link_nothing(gql: GraphQL) -> None:
    one = await ingest(gql, record("crm", unique("J"), [("CRM_ID", "NULL"), ("EMAIL", "test@shop.cn")]))
    two = await ingest(gql, record("pos", unique("J"), [("CRM_ID", "null"), ("EMAIL", "test@shop.cn")]))
    a, b = one["results"][0], two["results"][0]
    assert (a["status"], b["status"]) == ("CREATED", "CREATED")
    assert a["customer"]["id"] != b["customer"]["id"]
    assert {(x["type"], x["value"]) for x in a["blocked"]} == {("CRM_ID", "NULL"), ("EMAIL", "test@shop.cn")}


async def test_a_shared_family_phone_is_a_conflict_not_a_merge(gql: GraphQL) -> None:
    family_phone = phone()
    mum = (
        await ingest(gql, record("crm", unique("M"), [("CRM_ID", unique("CRM")), ("PHONE", family_phone)]))
    )["results"][0]
    son = (
        await ingest(gql, record("crm", unique("S"), [("CRM_ID", unique("CRM")), ("PHONE", family_phone)]))
    )["results"][0]
    assert son["status"] == "CREATED"
    assert son["customer"]["id"] != mum["customer"]["id"]
    [conflict] = son["conflicts"]
    assert conflict["type"] == "PHONE"
    assert "limit 1" in conflict["reason"]
    son_ids = (await gql.data(CUSTOMER, id=son["customer"]["id"]))["customer"]["identifiers"]
    assert [i["type"] for i in son_ids] == ["CRM_ID"]


async def test_reingesting_the_same_record_changes_nothing(gql: GraphQL) -> None:
    same = record("crm", unique("R"), [("PHONE", phone())], given_name="Mei", family_name="Chen")
    first = (await ingest(gql, same))["results"][0]
    again = await ingest(gql, same)
    assert again["unchanged"] == 1
    assert again["results"][0]["customer"]["id"] == first["customer"]["id"]
    assert again["results"][0]["status"] == "UNCHANGED"


async def test_a_mixed_batch_keeps_the_valid_records_and_the_rejected_ones(gql: GraphQL) -> None:
    good = record("crm", unique("G"), [("PHONE", phone())])
    bad_date = record("crm", unique("X"), [("PHONE", phone())], birth_date="1990-13-45")
    bad_attr = record("crm", unique("Y"), [("EMAIL", f"{unique('y')}@shop.cn")], gender="robot")
    out = await ingest(gql, good, bad_date, bad_attr)
    assert (out["created"], out["rejected"]) == (1, 2)
    statuses = [r["status"] for r in out["results"]]
    assert statuses == ["CREATED", "REJECTED", "REJECTED"]
    [error] = out["results"][1]["errors"]
    assert error["field"] == "attributes.birth_date"
    assert error["value"] == "1990-13-45"
    assert out["results"][2]["errors"][0]["field"] == "attributes.gender"
    review = await gql.data(
        """{ rejectedRecords(first: 10, system: "crm") { nodes { externalId errors { field } payload } } }"""
    )
    kept = {n["externalId"]: n for n in review["rejectedRecords"]["nodes"]}
    assert kept[bad_date["externalId"]]["payload"]["attributes"] == {"birth_date": "1990-13-45"}
    assert kept[bad_attr["externalId"]]["errors"] == [{"field": "attributes.gender"}]


async def test_each_field_shows_the_value_its_rule_picks_with_its_source(gql: GraphQL) -> None:
    """Names follow source priority (crm before ecommerce), city the most recent record, gender the most frequent.
    (The records differ where the rules choose, never so much that the matching model would keep them apart: the
    names in characters beside their pinyin, a gender the model cannot read. A given name that disagrees, an
    English one beside the Chinese one, would keep the shared phone from linking: a surname and a phone are what
    two sisters share.)"""
    p = phone()
    crm, shop, store = unique("P"), unique("P"), unique("P")
    out = await ingest(
        gql,
        record("ecommerce", shop, [("PHONE", p)], given_name="伟", family_name="王", city="Shenzhen",
               gender="female", observedAt="2026-10-03T00:00:00+00:00"),
        record("crm", crm, [("PHONE", p)], given_name="Wei", family_name="Wang", city="Shanghai", gender="female",
               observedAt="2026-10-01T00:00:00+00:00"),
        record("pos", store, [("PHONE", p)], city="Hangzhou", gender="other", observedAt="2026-10-05T00:00:00+00:00"),
    )  # fmt: skip
    customer = out["results"][0]["customer"]["id"]
    data = await gql.data(
        """query($id: ID!) { customer(id: $id) { givenName familyName fullName city gender
          provenance { field value system externalId rule } } }""",
        id=customer,
    )
    got = data["customer"]
    assert (got["givenName"], got["familyName"], got["fullName"]) == ("Wei", "Wang", "Wei Wang")
    assert got["city"] == "Hangzhou"
    assert got["gender"] == "FEMALE"
    sources = {p["field"]: (p["value"], p["system"], p["externalId"], p["rule"]) for p in got["provenance"]}
    assert sources["given_name"] == ("Wei", "crm", crm, "source_priority")
    assert sources["city"] == ("Hangzhou", "pos", store, "most_recent")
    assert sources["gender"] == ("female", "ecommerce", shop, "most_frequent")  # 2 of 3; newest of the two


async def test_a_customer_explains_itself(gql: GraphQL) -> None:
    """Source records per system, and the merge and the conflict that shaped the customer."""
    p, email, device = phone(), f"{unique('why')}@shop.cn", unique("DEV-")
    first = (
        await ingest(
            gql,
            record(
                "crm",
                unique("H"),
                [("CRM_ID", unique("CRM")), ("PHONE", p)],
                observedAt="2026-09-01T00:00:00+00:00",
            ),
        )
    )["results"][0]
    other = (await ingest(gql, record("wechat", unique("H"), [("EMAIL", email)])))["results"][0]
    await ingest(gql, record("app", unique("H"), [("DEVICE_ID", device), ("CRM_ID", unique("CRM"))]))
    joining = record("pos", unique("H"), [("PHONE", p), ("EMAIL", email), ("DEVICE_ID", device)])
    out = (await ingest(gql, joining))["results"][0]
    assert out["status"] == "MERGED"
    assert [c["type"] for c in out["conflicts"]] == ["DEVICE_ID"]
    data = await gql.data(
        """query($id: ID!) { customer(id: $id) {
          sourceRecords { system externalId identifiers conflicts }
          identityHistory { kind record rule other customerId identifiers } } }""",
        id=first["customer"]["id"],
    )
    customer = data["customer"]
    assert [r["system"] for r in customer["sourceRecords"]] == ["crm", "pos", "wechat"]
    pos = next(r for r in customer["sourceRecords"] if r["system"] == "pos")
    assert pos["identifiers"] == sorted([f"phone:+86{p}", f"email:{email}"])
    assert pos["conflicts"] == [f"device_id:{device.lower()}"]
    events = [(e["kind"], e["record"], e["other"]) for e in customer["identityHistory"]]
    assert ("MERGE", f"pos:{joining['externalId']}", other["customer"]["id"]) in events
    assert ("CONFLICT", f"pos:{joining['externalId']}", f"device_id:{device.lower()}") in events
    # Both sides of the bridge are explained: the e-mail merged the other customer in, the phone linked the record
    # to the survivor.
    bridge = {
        e["kind"]: e for e in customer["identityHistory"] if e["record"] == f"pos:{joining['externalId']}"
    }
    assert bridge["MERGE"]["identifiers"] == [f"email:{email}"]
    assert bridge["LINK"]["identifiers"] == [f"phone:+86{p}"]
    assert bridge["LINK"]["customerId"] == first["customer"]["id"]


async def test_quality_figures_follow_what_was_ingested(gql: GraphQL) -> None:
    query = """{ identityQuality { customers sourceRecords merges conflicts rejectedRecords largestClusterSize
      consolidationRate } }"""
    before = (await gql.data(query))["identityQuality"]
    p, q = phone(), phone()
    await ingest(
        gql,
        record("crm", unique("Q"), [("PHONE", p)]),
        record("pos", unique("Q"), [("PHONE", q)]),
        record("ecommerce", unique("Q"), [("PHONE", p), ("PHONE", q)]),  # merges the two
        record("crm", unique("Q"), [("PHONE", phone())], gender="robot"),  # rejected
    )
    after = (await gql.data(query))["identityQuality"]
    assert after["sourceRecords"] - before["sourceRecords"] == 3
    assert after["customers"] - before["customers"] == 1
    assert after["merges"] - before["merges"] == 1
    assert after["rejectedRecords"] - before["rejectedRecords"] == 1
    assert after["largestClusterSize"] >= 3
    assert after["consolidationRate"] == 1 - after["customers"] / after["sourceRecords"]
