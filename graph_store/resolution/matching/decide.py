"""The matching decision: which clusters a record joins, which pairs a steward decides, which shared identifiers
yield, given the record's scored pairs and the current clusters. Pure: the planner gathers the pairs (blocking
candidates and the records of customers sharing an identifier with the record, scored in process) and applies
the decision; the offline evaluation calls the same function.

The policy, in the terms of ``config/matching/matching.toml``:

- a cluster whose best pair with the record reaches ``merge_at`` is joined, unless a pair with one of its records
  falls below ``conflict_below`` (evidence of two people), or a split or a steward parted it from a cluster
  already joined (strongest first);
- a shared identifier links only when the attributes do not weigh against it: the best pair sharing it with a
  cluster must have its attribute comparisons' weights summing to at least ``identifiers_against_below``, else the
  identifier yields (a family phone behind a mother and her son) and the pair goes to the stewards;
- a cluster sharing an identifier that does not yield is the identifier's to link (the planner's limits
  permitting), not the stewards';
- the other clusters whose best pair reaches ``review_at`` go to the stewards (never a pair a split or a steward
  parted: a decided pair is not asked again); below it, nothing happens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from graph_store.resolution.matching.scorer import Contribution

IDENTIFIER_COMPARISONS = frozenset({"national_id", "phone", "email", "wechat", "system_id", "device"})
"""Comparisons of identifiers: what the attributes are weighed without when an identifier is shared."""


@dataclass(frozen=True)
class Policy:
    merge_at: float
    review_at: float
    conflict_below: float = -5.0
    """A pair scored below this is two people: their clusters are never joined by the model."""
    identifiers_against_below: float = 0.0
    """A shared identifier yields when its pair's attribute weights sum below this."""


@dataclass(frozen=True)
class ScoredPair:
    """The record against one candidate record, as the scorer weighed them."""

    record: str
    """The deciding record's key."""
    other: str
    """The candidate record's key."""
    match_weight: float
    comparisons: tuple[Contribution, ...]
    shared: tuple[str, ...] = ()
    """Identifier keys both records carry (the deterministic evidence)."""

    @property
    def attribute_weight(self) -> float:
        """What the attributes say, identifiers aside."""
        return sum(c.weight for c in self.comparisons if c.comparison not in IDENTIFIER_COMPARISONS)


class Clusters:
    """The current clusters as the decision sees them: each candidate record's cluster (customer), and which
    clusters were parted for good (a split, a steward's keep-apart)."""

    def __init__(
        self, cluster_of: Callable[[str], str], separated: Callable[[str, str], bool] = lambda a, b: False
    ) -> None:
        self.cluster_of = cluster_of
        self.separated = separated


@dataclass(frozen=True)
class Join:
    cluster: str
    evidence: ScoredPair
    """The strongest pair: what the merge or link event names."""


@dataclass(frozen=True)
class MatchDecision:
    joins: tuple[Join, ...] = ()
    """Clusters the model joins the record with, strongest first."""
    reviews: tuple[Join, ...] = ()
    """Clusters for the stewards, with the pair that explains each."""
    yielding: frozenset[str] = frozenset()
    """Clusters whose shared identifiers must not link (the attributes weigh against, or a conflict)."""


def _best(pairs: Iterable[ScoredPair]) -> ScoredPair:
    return max(pairs, key=lambda p: (p.match_weight, p.other))


def decide(pairs: Sequence[ScoredPair], clusters: Clusters, policy: Policy) -> MatchDecision:
    """The decision for one record from its scored pairs (any order: the result does not depend on it)."""
    by_cluster: dict[str, list[ScoredPair]] = {}
    for pair in pairs:
        by_cluster.setdefault(clusters.cluster_of(pair.other), []).append(pair)
    yielding: set[str] = set()
    reviews: list[Join] = []
    mergeable: list[Join] = []
    for cluster, found in by_cluster.items():
        best = _best(found)
        conflict = any(p.match_weight < policy.conflict_below for p in found)
        sharing = [p for p in found if p.shared]
        against = bool(sharing) and _best(sharing).attribute_weight < policy.identifiers_against_below
        if conflict or against:
            if sharing:
                yielding.add(cluster)
            if against or best.match_weight >= policy.review_at:
                reviews.append(Join(cluster, _best(sharing) if against else best))
            continue
        if best.match_weight >= policy.merge_at:
            mergeable.append(Join(cluster, best))
        elif sharing:
            continue  # the shared identifier links it (the planner's limits permitting)
        elif best.match_weight >= policy.review_at:
            reviews.append(Join(cluster, best))
    joins: list[Join] = []
    for join in sorted(mergeable, key=lambda j: (-j.evidence.match_weight, j.cluster)):
        if any(clusters.separated(join.cluster, kept.cluster) for kept in joins):
            continue
        joins.append(join)
    joined = {j.cluster for j in joins}
    asked = [
        r
        for r in sorted(reviews, key=lambda j: (-j.evidence.match_weight, j.cluster))
        if r.cluster not in joined and not any(clusters.separated(r.cluster, j) for j in joined)
    ]
    return MatchDecision(tuple(joins), tuple(asked), frozenset(yielding))
