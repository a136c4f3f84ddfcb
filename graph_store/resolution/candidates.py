"""The scored pairs of one batch: each record against the records it may be one person with, scored at once.

A record's candidates are the applied records sharing one of its blocking keys (found by the relay in
PostgreSQL's ``match_keys``, one lookup per batch), the records of the batch before it sharing a key, and the
applied records of the customers that hold one of its identifiers (what a deterministic link would join, weighed
by the same model). A key shared by more than ``cap`` records (a shop's tablet, a placeholder nobody blocked yet)
finds none, counting the stored records and those of the batch before the record, so a batch decides as its
records one by one would. A pair's score depends only on its two records, so every pair of the batch is scored in
one vectorised call before the records are decided in order. Pure: the relay reads the stored candidates in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph_store.resolution.matching import Prepared, Scorer
from graph_store.resolution.matching.decide import Pair
from graph_store.resolution.matching.scorer import Contribution

MAX_SHARED_KEY = 200
"""A key more records share than this finds no candidates."""

OWNED_IN_BATCH = 50
"""Records of the batch before a record, per identifier it carries, that become its candidates (as many as the
relay reads per customer holding an identifier)."""

IDENTIFIER_COLUMNS = ("national_id", "phones", "emails", "wechat", "system_ids", "devices")
"""The prepared columns holding a record's identifiers: what two records share, the decision policy's ``shared``."""


def shared(left: Mapping[str, Any], right: Mapping[str, Any]) -> tuple[str, ...]:
    """The identifiers two prepared rows both carry, as ``column:value`` (blocked values were never prepared)."""
    found: list[str] = []
    for column in IDENTIFIER_COLUMNS:
        a, b = left.get(column), right.get(column)
        if not a or not b:
            continue
        if isinstance(a, str) or isinstance(b, str):
            found += [f"{column}:{a}"] if a == b else []
        else:
            found += [f"{column}:{v}" for v in sorted(set(a) & set(b))]
    return tuple(found)


@dataclass(frozen=True)
class Stored:
    """An applied record that may be a candidate: its customer (as PostgreSQL holds it) and its columns."""

    customer: str
    row: Mapping[str, Any]


@dataclass(frozen=True)
class Candidate:
    """One scored pair of a batch record: the other record, in the batch (its index) or stored."""

    batch_index: int | None
    pair: Pair
    """Oriented from the batch record (``left``) to the other (``right``)."""


@dataclass
class BatchPairs:
    """Every scored pair of a batch, by the batch record deciding it."""

    by_record: list[list[Candidate]] = field(default_factory=list)
    stored: Mapping[str, Stored] = field(default_factory=dict)

    def of(self, index: int) -> list[Candidate]:
        return self.by_record[index] if index < len(self.by_record) else []

    @property
    def pairs(self) -> int:
        return sum(len(found) for found in self.by_record)


def candidates_of(
    keys: Sequence[str],
    record_keys: Sequence[Sequence[str]],
    hits: Mapping[str, Sequence[str]],
    owned: Sequence[Sequence[str]],
    cap: int = MAX_SHARED_KEY,
    carried: Sequence[Sequence[str]] = (),
) -> list[dict[str, int | None]]:
    """Per batch record, its candidates: other record key → batch index (``None``: the stored record).

    ``hits`` holds, for each blocking key looked up, the stored records carrying it (at most ``cap + 1`` are
    needed); ``owned`` per batch record the stored records of the customers holding one of its identifiers;
    ``carried`` per batch record the keys of its identifiers, so that the records of the batch before it that
    carry one are its candidates too, as they are once stored (a shop tablet is no blocking key, yet a record
    it would link is weighed against the record that brought it). A record is never its own candidate, nor is
    its stored earlier version.
    """
    earlier: dict[str, list[int]] = {}
    bearers: dict[str, list[int]] = {}
    found: list[dict[str, int | None]] = []
    for i, (key, blocking) in enumerate(zip(keys, record_keys, strict=True)):
        others: dict[str, int | None] = {}
        identifiers = carried[i] if i < len(carried) else ()
        for identifier in identifiers:
            for j in bearers.get(identifier, ())[:OWNED_IN_BATCH]:
                others[keys[j]] = j
            bearers.setdefault(identifier, []).append(i)
        for block in blocking:
            stored = hits.get(block, ())
            before = earlier.get(block, ())
            if len(stored) + len(before) > cap:
                continue
            for other in stored:
                others.setdefault(other, None)
            for j in before:
                others[keys[j]] = j  # the batch's version of a record supersedes its stored one
        for other in owned[i] if i < len(owned) else ():
            others.setdefault(other, None)
        others.pop(key, None)
        for block in blocking:
            earlier.setdefault(block, []).append(i)
        found.append(others)
    return found


def score_batch(
    keys: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    found: Sequence[Mapping[str, int | None]],
    stored: Mapping[str, Stored],
    scorer: Scorer,
) -> BatchPairs:
    """Score every pair ``candidates_of`` found; ``rows`` are the batch records' prepared columns, ``stored`` the
    stored candidates' (a stored record missing there, or without columns, is left out)."""
    names = sorted({k for others in found for k, j in others.items() if j is None and k in stored})
    position = {k: len(rows) + n for n, k in enumerate(names)}
    left: list[int] = []
    right: list[int] = []
    meta: list[tuple[int, str, int | None]] = []
    for i, others in enumerate(found):
        for other, j in others.items():
            if j is None and other not in position:
                continue
            left.append(i)
            right.append(j if j is not None else position[other])
            meta.append((i, other, j))
    pairs = BatchPairs([[] for _ in keys], stored)
    if not meta:
        return pairs
    batch = Prepared.of(rows)
    everyone = Prepared.of([*rows, *(stored[k].row for k in names)]) if names else batch
    scores = scorer.score(batch, everyone, np.array(left, dtype=np.intp), np.array(right, dtype=np.intp))
    totals = scores.match_weight.tolist()
    columns = [*rows, *(stored[k].row for k in names)]
    for k, (i, other, j) in enumerate(meta):
        pair = Pair(keys[i], other, totals[k], tuple(scores.explain(k)), shared(rows[i], columns[right[k]]))
        pairs.by_record[i].append(Candidate(j, pair))
    return pairs


def explain(pair: Pair) -> list[dict[str, Any]]:
    """A pair's comparisons as the review queue and identity events keep them: field, level, model level, weight
    (a null level is missing evidence; "else" and any level that takes weight away disagree; the others agree)."""
    return [comparison(c) for c in pair.contributions]


def comparison(c: Contribution) -> dict[str, Any]:
    level = "missing" if c.level == "null" else "disagree" if c.level == "else" or c.weight < 0 else "agree"
    return {"field": c.comparison, "level": level, "modelLevel": c.level, "weight": round(c.weight, 4)}
