"""The matching model's quality without any server: blocking, the in-process scorer, the thresholds and
clustering, run directly on a labelled data set, so the model is known before it is wired into ingestion.

Clustering joins the records of every pair at or above the merge threshold (connected components); pairs in the
review band whose records were not joined anyway are the review queue, left unresolved (automatic decisions only).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from bench.identity_sets import DataSet, UnionFind, matching_record
from graph_store.resolution.matching import (
    COMPARISONS,
    Decision,
    Model,
    Prepared,
    Scorer,
    Scores,
    Thresholds,
    blocking_keys,
    prepare,
)
from graph_store.resolution.rules import MatchingRules

CONFLICT_BELOW = -5.0
"""A scored pair below this match weight is evidence of two people: clustering never joins their clusters."""
MAX_BLOCK = 200
"""A key shared by more records than this finds no candidates (a shop tablet, a placeholder value): the online
planner caps its candidates per key the same way."""


@dataclass
class Blocking:
    pairs: np.ndarray
    """(n, 2) record indices, left < right (left from file A and right from file B for a linkage)."""
    recall: float
    candidates_per_record: float
    skipped_keys: int


def block(data: DataSet, rows: list[dict[str, object]]) -> Blocking:
    index: dict[str, list[int]] = defaultdict(list)
    for n, row in enumerate(rows):
        for key in blocking_keys(row):
            index[key].append(n)
    found: set[tuple[int, int]] = set()
    skipped = 0
    sides = [item.side for item in data.records]
    for members in index.values():
        if len(members) > MAX_BLOCK:
            skipped += 1
            continue
        for a_at, a in enumerate(members):
            for b in members[a_at + 1 :]:
                if data.link:
                    if sides[a] == sides[b]:
                        continue
                    found.add((a, b) if sides[a] == 0 else (b, a))
                else:
                    found.add((a, b) if a < b else (b, a))
    persons = [item.person for item in data.records]
    true_found = sum(1 for a, b in found if persons[a] == persons[b])
    pairs = np.array(sorted(found), dtype=np.intp).reshape(-1, 2)
    return Blocking(pairs, true_found / max(1, _true_pairs(data)), 2 * len(found) / len(rows), skipped)


def _true_pairs(data: DataSet) -> int:
    if data.link:
        sides: Counter[tuple[str, int]] = Counter((item.person, item.side) for item in data.records)
        return sum(sides[(p, 0)] * sides[(p, 1)] for p, s in list(sides) if s == 0)
    return sum(n * (n - 1) // 2 for n in Counter(item.person for item in data.records).values())


@dataclass
class Quality:
    name: str
    records: int
    precision: float
    recall: float
    f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    clusters: int
    true_clusters: int
    impure_clusters: int
    largest_cluster: int
    review_pairs: int
    review_records: int
    seconds: float
    blocking: Blocking
    ceiling: float | None

    def line(self) -> str:
        ceiling = f"{self.ceiling:.4f}" if self.ceiling is not None else "-"
        return (
            f"| {self.name} | {self.records:,} | {self.precision:.4f} | {self.recall:.4f} | {self.f1:.4f} | "
            f"{self.bcubed_f1:.4f} | {ceiling} | {self.clusters:,} vs {self.true_clusters:,} | "
            f"{self.impure_clusters} | {self.largest_cluster} | {self.review_records:,} "
            f"({self.review_records / self.records:.1%}) | {self.blocking.recall:.4f} | "
            f"{self.blocking.candidates_per_record:.1f} | {self.records / self.seconds:,.0f} |"
        )


HEADER = (
    "| data set | records | precision | recall | F1 | B-cubed F1 | evidence ceiling | clusters vs truth | "
    "clusters joining people | largest | records in review | blocking recall | candidates/record | records/s |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def cluster_pairs(
    size: int, pairs: np.ndarray, weights: np.ndarray, decisions: np.ndarray, thresholds: Thresholds
) -> list[int]:
    """Join the records of merge-level pairs, strongest first, unless two records already in the clusters to be
    joined were scored below :data:`CONFLICT_BELOW` (evidence that they are different people): then the pair is
    left for review. Plain connected components would chain namesakes through one ambiguous record."""
    groups = UnionFind(size)
    members: dict[int, list[int]] = {n: [n] for n in range(size)}
    against: dict[int, set[int]] = defaultdict(set)
    for (a, b), weight in zip(pairs.tolist(), weights.tolist(), strict=True):
        if weight < CONFLICT_BELOW:
            against[a].add(b)
            against[b].add(a)
    merge = np.flatnonzero(decisions == Decision.MERGE)
    for k in merge[np.argsort(-weights[merge], kind="stable")].tolist():
        a, b = (groups.find(int(n)) for n in pairs[k])
        if a == b:
            continue
        small, large = (a, b) if len(members[a]) <= len(members[b]) else (b, a)
        large_set = set(members[large])
        if any(not against[n].isdisjoint(large_set) for n in members[small]):
            continue
        groups.union(a, b)
        root = groups.find(a)
        members[root] = members.pop(small) + members.pop(large)
    return [groups.find(n) for n in range(size)]


IDENTIFIER_COMPARISONS = ("national_id", "phone", "email", "wechat", "system_id")
ATTRIBUTE_COMPARISONS = (
    "family_name",
    "given_name",
    "birth_date",
    "gender",
    "address",
    "address_2",
    "city",
    "postcode",
    "region",
)


def with_identifier_links(scores: Scores, decisions: np.ndarray) -> np.ndarray:
    """Decisions as the planner takes them with deterministic links: a pair sharing a personal identifier is
    merged unless its attributes weigh against it (their weights sum below 0: different birth dates and given
    names, say), in which case it goes to review."""
    names = [c.name for c in COMPARISONS]
    identifier = [names.index(n) for n in IDENTIFIER_COMPARISONS]
    attribute = [names.index(n) for n in ATTRIBUTE_COMPARISONS]
    shared = (scores.levels[:, identifier] == 1).any(axis=1)
    against = scores.weights[:, attribute].sum(axis=1) < 0
    out = decisions.copy()
    out[shared & ~against] = Decision.MERGE
    out[shared & against & (decisions == Decision.NONE)] = Decision.REVIEW
    return out


def evaluate(
    data: DataSet, model: Model, thresholds: Thresholds, rules: MatchingRules, identifier_links: bool = False
) -> Quality:
    records = [matching_record(item, rules) for item in data.records]
    started = time.perf_counter()
    rows = [prepare(r) for r in records]
    prepared = Prepared.of(rows)
    blocking = block(data, rows)
    scores = Scorer(model).score(prepared, prepared, blocking.pairs[:, 0], blocking.pairs[:, 1])
    decisions = thresholds.decide(scores.match_weight)
    if identifier_links:
        decisions = with_identifier_links(scores, decisions)
    cluster = cluster_pairs(len(rows), blocking.pairs, scores.match_weight, decisions, thresholds)
    undecided = decisions != Decision.NONE  # the review band, and merges clustering refused
    review = [(a, b) for a, b in blocking.pairs[undecided].tolist() if cluster[a] != cluster[b]]
    seconds = time.perf_counter() - started
    persons = [item.person for item in data.records]

    def pairs(counts: Counter[object]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    predicted = pairs(Counter(cluster))
    true_positive = pairs(Counter(zip(cluster, persons, strict=True)))
    truth = pairs(Counter(persons))
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / truth if truth else 1.0
    cluster_size = Counter(cluster)
    person_size = Counter(persons)
    cell = Counter(zip(cluster, persons, strict=True))
    bp = sum(cell[(c, p)] / cluster_size[c] for c, p in zip(cluster, persons, strict=True)) / len(rows)
    br = sum(cell[(c, p)] / person_size[p] for c, p in zip(cluster, persons, strict=True)) / len(rows)
    people_in: dict[int, set[str]] = defaultdict(set)
    for c, p in zip(cluster, persons, strict=True):
        people_in[c].add(p)
    return Quality(
        data.name,
        len(rows),
        precision,
        recall,
        f1(precision, recall),
        bp,
        br,
        f1(bp, br),
        len(cluster_size),
        len(person_size),
        sum(1 for people in people_in.values() if len(people) > 1),
        max(cluster_size.values()),
        len(review),
        len({n for pair in review for n in pair}),
        seconds,
        blocking,
        data.ceiling,
    )
