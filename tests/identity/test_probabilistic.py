"""Probabilistic (Fellegi-Sunter) matching in the write path, through the public API on real servers: records that
share no identifier join when the model scores them at the merge threshold (with an event that explains it), go to
the stewards in the review band (with each comparison's weight), and a steward's decision sticks; the blocking keys
that find candidates follow merges and splits."""

from __future__ import annotations

import itertools
from typing import Any

import asyncpg
import pytest

from graph_store.resolution.matching.decide import Reason
from tests.conftest import GraphQL
from tests.identity.test_ingest import CUSTOMER, ingest, phone, record, unique
from tests.identity.test_review import HISTORY, RESOLVE, UNMERGE, level_of, model_pair, pair_of, queue

_days = itertools.count(1)


def born() -> tuple[str, str]:
    """A birth date no other test uses (names are common: the date keeps each test's people its own), as ISO and
    as a Chinese form would write it."""
    n = next(_days)
    year, month, day = 1931 + n % 60, 1 + (n // 60) % 12, 1 + (n // 720) % 28
    return f"{year}-{month:02d}-{day:02d}", f"{year}年{month}月{day}日"


HISTORY_WEIGHTS = """query($id: ID!) { customer(id: $id) { id
  identityHistory { kind record rule other identifiers score comparisons { field level modelLevel weight } } } }"""


def weights_of(comparisons: list[dict[str, Any]]) -> dict[str, tuple[str, float]]:
    return {c["field"]: (c["level"], c["weight"]) for c in comparisons}


def expected_weights(left: dict[str, Any], right: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    pair = model_pair(left, right)
    return pair.match_weight, {
        c.comparison: (level_of(c), pytest.approx(c.weight, abs=1e-3)) for c in pair.contributions
    }


async def test_a_strong_match_without_a_shared_identifier_joins_with_an_event_that_explains_it(
    gql: GraphQL,
) -> None:
    iso, written = born()
    crm = record("crm", unique("PM"), [("PHONE", phone())], given_name="静怡", family_name="陈",
                 birth_date_as_written=written, city="上海", observedAt="2026-09-01T00:00:00+00:00")  # fmt: skip
    shop = record("ecommerce", unique("PM"), [("EMAIL", f"{unique('jy')}@shop.cn")], full_name="Chen Jingyi",
                  birth_date=iso, city="Shanghai")  # fmt: skip
    first = (await ingest(gql, crm))["results"][0]
    second = (await ingest(gql, shop))["results"][0]
    assert (second["status"], second["customer"]["id"]) == ("LINKED", first["customer"]["id"])
    customer = (await gql.data(CUSTOMER, id=first["customer"]["id"]))["customer"]
    assert {i["type"] for i in customer["identifiers"]} == {"PHONE", "EMAIL"}

    score, comparisons = expected_weights(
        {"full_name": "Chen Jingyi", "birth_date": iso, "city": "Shanghai", "email": ["x@shop.cn"]},
        {"given_name": "静怡", "family_name": "陈", "birth_date": written, "city": "上海", "phone": ["+8613900000000"]},
    )  # fmt: skip
    assert score >= 6.0  # the repository's merge threshold: what the test is about
    history = (await gql.data(HISTORY_WEIGHTS, id=first["customer"]["id"]))["customer"]["identityHistory"]
    [link] = [e for e in history if e["kind"] == "LINK" and e["record"] == f"ecommerce:{shop['externalId']}"]
    assert (link["rule"], link["identifiers"]) == ("probabilistic", [])
    assert link["score"] == pytest.approx(score, abs=1e-3)
    assert weights_of(link["comparisons"]) == comparisons
    assert {c["field"]: c["modelLevel"] for c in link["comparisons"]}["birth_date"] == "exact"
    quality = (await gql.data("{ identityQuality { probabilisticShare } }"))["identityQuality"]
    assert quality["probabilisticShare"] > 0.0


async def test_a_strong_match_merges_two_customers_and_names_its_score(gql: GraphQL) -> None:
    """A record matching one customer by identifier and another by the model merges the two."""
    iso, written = born()
    p = phone()
    a = await ingest(gql, record("crm", unique("PX"), [("PHONE", p)], observedAt="2026-08-01T00:00:00+00:00"))
    b = await ingest(gql, record("pos", unique("PX"), [("EMAIL", f"{unique('px')}@shop.cn")], full_name="李娜",
                                 birth_date=iso, city="杭州", gender="female"))  # fmt: skip
    a_id, b_id = a["results"][0]["customer"]["id"], b["results"][0]["customer"]["id"]
    assert a_id != b_id
    bridge = (
        await ingest(
            gql,
            record(
                "app",
                unique("PX"),
                [("PHONE", p)],
                full_name="Li Na",
                birth_date_as_written=written,
                city="Hangzhou",
                gender="female",
            ),
        )
    )["results"][0]
    assert (bridge["status"], bridge["customer"]["id"], bridge["mergedCustomerIds"]) == (
        "MERGED",
        a_id,
        [b_id],
    )
    history = (await gql.data(HISTORY_WEIGHTS, id=a_id))["customer"]["identityHistory"]
    [merge] = [e for e in history if e["kind"] == "MERGE" and e["other"] == b_id]
    assert merge["rule"] == "probabilistic"
    assert merge["score"] >= 6.0
    assert weights_of(merge["comparisons"])["birth_date"][0] == "AGREE"


async def test_a_fuzzy_pair_lands_in_the_queue_with_its_weights_and_a_stewards_decision_sticks(
    gql: GraphQL,
) -> None:
    """A traditional-character name and a typo'd pinyin spelling, the same birth date, no identifier in common."""
    iso, written = born()
    p = phone()
    han = record("crm", unique("FZ"), [("PHONE", p)], full_name="陳靜怡", birth_date=iso)
    typo = record("app", unique("FZ"), [("EMAIL", f"{unique('fz')}@shop.cn")], full_name="Jinyi Chen",
                  birth_date_as_written=written)  # fmt: skip
    a = (await ingest(gql, han))["results"][0]
    b = (await ingest(gql, typo))["results"][0]
    assert b["status"] == "CREATED"
    assert b["customer"]["id"] != a["customer"]["id"]
    a_id, b_id = a["customer"]["id"], b["customer"]["id"]
    [candidate] = pair_of(await queue(gql), a_id, b_id)
    score, comparisons = expected_weights(
        {"full_name": "Jinyi Chen", "birth_date": written, "email": ["x@shop.cn"]},
        {"full_name": "陳靜怡", "birth_date": iso, "phone": ["+8613900000000"]},
    )
    assert 2.0 <= score < 6.0  # the repository's review band: what the test is about
    assert (candidate["method"], candidate["rule"]) == (
        "PROBABILISTIC",
        f"probabilistic: {Reason.BETWEEN_THRESHOLDS.value}",
    )
    assert candidate["record"] == f"app:{typo['externalId']}"
    assert candidate["identifiers"] == []
    assert candidate["score"] == pytest.approx(score, abs=1e-3)
    assert weights_of(candidate["comparisons"]) == comparisons

    decided = (await gql.data(RESOLVE, id=candidate["id"], decision="KEEP_APART"))["resolveMatchCandidate"]
    assert decided["applied"] is True
    # The decision sticks: the same records again, changed, never merge the two customers nor ask again; nor does
    # a third record that joins one of them and scores in the review band against the other.
    han["attributes"]["city"] = "台北"
    typo["attributes"]["gender"] = "female"
    again = await ingest(gql, han, typo)
    assert [r["customer"]["id"] for r in again["results"]] == [a_id, b_id]
    third = record("wechat", unique("FZ"), [("PHONE", p)], full_name="Jingyi Chen", birth_date=iso)
    assert (await ingest(gql, third))["results"][0]["customer"]["id"] == a_id
    assert pair_of(await queue(gql), a_id, b_id) == []
    for id in (a_id, b_id):
        assert (await gql.data(CUSTOMER, id=id))["customer"]["mergedIds"] == []


async def test_a_stewards_merge_of_a_fuzzy_pair_sticks(gql: GraphQL) -> None:
    iso, written = born()
    han = record("crm", unique("FM"), [("PHONE", phone())], full_name="陳靜怡", birth_date=iso,
                 observedAt="2026-06-01T00:00:00+00:00")  # fmt: skip
    typo = record("app", unique("FM"), [("EMAIL", f"{unique('fm')}@shop.cn")], full_name="Jinyi Chen",
                  birth_date_as_written=written)  # fmt: skip
    a_id = (await ingest(gql, han))["results"][0]["customer"]["id"]
    b_id = (await ingest(gql, typo))["results"][0]["customer"]["id"]
    [candidate] = pair_of(await queue(gql), a_id, b_id)
    merged = (await gql.data(RESOLVE, id=candidate["id"], decision="MERGE"))["resolveMatchCandidate"]
    assert [c["id"] for c in merged["customers"]] == [a_id]
    typo["attributes"]["gender"] = "female"
    again = (await ingest(gql, typo))["results"][0]
    assert (again["status"], again["customer"]["id"]) == ("LINKED", a_id)
    assert pair_of(await queue(gql), a_id, b_id) == []


async def test_blocking_keys_follow_merges_and_splits(gql: GraphQL, pg: asyncpg.Connection) -> None:
    """A record's keys find the customer it belongs to now: the survivor after a merge, its own after a split."""
    iso, written = born()
    p, email = phone(), f"{unique('bk')}@shop.cn"
    first = record("crm", unique("BK"), [("PHONE", p)], full_name="周杰", birth_date=iso, city="台北",
                   observedAt="2026-07-01T00:00:00+00:00")  # fmt: skip
    other = record("pos", unique("BK"), [("EMAIL", email)], observedAt="2026-07-02T00:00:00+00:00")
    a_id = (await ingest(gql, first))["results"][0]["customer"]["id"]
    b_id = (await ingest(gql, other))["results"][0]["customer"]["id"]

    async def key_owners(external_id: str) -> set[str]:
        rows = await pg.fetch(
            "SELECT s.customer_id::text AS customer FROM profiles.match_keys k JOIN profiles.source_records s"
            " USING (system, external_id) WHERE k.external_id = $1",
            external_id,
        )
        return {r["customer"] for r in rows}

    assert await key_owners(first["externalId"]) == {a_id}
    # A bridge merges a (the older) with b: the pos record's keys now find a.
    bridge = record("app", unique("BK"), [("PHONE", p), ("EMAIL", email)])
    assert (await ingest(gql, bridge))["results"][0]["mergedCustomerIds"] == [b_id]
    assert await key_owners(other["externalId"]) == {a_id}
    # Split the crm record off: a record matching only its name and birth date joins the split-off customer.
    split = (
        await gql.data(
            UNMERGE,
            input={
                "customerId": a_id,
                "sourceRecords": [{"system": "crm", "externalId": first["externalId"]}],
            },
        )
    )["unmergeCustomer"]
    parted = split["customers"][-1]["id"]
    assert parted != a_id
    assert await key_owners(first["externalId"]) == {parted}
    later = record("wechat", unique("BK"), [("EMAIL", f"{unique('bk')}@shop.cn")], full_name="Jie Zhou",
                   birth_date_as_written=written, city="台北")  # fmt: skip
    joined = (await ingest(gql, later))["results"][0]
    assert joined["customer"]["id"] == parted
    history = (await gql.data(HISTORY, id=parted))["customer"]["identityHistory"]
    assert any(e["kind"] == "LINK" and e["rule"] == "probabilistic" for e in history)
