"""Evidence-aware links, the stewards' review queue, merging by hand, and the identity events that explain them,
through the public API on real servers."""

from __future__ import annotations

from typing import Any

import pytest

from graph_store.resolution.matching import Scorer, load_config
from graph_store.resolution.matching.decide import Pair
from graph_store.resolution.matching.scorer import Contribution
from tests.conftest import GraphQL
from tests.identity.test_ingest import CUSTOMER, ingest, phone, record, unique

QUEUE = """query($after: String) { matchCandidates(first: 100, after: $after) {
  nodes { id method rule score record identifiers comparisons { field level weight }
          customer { id } other { id } }
  pageInfo { hasNextPage endCursor } } }"""
RESOLVE = """mutation($id: ID!, $decision: MatchDecision!) { resolveMatchCandidate(id: $id, decision: $decision) {
  applied customers { id mergedIds } } }"""
MERGE = """mutation($a: ID!, $b: ID!) { mergeCustomers(input: {customerId: $a, otherCustomerId: $b}) {
  applied customers { id mergedIds sourceRecords { system externalId } } } }"""
HISTORY = """query($id: ID!) { customer(id: $id) { id
  identityHistory { kind record rule other identifiers customerId } } }"""
QUALITY = "{ identityQuality { merges splits } }"
UNMERGE = """mutation($input: UnmergeCustomerInput!) { unmergeCustomer(input: $input) { applied customers { id } } }"""


def model_pair(left: dict[str, Any], right: dict[str, Any]) -> Pair:
    """Two records as the repository's model scores them, computed here without the API."""
    scores = Scorer(load_config().model).score_records([left], [right], [(0, 0)])
    return Pair("left", "right", float(scores.match_weight[0]), tuple(scores.explain(0)))


def level_of(c: Contribution) -> str:
    return "MISSING" if c.level == "null" else "DISAGREE" if c.level == "else" or c.weight < 0 else "AGREE"


async def queue(gql: GraphQL) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await gql.data(QUEUE, after=after))["matchCandidates"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def pair_of(nodes: list[dict[str, Any]], a: str, b: str) -> list[dict[str, Any]]:
    return [n for n in nodes if {n["customer"]["id"], n["other"]["id"]} == {a, b}]


async def family(gql: GraphQL) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A mother's CRM record and her son's app record sharing the family phone; names and birth dates differ."""
    shared = phone()
    mum = (
        await ingest(
            gql,
            record("crm", unique("MUM"), [("PHONE", shared)], given_name="秀兰", family_name="王",
                   birth_date="1965-03-02", observedAt="2026-09-01T00:00:00+00:00"),
        )
    )["results"][0]  # fmt: skip
    son = (
        await ingest(
            gql,
            record("app", unique("SON"), [("PHONE", shared), ("EMAIL", f"{unique('son')}@shop.cn")],
                   given_name="磊", family_name="王", birth_date="1992-07-15"),
        )
    )["results"][0]  # fmt: skip
    return shared, mum, son


async def test_a_family_phone_with_conflicting_birth_dates_does_not_merge_and_lands_in_the_queue(
    gql: GraphQL,
) -> None:
    shared, mum, son = await family(gql)
    assert son["status"] == "CREATED"
    assert son["customer"]["id"] != mum["customer"]["id"]
    [conflict] = son["conflicts"]
    assert (conflict["type"], conflict["value"]) == ("PHONE", f"+86{shared}")
    assert "held for review" in conflict["reason"]
    son_ids = (await gql.data(CUSTOMER, id=son["customer"]["id"]))["customer"]["identifiers"]
    assert "PHONE" not in {i["type"] for i in son_ids}

    [candidate] = pair_of(await queue(gql), mum["customer"]["id"], son["customer"]["id"])
    assert (candidate["method"], candidate["rule"]) == (
        "PROBABILISTIC",
        "shared identifier, attributes weigh against",
    )
    assert candidate["identifiers"] == [f"phone:+86{shared}"]
    assert candidate["record"] == f"app:{son['externalId']}"
    # The pair as the model in use weighs it: the phone for, the given name and the birth date against.
    expected = model_pair(
        {"given_name": "磊", "family_name": "王", "birth_date": "1992-07-15", "phone": [f"+86{shared}"],
         "email": ["x@shop.cn"]},
        {"given_name": "秀兰", "family_name": "王", "birth_date": "1965-03-02", "phone": [f"+86{shared}"]},
    )  # fmt: skip
    assert candidate["score"] == pytest.approx(expected.match_weight, abs=1e-3)
    weights = {c["field"]: (c["level"], c["weight"]) for c in candidate["comparisons"]}
    assert weights == {
        c.comparison: (level_of(c), pytest.approx(c.weight, abs=1e-3)) for c in expected.contributions
    }
    assert weights["phone"][0] == "AGREE"
    assert weights["given_name"][0] == weights["birth_date"][0] == "DISAGREE"
    quality = (await gql.data("{ identityQuality { reviewQueue probabilisticShare } }"))["identityQuality"]
    assert quality["reviewQueue"] >= 1
    # The conflict is an identity event of the son's customer naming the phone.
    history = (await gql.data(HISTORY, id=son["customer"]["id"]))["customer"]["identityHistory"]
    assert any(e["kind"] == "CONFLICT" and e["identifiers"] == [f"phone:+86{shared}"] for e in history)


async def test_agreeing_attributes_still_link_through_a_shared_identifier(gql: GraphQL) -> None:
    """Evidence only holds back a link it clearly contradicts: same person, one field missing, links."""
    shared = phone()
    first = (
        await ingest(
            gql, record("crm", unique("AG"), [("PHONE", shared)], given_name="Wei", birth_date="1990-01-02")
        )
    )["results"][0]
    second = (await ingest(gql, record("pos", unique("AG"), [("PHONE", shared)], given_name="Wei")))[
        "results"
    ][0]
    assert (second["status"], second["customer"]["id"]) == ("LINKED", first["customer"]["id"])
    history = (await gql.data(HISTORY, id=first["customer"]["id"]))["customer"]["identityHistory"]
    [link] = [e for e in history if e["kind"] == "LINK"]
    assert (link["rule"], link["identifiers"]) == ("shared identifier", [f"phone:+86{shared}"])
    assert link["record"].startswith("pos:AG")


async def test_a_stewards_keep_apart_sticks(gql: GraphQL) -> None:
    shared, mum, son = await family(gql)
    mum_id, son_id = mum["customer"]["id"], son["customer"]["id"]
    [candidate] = pair_of(await queue(gql), mum_id, son_id)
    decided = (await gql.data(RESOLVE, id=candidate["id"], decision="KEEP_APART"))["resolveMatchCandidate"]
    assert decided["applied"] is True
    assert {c["id"] for c in decided["customers"]} == {mum_id, son_id}
    assert pair_of(await queue(gql), mum_id, son_id) == []
    again = await gql(RESOLVE, id=candidate["id"], decision="MERGE")
    assert again["errors"][0]["extensions"]["code"] == "ALREADY_DECIDED"
    # Never asked again: the son's next record with the family phone and his own email stays his, no new candidate.
    email = next(i["value"] for i in (await gql.data(CUSTOMER, id=son_id))["customer"]["identifiers"])
    later = (
        await ingest(
            gql,
            record(
                "wechat",
                unique("SON"),
                [("PHONE", shared), ("EMAIL", email)],
                given_name="磊",
                birth_date="1992-07-15",
            ),
        )
    )["results"][0]
    assert later["customer"]["id"] == son_id
    assert pair_of(await queue(gql), mum_id, son_id) == []
    for customer in (mum_id, son_id):
        history = (await gql.data(HISTORY, id=customer))["customer"]["identityHistory"]
        [review] = [e for e in history if e["kind"] == "REVIEW"]
        assert (review["rule"], review["record"]) == ("steward: kept apart", f"candidate:{candidate['id']}")


async def test_a_stewards_merge_joins_the_pair(gql: GraphQL) -> None:
    _, mum, son = await family(gql)
    mum_id, son_id = mum["customer"]["id"], son["customer"]["id"]
    [candidate] = pair_of(await queue(gql), mum_id, son_id)
    decided = (await gql.data(RESOLVE, id=candidate["id"], decision="MERGE"))["resolveMatchCandidate"]
    [merged] = decided["customers"]
    assert merged["id"] == mum_id  # the older customer keeps its id
    assert merged["mergedIds"] == [son_id]
    history = (await gql.data(HISTORY, id=mum_id))["customer"]["identityHistory"]
    assert any(
        e["kind"] == "MERGE" and e["rule"] == "steward: merged" and e["other"] == son_id for e in history
    )


async def test_a_manual_merge_and_its_reversal(gql: GraphQL) -> None:
    a_record = record("crm", unique("MA"), [("PHONE", phone())], given_name="Ling", city="Suzhou",
                      observedAt="2026-08-01T00:00:00+00:00")  # fmt: skip
    b_record = record("pos", unique("MB"), [("EMAIL", f"{unique('mb')}@shop.cn")], given_name="Ling",
                      city="Wuxi", observedAt="2026-09-01T00:00:00+00:00")  # fmt: skip
    a = (await ingest(gql, a_record))["results"][0]["customer"]["id"]
    b = (await ingest(gql, b_record))["results"][0]["customer"]["id"]
    before = (await gql.data(QUALITY))["identityQuality"]
    merged = (await gql.data(MERGE, a=b, b=a))["mergeCustomers"]
    assert merged["applied"] is True
    [customer] = merged["customers"]
    assert (customer["id"], customer["mergedIds"]) == (a, [b])
    assert {(r["system"], r["externalId"]) for r in customer["sourceRecords"]} == {
        ("crm", a_record["externalId"]),
        ("pos", b_record["externalId"]),
    }
    city = (await gql.data("""query($id: ID!) { customer(id: $id) { city } }""", id=a))["customer"]["city"]
    assert city == "Wuxi"  # the newer observation of the two customers' records
    history = (await gql.data(HISTORY, id=a))["customer"]["identityHistory"]
    assert any(e["kind"] == "MERGE" and e["other"] == b and e["rule"] == "steward: merged" for e in history)
    between = (await gql.data(QUALITY))["identityQuality"]
    assert (between["merges"] - before["merges"], between["splits"] - before["splits"]) == (1, 0)
    # Reversed like any merge: the merged-in customer's record leaves, and its id comes back.
    split = (
        await gql.data(
            UNMERGE,
            input={
                "customerId": a,
                "sourceRecords": [{"system": "pos", "externalId": b_record["externalId"]}],
            },
        )
    )["unmergeCustomer"]
    assert split["applied"] is True
    assert [c["id"] for c in split["customers"]] == [a, b]
    after = (await gql.data("""query($id: ID!) { customer(id: $id) { id city mergedIds } }""", id=a))[
        "customer"
    ]
    assert (after["city"], after["mergedIds"]) == ("Suzhou", [])  # recomputed from the records it kept
    # One split, counted once; the merge it undid no longer counts.
    last = (await gql.data(QUALITY))["identityQuality"]
    assert (last["merges"] - before["merges"], last["splits"] - before["splits"]) == (0, 1)


async def test_a_records_own_phone_does_not_yield_to_a_shared_one(gql: GraphQL) -> None:
    """Wei (CRM id, own phone) and his mother (CRM id, the family phone). Wei's app record carries both phones and
    no CRM id; whichever sorts first, his own phone links him to his customer and the family phone, whose customer's
    records disagree with his, yields to the review queue (alphabetical order used to decide, and mum could win)."""
    for own_first in (True, False):
        low, high = sorted([phone(), phone()])
        own, shared = (low, high) if own_first else (high, low)
        wei = (
            await ingest(
                gql,
                record(
                    "crm",
                    unique("W"),
                    [("CRM_ID", unique("CRMW")), ("PHONE", own)],
                    given_name="伟",
                    birth_date="1990-05-05",
                ),
            )
        )["results"][0]
        mum = (
            await ingest(
                gql,
                record(
                    "crm",
                    unique("M"),
                    [("CRM_ID", unique("CRMM")), ("PHONE", shared)],
                    given_name="秀兰",
                    birth_date="1962-11-20",
                ),
            )
        )["results"][0]
        app = (
            await ingest(
                gql,
                record(
                    "app",
                    unique("A"),
                    [("PHONE", shared), ("PHONE", own)],
                    given_name="伟",
                    birth_date="1990-05-05",
                ),
            )
        )["results"][0]
        assert app["customer"]["id"] == wei["customer"]["id"] != mum["customer"]["id"]
        assert [c["value"] for c in app["conflicts"]] == [f"+86{shared}"]
        held = (await gql.data(CUSTOMER, id=wei["customer"]["id"]))["customer"]["identifiers"]
        assert {i["value"] for i in held if i["type"] == "PHONE"} == {f"+86{own}"}
