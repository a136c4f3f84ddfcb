"""The matching decision of one batch, as a pure function of what the model said and what the graph holds.

Input: the batch's new records in stream order (opaque keys), their scored pairs (each with its match weight, the
per-comparison weights that explain it, and the identifiers both records carry), and the current clusters (which
earlier records belong to which customer, which customers a steward or a split kept apart). Output, per record in
batch order: the clusters it joins and the pair that decided each, the pairs for the stewards' review queue, and
the shared identifiers that yield (are not linked) because the record did not join their holder.

The rules, in the order they apply to each record, against the clusters as the records before it left them:

1. A pair *supports a merge* when its match weight reaches ``merge_at`` and it is corroborated: some comparison
   beyond the person's description (names, birth date, gender) agrees with a positive weight. Namesakes born the
   same day are two people as often as one, so name and birth date alone go to review, never merge. Nor does a
   pair whose description weighs against it (``Pair.against_person``: names, birth date and gender summing below
   ``identifiers_against_below``), however much it shares: a family phone and address behind a mother and her son;
   unless the two share a national id, which no household shares, and still reach ``merge_at``. Nor, for the same
   reason, does a pair that shares only values a household shares (phones, e-mails, devices) where a name or the
   birth date disagrees and, places left out, it scores below ``review_at`` (``Pair.household_only``: two
   brothers with a family phone and one address, no birth date given).
2. A cluster contradicts the record when one of its records was scored below ``conflict_below`` against it: the
   record does not join it, even if another of its records matches (review instead).
3. The record joins the clusters supported by a merge, strongest pair first, unless a join would put together
   clusters that disagree (kept apart, or holding two records scored below ``conflict_below``): that join is
   refused and the pair goes to review. So one record never bridges two people.
4. Pairs from ``review_at`` up to ``merge_at``, and every merge refused above, go to review: the strongest pair
   per record and cluster, dropped when the two end up in one cluster anyway.
5. An identifier the record shares with a cluster it did not join yields, naming the pair that decided against.

Deterministic: the result depends on the batch order only, never on the order or orientation of ``pairs`` (ties
between clusters break on record keys). No I/O, so the relay and the offline evaluation run the same decisions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from graph_store.resolution.matching.comparisons import COMPARISONS
from graph_store.resolution.matching.model import Thresholds
from graph_store.resolution.matching.scorer import Contribution

DESCRIPTION = frozenset({"family_name", "given_name", "birth_date", "gender"})
"""Comparisons that describe a person without identifying one: agreeing on all of them corroborates nothing."""


@dataclass(frozen=True)
class Pair:
    """Two records as the model scored them: the evidence every decision names."""

    left: str
    right: str
    match_weight: float
    contributions: tuple[Contribution, ...] = ()
    """Each comparison's level and weight (``Scores.explain``)."""
    shared: tuple[str, ...] = ()
    """Keys of the identifiers (of merging types) both records carry."""

    def other(self, record: str) -> str:
        return self.right if record == self.left else self.left

    def corroborated(self) -> bool:
        """Some comparison beyond the person's description agrees."""
        return any(c.weight > 0 and c.comparison not in DESCRIPTION for c in self.contributions)

    def person_weight(self) -> float:
        """The weight of the person's description alone (names, birth date, gender): places are left out, a
        household shares them as it shares a phone."""
        return sum(c.weight for c in self.contributions if c.comparison in DESCRIPTION)

    def against_person(self, thresholds: Thresholds) -> bool:
        """The description says two people, whatever identifiers and places the two share; except when the two
        share a national id, which is issued to one person and no household shares, and the model, weighing
        everything, still scores them at the merge threshold (the description is then a source's error)."""
        if self.match_weight >= thresholds.merge_at and any(
            k.startswith(PERSONAL_PREFIX) for k in self.shared
        ):
            return False
        return self.person_weight() < thresholds.identifiers_against_below

    def personal_weight(self) -> float:
        """The match weight with places left out (address, city, postcode, region): what says this person, not
        this household or this neighbourhood."""
        return self.match_weight - sum(c.weight for c in self.contributions if c.comparison in PLACES)

    def description_disagrees(self) -> bool:
        """A name or the birth date, compared (both records have one), weighs against the pair."""
        return any(c.comparison in NAMED and c.level != "null" and c.weight < 0 for c in self.contributions)

    def household_only(self, thresholds: Thresholds) -> bool:
        """The two share identifiers a household shares (phones, e-mails, devices) and nothing else, a name or the
        birth date, compared, disagrees, and the pair, places left out, scores below ``review_at``: only what a
        household shares (those values, the address and the city) says one person, as it does for a father and
        his son, two sisters, or a couple. A pair that shares no identifier is weighed as before (a source's typo
        in a name, places agreeing), and so is one that shares a national id or a system's id, which no household
        shares."""
        if not self.shared or not all(k.startswith(SHAREABLE) for k in self.shared):
            return False
        return self.description_disagrees() and self.personal_weight() < thresholds.review_at

    def attributes_weight(self) -> float:
        """The weight of every comparison that is not an identifier's: what a shared identifier is weighed
        against."""
        return sum(c.weight for c in self.contributions if c.comparison in ATTRIBUTE_COMPARISONS)


NAMED = frozenset({"family_name", "given_name", "birth_date"})
"""Comparisons that say who a person is (gender alone does not)."""
PLACES = frozenset({"address", "address_2", "city", "postcode", "region"})
"""Comparisons of where a person lives: a household shares them all."""
SHAREABLE = ("phones:", "emails:", "devices:")
"""Identifiers (``Pair.shared`` keys) a household or a shop shares: a family phone, a family e-mail, a shop's
tablet, a number recycled to a new owner."""
PERSONAL_PREFIX = "national_id:"
"""The key of a shared identifier that names one person whatever the description says (``Pair.shared``)."""
IDENTIFIER_COMPARISONS = frozenset({"national_id", "phone", "email", "wechat", "system_id", "device"})
ATTRIBUTE_COMPARISONS = frozenset(c.name for c in COMPARISONS) - IDENTIFIER_COMPARISONS
"""What a person's records say about them, as opposed to the identifiers they carry."""


@dataclass(frozen=True)
class Clusters:
    """What the graph holds before the batch."""

    customer_of: Mapping[str, str] = field(default_factory=dict)
    """Each earlier record (any record of ``pairs`` that is not new) and the customer it resolves to."""
    kept_apart: Collection[frozenset[str]] = ()
    """Pairs of customers a steward kept apart or a split parted: never joined again."""


class Reason(StrEnum):
    """Why a pair goes to review (or an identifier yields) instead of merging."""

    BETWEEN_THRESHOLDS = "match weight between the review and merge thresholds"
    DESCRIPTION_ONLY = "only name, birth date and gender agree"
    CONTRADICTED = "another record of that customer contradicts this one"
    CLUSTERS_DISAGREE = "joining would put together customers that disagree"
    KEPT_APART = "joining would put together customers kept apart"
    ATTRIBUTES_DISAGREE = "the records' attributes weigh against the shared identifier"
    PERSON_DISAGREES = "names, birth date and gender weigh against the pair"
    BELOW_THRESHOLD = "match weight below the merge threshold"
    NOTHING_TO_WEIGH = "only a value a household or a shop shares joins them, nothing says who the person is"
    HOUSEHOLD_ONLY = (
        "a name or the birth date disagrees, and only what a household shares (a phone, an e-mail, a device, the"
        " address) agrees"
    )


@dataclass(frozen=True)
class Join:
    """The record joins the cluster of ``other`` (an earlier record): ``pair`` decided it."""

    other: str
    pair: Pair


@dataclass(frozen=True)
class Review:
    """A pair for the stewards: the record and ``other``, in clusters the policy did not join."""

    other: str
    pair: Pair
    reason: Reason


@dataclass(frozen=True)
class Yield:
    """An identifier the record shares with ``other`` whose cluster it did not join: not linked."""

    identifier: str
    other: str
    pair: Pair
    reason: Reason


@dataclass(frozen=True)
class RecordDecision:
    record: str
    joins: tuple[Join, ...] = ()
    """Strongest first; empty when the record starts a cluster of its own (or stays in its customer)."""
    reviews: tuple[Review, ...] = ()
    yields: tuple[Yield, ...] = ()


@dataclass(frozen=True, order=True)
class Group:
    """A cluster after the batch: the customers it joins (none for a new person) and the batch records in it."""

    customers: tuple[str, ...]
    records: tuple[str, ...]


@dataclass(frozen=True)
class Decisions:
    records: tuple[RecordDecision, ...]
    """One per batch record, in batch order."""
    groups: tuple[Group, ...]
    """Every cluster holding a batch record, after the batch (sorted): which customers merge, which new people
    start, and which records each holds."""


class _Clustering:
    """Union-find over customers and new records, with what each cluster holds and contradicts."""

    def __init__(self, clusters: Clusters, conflicts: Iterable[tuple[str, str]]) -> None:
        self.customer_of = clusters.customer_of
        self.parent: dict[str, str] = {}
        self.records: dict[str, set[str]] = defaultdict(set)
        self.customers: dict[str, set[str]] = defaultdict(set)
        self.against: dict[str, set[str]] = defaultdict(set)
        self.apart: dict[str, set[str]] = defaultdict(set)
        for pair in clusters.kept_apart:
            if len(pair) == 2:
                a, b = sorted(pair)
                self.apart[a].add(b)
                self.apart[b].add(a)
        for a, b in conflicts:
            self.against[self.node(a)].add(b)
            self.against[self.node(b)].add(a)

    def node(self, record: str) -> str:
        """The cluster of a record (its customer's, or its own while it has none), found and registered."""
        customer = self.customer_of.get(record)
        start = f"c:{customer}" if customer is not None else f"r:{record}"
        root = self.find(start)
        if record not in self.records[root]:
            self.records[root].add(record)
            if customer is not None:
                self.customers[root].add(customer)
        return root

    def find(self, node: str) -> str:
        parent = self.parent
        while node in parent:
            node = parent[node]
        return node

    def disagree(self, a: str, b: str) -> Reason | None:
        if any(not self.apart[c].isdisjoint(self.customers[b]) for c in self.customers[a]):
            return Reason.KEPT_APART
        if not self.against[a].isdisjoint(self.records[b]) or not self.against[b].isdisjoint(self.records[a]):
            return Reason.CLUSTERS_DISAGREE
        return None

    def union(self, a: str, b: str) -> str:
        keep, gone = (a, b) if len(self.records[a]) >= len(self.records[b]) else (b, a)
        self.parent[gone] = keep
        for table in (self.records, self.customers, self.against):
            moved = table.pop(gone, set())
            if len(moved) > len(table[keep]):
                moved, table[keep] = table[keep], moved
            table[keep] |= moved
        return keep


def _oriented(pairs: Iterable[Pair]) -> dict[tuple[str, str], Pair]:
    """One pair per two records, written with the smaller key on the left (the strongest if given twice)."""
    found: dict[tuple[str, str], Pair] = {}
    for pair in pairs:
        if pair.left == pair.right:
            continue
        if pair.right < pair.left:
            pair = Pair(pair.right, pair.left, pair.match_weight, pair.contributions, pair.shared)
        key = (pair.left, pair.right)
        seen = found.get(key)
        if seen is None or _rank(pair) > _rank(seen):
            found[key] = pair
    return found


def _rank(pair: Pair) -> tuple[float, str]:
    return pair.match_weight, repr((pair.contributions, pair.shared))


def decide(
    batch: Sequence[str],
    pairs: Iterable[Pair],
    clusters: Clusters,
    thresholds: Thresholds,
) -> Decisions:
    """Decide the records of ``batch`` in order (see the module docstring for the rules).

    ``pairs`` holds every scored pair between a batch record and its candidates (earlier records, and the other
    records of the batch); pairs between earlier records of different customers may be added, so that a record
    is not let to join customers whose records disagree with each other. A record of ``pairs`` that is neither in
    ``batch`` nor in ``clusters.customer_of`` is an error. A batch record already in ``clusters.customer_of`` (a
    record sent again with new content) starts from its customer.
    """
    order = {record: n for n, record in enumerate(batch)}
    if len(order) != len(batch):
        raise ValueError("a record appears twice in the batch")
    found = _oriented(pairs)
    for a, b in found:
        for record in (a, b):
            if record not in order and record not in clusters.customer_of:
                raise ValueError(f"record {record!r} is neither in the batch nor in a cluster")
    conflicts = [key for key, pair in found.items() if pair.match_weight < thresholds.conflict_below]
    state = _Clustering(clusters, conflicts)
    earlier: dict[str, list[Pair]] = defaultdict(list)
    """Each batch record's pairs with the records decided before it (earlier records, or earlier in the batch)."""
    for (a, b), pair in found.items():
        rank_a, rank_b = order.get(a, -1), order.get(b, -1)
        if rank_a >= 0 or rank_b >= 0:
            earlier[a if rank_a > rank_b else b].append(pair)

    decided: list[tuple[str, list[Join], dict[str, Review], list[tuple[str, str, Pair]]]] = []
    for record in batch:
        own = state.node(record)
        by_cluster: dict[str, list[Pair]] = defaultdict(list)
        for pair in earlier.get(record, ()):
            other = pair.other(record)
            by_cluster[state.node(other)].append(pair)
        joins: list[Join] = []
        reviews: dict[str, Review] = {}
        candidates: list[tuple[float, str, str, Pair]] = []
        for cluster, evidence in by_cluster.items():
            if cluster == own:
                continue
            best = max(evidence, key=lambda p: (p.match_weight, p.other(record)))
            if best.match_weight < thresholds.review_at:
                continue
            if min(p.match_weight for p in evidence) < thresholds.conflict_below:
                reviews[cluster] = Review(best.other(record), best, Reason.CONTRADICTED)
            elif best.against_person(thresholds):
                reviews[cluster] = Review(best.other(record), best, Reason.PERSON_DISAGREES)
            elif best.match_weight < thresholds.merge_at:
                reviews[cluster] = Review(best.other(record), best, Reason.BETWEEN_THRESHOLDS)
            elif not best.corroborated():
                reviews[cluster] = Review(best.other(record), best, Reason.DESCRIPTION_ONLY)
            elif best.household_only(thresholds):
                reviews[cluster] = Review(best.other(record), best, Reason.HOUSEHOLD_ONLY)
            else:
                candidates.append((-best.match_weight, best.other(record), cluster, best))
        for _, other, cluster, best in sorted(candidates, key=lambda c: (c[0], c[1])):
            cluster = state.find(cluster)
            if cluster == own:
                continue
            refused = state.disagree(own, cluster)
            if refused is not None:
                reviews[cluster] = Review(other, best, refused)
                continue
            own = state.union(own, cluster)
            joins.append(Join(other, best))
        shared = [
            (identifier, pair.other(record), pair)
            for pair in earlier.get(record, ())
            for identifier in pair.shared
        ]
        decided.append((record, joins, reviews, shared))

    records: list[RecordDecision] = []
    for record, joins, reviews, shared in decided:
        root = state.find(state.node(record))
        kept = tuple(review for review in reviews.values() if state.find(state.node(review.other)) != root)
        yields = tuple(
            Yield(identifier, other, pair, _why_not(pair, thresholds, reviews, state, other))
            for identifier, other, pair in sorted(shared, key=lambda s: (s[0], s[1]))
            if state.find(state.node(other)) != root
        )
        records.append(
            RecordDecision(
                record,
                tuple(joins),
                tuple(sorted(kept, key=lambda r: (-r.pair.match_weight, r.other))),
                yields,
            )
        )
    touched = {state.find(state.node(record)) for record in batch}
    groups = sorted(
        Group(
            tuple(sorted(state.customers[root])), tuple(sorted(r for r in state.records[root] if r in order))
        )
        for root in touched
    )
    return Decisions(tuple(records), tuple(groups))


def _why_not(
    pair: Pair, thresholds: Thresholds, reviews: Mapping[str, Review], state: _Clustering, other: str
) -> Reason:
    """The reason a shared identifier did not join its holder."""
    for review in reviews.values():
        if review.other == other or state.find(state.node(review.other)) == state.find(state.node(other)):
            return review.reason
    if pair.match_weight >= thresholds.merge_at and not pair.corroborated():
        return Reason.DESCRIPTION_ONLY
    if pair.attributes_weight() < 0:
        return Reason.ATTRIBUTES_DISAGREE
    return Reason.BETWEEN_THRESHOLDS if pair.match_weight >= thresholds.review_at else Reason.BELOW_THRESHOLD
