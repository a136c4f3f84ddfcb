"""The matching model's quality without any server, as the relay would decide it: the records arrive in stream
order (by observation time, then as listed; a linkage's second file after its first) in batches, and each batch
is resolved against everything before it by the same steps the relay takes: blocking keys find candidates (a key
held by more than :data:`MAX_BLOCK` records finds none), the in-process scorer scores them, and the decision
policy (``graph_store.resolution.matching.decide``) merges, queues for review or leaves apart. The review queue is
left unresolved (automatic decisions only).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.identity_sets import DataSet, UnionFind, matching_record
from graph_store.resolution.matching import Model, Prepared, Scorer, Thresholds, blocking_keys, prepare
from graph_store.resolution.matching.decide import Clusters, Pair, decide
from graph_store.resolution.rules import MatchingRules

MAX_BLOCK = 200
"""A key shared by more records than this finds no candidates (a shop tablet, a placeholder value): the online
planner caps its candidates per key the same way."""
BATCH = 1000
"""Records per batch, as the relay claims them."""


@dataclass
class Blocking:
    recall: float
    """Share of true pairs that were ever scored (found by a shared key)."""
    candidates_per_record: float
    skipped_keys: int


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


def _stream(data: DataSet) -> list[int]:
    """Record indices in arrival order: observation time, then as listed; a linkage's second file after its first."""
    return sorted(range(len(data.records)), key=lambda n: (data.records[n].side, data.records[n].observed_at))


def _identifiers(record: Mapping[str, Any], rules: MatchingRules) -> frozenset[str]:
    """Keys of the identifiers of merging types a matching record carries (``type:value``)."""
    return frozenset(
        f"{kind.value}:{value}" for kind in rules.matching for value in record.get(kind.value, ()) or ()
    )


@dataclass
class Run:
    """The clusters at the end of a stream, and what the decisions left open."""

    cluster: list[int]
    reviews: set[tuple[int, int]]
    blocking: Blocking


def resolve(
    data: DataSet,
    records: Sequence[Mapping[str, Any]],
    model: Model,
    thresholds: Thresholds,
    rules: MatchingRules,
    batch: int = BATCH,
) -> Run:
    """Resolve the records batch by batch in stream order with the decision policy, as the relay does."""
    rows = [prepare(r) for r in records]
    prepared = Prepared.of(rows)
    keys = [blocking_keys(row) for row in rows]
    carried = [_identifiers(r, rules) for r in records]
    sides = [item.side for item in data.records]
    scorer = Scorer(model)
    index: dict[str, list[int]] = defaultdict(list)
    customers = UnionFind(len(rows))
    placed = np.zeros(len(rows), dtype=bool)
    reviews: set[tuple[int, int]] = set()
    found: set[tuple[int, int]] = set()
    skipped: set[str] = set()
    order = _stream(data)
    for start in range(0, len(order), batch):
        new = order[start : start + batch]
        for n in new:
            for key in keys[n]:
                index[key].append(n)
        candidates: dict[int, set[int]] = defaultdict(set)
        for n in new:
            for key in keys[n]:
                members = index[key]
                if len(members) > MAX_BLOCK:
                    skipped.add(key)
                    continue
                for m in members:
                    if m != n and (not data.link or sides[m] != sides[n]):
                        candidates[n].add(m)
        scored: set[tuple[int, int]] = set()
        for n, others in candidates.items():
            scored.update((min(n, m), max(n, m)) for m in others)
        found |= scored
        # Pairs between earlier records of different customers that a new record may join: what lets the policy
        # see that two customers disagree.
        for others in candidates.values():
            earlier = sorted(m for m in others if placed[m])
            for i, a in enumerate(earlier):
                for b in earlier[i + 1 :]:
                    if customers.find(a) != customers.find(b) and (not data.link or sides[a] != sides[b]):
                        scored.add((min(a, b), max(a, b)))
        pairs = np.array(sorted(scored), dtype=np.intp).reshape(-1, 2)
        scores = scorer.score(prepared, prepared, pairs[:, 0], pairs[:, 1])
        evidence = [
            Pair(
                str(a),
                str(b),
                float(scores.match_weight[k]),
                tuple(scores.explain(k)),
                tuple(sorted(carried[a] & carried[b])),
            )
            for k, (a, b) in enumerate(pairs.tolist())
        ]
        involved = {n for pair in pairs.tolist() for n in pair if placed[n]}
        clusters = Clusters({str(n): str(customers.find(n)) for n in involved})
        decisions = decide([str(n) for n in new], evidence, clusters, thresholds)
        for group in decisions.groups:
            members = [int(c) for c in group.customers] + [int(r) for r in group.records]
            for other in members[1:]:
                customers.union(members[0], other)
        for decision in decisions.records:
            n = int(decision.record)
            reviews.update((min(n, int(r.other)), max(n, int(r.other))) for r in decision.reviews)
        placed[new] = True
    persons = [item.person for item in data.records]
    true_found = sum(1 for a, b in found if persons[a] == persons[b])
    blocking = Blocking(true_found / max(1, _true_pairs(data)), 2 * len(found) / len(rows), len(skipped))
    cluster = [customers.find(n) for n in range(len(rows))]
    return Run(cluster, {(a, b) for a, b in reviews if cluster[a] != cluster[b]}, blocking)


def evaluate(
    data: DataSet, model: Model, thresholds: Thresholds, rules: MatchingRules, batch: int = BATCH
) -> Quality:
    records = [matching_record(item, rules) for item in data.records]
    started = time.perf_counter()
    run = resolve(data, records, model, thresholds, rules, batch)
    seconds = time.perf_counter() - started
    cluster = run.cluster
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
    size = len(records)
    bp = sum(cell[(c, p)] / cluster_size[c] for c, p in zip(cluster, persons, strict=True)) / size
    br = sum(cell[(c, p)] / person_size[p] for c, p in zip(cluster, persons, strict=True)) / size
    people_in: dict[int, set[str]] = defaultdict(set)
    for c, p in zip(cluster, persons, strict=True):
        people_in[c].add(p)
    return Quality(
        data.name,
        size,
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
        len(run.reviews),
        len({n for pair in run.reviews for n in pair}),
        seconds,
        run.blocking,
        data.ceiling,
    )
