"""The decision policy: merges, the review queue, refused joins and yielding identifiers, from scored pairs and
the current clusters, independent of the order the pairs come in."""

from __future__ import annotations

import random

import numpy as np
import pytest

from graph_store.resolution.matching import Scorer, Thresholds, load_config
from graph_store.resolution.matching.decide import (
    Clusters,
    Decisions,
    Group,
    Pair,
    Reason,
    decide,
)
from graph_store.resolution.matching.scorer import Contribution

T = Thresholds(merge_at=6.0, review_at=2.0, conflict_below=-5.0)


def pair(a: str, b: str, weight: float, *, shared: tuple[str, ...] = (), **weights: float) -> Pair:
    """A scored pair; comparisons not named weigh 0."""
    return Pair(
        a,
        b,
        weight,
        tuple(Contribution(name, "exact" if w > 0 else "else", w) for name, w in weights.items()),
        shared,
    )


def strong(a: str, b: str, weight: float = 20.0, shared: tuple[str, ...] = ()) -> Pair:
    """A merge-level pair corroborated by a phone."""
    return pair(a, b, weight, shared=shared, given_name=6.0, birth_date=11.0, phone=11.0)


def test_a_corroborated_pair_above_the_merge_threshold_joins_the_earlier_records_customer() -> None:
    decisions = decide(["r2"], [strong("r1", "r2")], Clusters({"r1": "c1"}), T)
    (record,) = decisions.records
    assert record.record == "r2"
    assert [(j.other, j.pair.match_weight) for j in record.joins] == [("r1", 20.0)]
    assert record.reviews == ()
    assert record.yields == ()
    assert decisions.groups == (Group(("c1",), ("r2",)),)


def test_between_the_thresholds_is_review_and_below_is_nothing() -> None:
    decisions = decide(
        ["r3"],
        [pair("r1", "r3", 4.0, address=9.0), pair("r2", "r3", 1.9, address=9.0)],
        Clusters({"r1": "c1", "r2": "c2"}),
        T,
    )
    (record,) = decisions.records
    assert record.joins == ()
    assert [(r.other, r.reason) for r in record.reviews] == [("r1", Reason.BETWEEN_THRESHOLDS)]
    assert decisions.groups == (Group((), ("r3",)),)


def test_namesakes_born_the_same_day_are_not_merged_unless_another_comparison_agrees() -> None:
    alone = pair("r1", "r2", 9.0, family_name=3.0, given_name=4.0, birth_date=14.0, gender=1.0, city=-1.0)
    decisions = decide(["r2"], [alone], Clusters({"r1": "c1"}), T)
    (record,) = decisions.records
    assert record.joins == ()
    assert [(r.other, r.reason) for r in record.reviews] == [("r1", Reason.DESCRIPTION_ONLY)]
    with_city = pair("r1", "r2", 9.0, family_name=3.0, given_name=4.0, birth_date=14.0, city=2.0)
    assert [j.other for j in decide(["r2"], [with_city], Clusters({"r1": "c1"}), T).records[0].joins] == [
        "r1"
    ]


def test_a_customer_one_of_whose_records_contradicts_the_record_is_not_joined() -> None:
    decisions = decide(
        ["r3"],
        [strong("r1", "r3"), pair("r2", "r3", -9.0, birth_date=-8.0)],
        Clusters({"r1": "c1", "r2": "c1"}),
        T,
    )
    (record,) = decisions.records
    assert record.joins == ()
    assert [(r.other, r.reason) for r in record.reviews] == [("r1", Reason.CONTRADICTED)]


def test_a_record_never_bridges_two_customers_whose_records_disagree() -> None:
    """r3 matches a record of c1 and one of c2, but c1 and c2 hold records scored as two people: r3 joins the
    stronger match only, and the other goes to review."""
    pairs = [strong("r1", "r3", 25.0), strong("r2", "r3", 21.0), pair("r1", "r2", -12.0, given_name=-6.0)]
    decisions = decide(["r3"], pairs, Clusters({"r1": "c1", "r2": "c2"}), T)
    (record,) = decisions.records
    assert [j.other for j in record.joins] == ["r1"]
    assert [(r.other, r.reason) for r in record.reviews] == [("r2", Reason.CLUSTERS_DISAGREE)]
    assert decisions.groups == (Group(("c1",), ("r3",)),)
    # Without the disagreement, the record joins both: the customers merge.
    joined = decide(["r3"], pairs[:2], Clusters({"r1": "c1", "r2": "c2"}), T)
    assert [j.other for j in joined.records[0].joins] == ["r1", "r2"]
    assert joined.groups == (Group(("c1", "c2"), ("r3",)),)


def test_customers_kept_apart_are_never_joined() -> None:
    pairs = [strong("r1", "r3", 25.0), strong("r2", "r3", 21.0)]
    decisions = decide(["r3"], pairs, Clusters({"r1": "c1", "r2": "c2"}, [frozenset({"c1", "c2"})]), T)
    (record,) = decisions.records
    assert [j.other for j in record.joins] == ["r1"]
    assert [(r.other, r.reason) for r in record.reviews] == [("r2", Reason.KEPT_APART)]


def test_an_identifier_shared_with_a_customer_the_record_does_not_join_yields() -> None:
    """A family phone: the son's record shares it with his mother's, whose birth date and given name differ."""
    mother_son = pair(
        "mother",
        "son",
        -3.0,
        shared=("phone:+8613812345678",),
        family_name=4.0,
        given_name=-5.5,
        birth_date=-7.6,
        phone=11.0,
    )
    decisions = decide(["son"], [mother_son], Clusters({"mother": "c1"}), T)
    (record,) = decisions.records
    assert record.joins == ()
    assert [(y.identifier, y.other, y.reason) for y in record.yields] == [
        ("phone:+8613812345678", "mother", Reason.ATTRIBUTES_DISAGREE)
    ]
    # The same phone with agreeing attributes merges, and nothing yields.
    same = strong("mother", "son", shared=("phone:+8613812345678",))
    merged = decide(["son"], [same], Clusters({"mother": "c1"}), T).records[0]
    assert [j.other for j in merged.joins] == ["mother"]
    assert merged.yields == ()


def test_records_of_one_batch_are_decided_in_order_against_each_other() -> None:
    """r1 starts a person, r2 joins it, r3 joins both it and an existing customer through r2's phone; a review
    raised early is dropped once the two records end up together."""
    pairs = [
        strong("r1", "r2"),
        pair("r1", "r3", 3.0, address=9.0),  # review band: dropped, since r3 joins r1's cluster via r2
        strong("r2", "r3", 18.0),
        strong("old", "r3", 30.0),
    ]
    decisions = decide(["r1", "r2", "r3"], pairs, Clusters({"old": "c9"}), T)
    r1, r2, r3 = decisions.records
    assert r1.joins == ()
    assert [j.other for j in r2.joins] == ["r1"]
    assert [j.other for j in r3.joins] == ["old", "r2"]
    assert r3.reviews == ()
    assert decisions.groups == (Group(("c9",), ("r1", "r2", "r3")),)


def test_decisions_do_not_depend_on_the_order_or_orientation_of_the_pairs() -> None:
    rng = random.Random(5)
    records = [f"n{k}" for k in range(12)]
    existing = {f"e{k}": f"c{k % 4}" for k in range(8)}
    keys = records + list(existing)
    pairs = []
    for _ in range(60):
        a, b = rng.sample(keys, 2)
        if a in existing and b in existing:
            continue
        weight = rng.choice([-20.0, -6.0, 0.0, 3.0, 7.0, 15.0, 30.0])
        pairs.append(pair(a, b, weight, phone=weight, shared=("phone:1",) if weight > 10 else ()))
    clusters = Clusters(existing, [frozenset({"c0", "c1"})])
    expected = decide(records, pairs, clusters, T)
    assert any(r.joins for r in expected.records)
    assert any(r.reviews for r in expected.records)
    for _ in range(5):
        shuffled = [Pair(p.right, p.left, p.match_weight, p.contributions, p.shared) for p in pairs]
        rng.shuffle(shuffled)
        assert decide(records, shuffled, clusters, T) == expected


def test_a_record_sent_again_starts_from_its_customer_and_bad_input_is_refused() -> None:
    decisions = decide(["r1"], [strong("r1", "r2")], Clusters({"r1": "c1", "r2": "c2"}), T)
    assert decisions.groups == (Group(("c1", "c2"), ("r1",)),)
    with pytest.raises(ValueError, match="neither in the batch nor in a cluster"):
        decide(["r1"], [strong("r1", "ghost")], Clusters(), T)
    with pytest.raises(ValueError, match="twice"):
        decide(["r1", "r1"], [], Clusters(), T)


def test_the_repository_model_keeps_a_family_phone_apart_and_joins_the_same_person() -> None:
    """Scored by the model in use, with its thresholds: the son's record does not join his mother's customer and
    their phone yields; her own second record joins her."""
    config = load_config()
    phone = "+8613812345678"
    mother = {
        "full_name": "王芳",
        "birth_date": "1962-05-01",
        "city": "北京",
        "phone": [phone],
        "gender": "female",
    }
    son = {
        "full_name": "王子涵",
        "birth_date": "1990-11-23",
        "city": "北京",
        "phone": [phone],
        "gender": "male",
    }
    again = {"full_name": "Wang Fang", "birth_date": "1962/5/1", "phone": [phone], "city": "Beijing"}
    records = {"mother": mother, "son": son, "again": again}
    keys = list(records)
    scores = Scorer(config.model).score_records(
        list(records.values()), list(records.values()), [(0, 1), (0, 2), (1, 2)]
    )
    pairs = [
        Pair(keys[a], keys[b], float(scores.match_weight[k]), tuple(scores.explain(k)), (f"phone:{phone}",))
        for k, (a, b) in enumerate([(0, 1), (0, 2), (1, 2)])
    ]
    decisions = decide(["son", "again"], pairs, Clusters({"mother": "c1"}), config.thresholds)
    son_decision, again_decision = decisions.records
    assert son_decision.joins == ()
    assert [y.identifier for y in son_decision.yields] == [f"phone:{phone}"]
    assert [j.other for j in again_decision.joins] == ["mother"]
    assert not np.isnan(scores.match_weight).any()
    assert decisions.groups == (Group((), ("son",)), Group(("c1",), ("again",)))


def test_groups_are_a_partition_of_the_batch() -> None:
    decisions: Decisions = decide(
        ["a", "b", "c"], [strong("a", "b"), pair("b", "c", 4.0, address=5.0)], Clusters(), T
    )
    held = [r for group in decisions.groups for r in group.records]
    assert sorted(held) == ["a", "b", "c"]


def test_a_pair_whose_description_weighs_against_it_is_reviewed_however_much_it_shares() -> None:
    """A mother and her son behind one phone and one address: the merge-level weight comes from what a household
    shares, while names, birth date and gender say two people."""
    household = pair(
        "mother",
        "son",
        9.0,
        shared=("phone:+8613812345678",),
        phone=11.0,
        address=13.0,
        family_name=4.0,
        given_name=-4.5,
        birth_date=-7.0,
        gender=-1.0,
    )
    assert household.person_weight() == pytest.approx(-8.5)
    (son,) = decide(["son"], [household], Clusters({"mother": "c1"}), T).records
    assert son.joins == ()
    assert [(r.other, r.reason) for r in son.reviews] == [("mother", Reason.PERSON_DISAGREES)]
    assert [(y.identifier, y.reason) for y in son.yields] == [
        ("phone:+8613812345678", Reason.PERSON_DISAGREES)
    ]
    # the same pair with a description that does not weigh against it (a missing birth date) joins
    agreeing = pair("mother", "son2", 9.0, phone=11.0, address=13.0, family_name=4.0, given_name=-4.5)
    (joined,) = decide(["son2"], [agreeing], Clusters({"mother": "c1"}), T).records
    assert [j.other for j in joined.joins] == ["mother"]
