"""The matching decision policy: joins by the merge threshold, the review band, conflicts, shared identifiers the
attributes weigh against, and separated clusters, whatever the order of the pairs."""

from __future__ import annotations

import itertools

from graph_store.resolution.matching import Contribution
from graph_store.resolution.matching.decide import Clusters, Policy, ScoredPair, decide

POLICY = Policy(merge_at=6.0, review_at=2.0, conflict_below=-5.0, identifiers_against_below=0.0)
CLUSTER = {"a1": "A", "a2": "A", "b1": "B", "c1": "C", "d1": "D"}


def pair(other: str, weight: float, attributes: float = 0.0, shared: tuple[str, ...] = ()) -> ScoredPair:
    comparisons = (
        Contribution("given_name", "exact" if attributes >= 0 else "else", attributes),
        Contribution("phone", "shared" if shared else "null", weight - attributes),
    )
    return ScoredPair("new", other, weight, comparisons, shared)


def clusters(*separated: tuple[str, str]) -> Clusters:
    parted = {frozenset(p) for p in separated}
    return Clusters(CLUSTER.__getitem__, lambda a, b: frozenset((a, b)) in parted)


def test_merge_review_and_nothing_follow_the_thresholds() -> None:
    decision = decide([pair("a1", 9.0), pair("b1", 3.0), pair("c1", 1.0)], clusters(), POLICY)
    assert [(j.cluster, j.evidence.other) for j in decision.joins] == [("A", "a1")]
    assert [r.cluster for r in decision.reviews] == ["B"]
    assert decision.yielding == frozenset()


def test_a_cluster_holding_a_conflicting_record_is_not_joined() -> None:
    """One record of A agrees, another is clearly someone else: A is not joined, it is reviewed."""
    decision = decide([pair("a1", 9.0), pair("a2", -8.0)], clusters(), POLICY)
    assert decision.joins == ()
    assert [(r.cluster, r.evidence.other) for r in decision.reviews] == [("A", "a1")]


def test_a_shared_identifier_the_attributes_weigh_against_yields_and_is_reviewed() -> None:
    family_phone = pair("b1", -4.0, attributes=-12.0, shared=("phone:+8613800000001",))
    own_phone = pair("a1", 3.0, attributes=2.0, shared=("phone:+8613800000002",))
    decision = decide([family_phone, own_phone], clusters(), POLICY)
    assert decision.yielding == frozenset({"B"})
    assert [(r.cluster, r.evidence.shared) for r in decision.reviews] == [("B", ("phone:+8613800000001",))]
    assert decision.joins == ()  # A links through its identifier (the planner's), not through the model


def test_separated_clusters_are_never_joined_together_nor_asked_again() -> None:
    decision = decide(
        [pair("a1", 12.0), pair("b1", 9.0), pair("c1", 4.0)], clusters(("A", "B"), ("A", "C")), POLICY
    )
    assert [j.cluster for j in decision.joins] == ["A"]
    assert decision.reviews == ()


def test_the_decision_does_not_depend_on_the_order_of_the_pairs() -> None:
    pairs = [
        pair("a1", 9.0),
        pair("a2", 7.0),
        pair("b1", 8.0),
        pair("c1", 3.0),
        pair("d1", -9.0, shared=("x",)),
    ]
    first = decide(pairs, clusters(("A", "B")), POLICY)
    for order in itertools.permutations(pairs):
        assert decide(list(order), clusters(("A", "B")), POLICY) == first
    assert [j.cluster for j in first.joins] == ["A"]
    assert first.yielding == frozenset({"D"})
