"""Conditions on a pair of prepared records, each written once and read two ways: as the SQL condition Splink
trains with (DuckDB's functions over ``<column>_l`` and ``<column>_r``) and as a vectorised test over many pairs
in process (numpy, rapidfuzz). Both ways give the same answer for every pair: that is what lets the in-process
scorer reproduce Splink's scores.

SQL's NULL logic is kept: a test on a missing value is not true. With only AND and OR (no NOT), treating that
unknown as false at every step gives the same result as SQL's three-valued logic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

Mask = npt.NDArray[np.bool_]
Column = npt.NDArray[np.object_]
"""One prepared column over the pairs: str, frozenset[str] or None per pair."""


@dataclass
class Pairs:
    """The left and right values of every column for a list of record pairs, with the measures already taken
    (two levels that measure the same column share one measurement)."""

    left: dict[str, Column]
    right: dict[str, Column]
    size: int
    _cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    def present(self, column: str) -> Mask:
        key = ("present", column)
        if key not in self._cache:
            self._cache[key] = _not_none(self.left[column]) & _not_none(self.right[column])
        mask: Mask = self._cache[key]
        return mask

    def measure(self, name: str, column: str, scorer: Callable[..., Any], dtype: type) -> npt.NDArray[Any]:
        """``scorer`` over the pairs where both values are present (zero elsewhere, never read there)."""
        key = (name, column)
        if key not in self._cache:
            both = self.present(column)
            out: npt.NDArray[Any] = np.zeros(self.size, dtype=dtype)
            where = np.flatnonzero(both)
            if where.size:
                out[where] = process.cpdist(
                    self.left[column][where].tolist(),
                    self.right[column][where].tolist(),
                    scorer=scorer,
                    dtype=dtype,
                    workers=1,
                )
            self._cache[key] = out
        result: npt.NDArray[Any] = self._cache[key]
        return result


def _not_none(values: Column) -> Mask:
    mask: Mask = values != None  # noqa: E711  (elementwise: an object array against None)
    return mask


class Condition(Protocol):
    def sql(self) -> str: ...

    def test(self, pairs: Pairs) -> Mask: ...


def _ref(column: str, side: str) -> str:
    return f'"{column}_{side}"'


@dataclass(frozen=True)
class Missing:
    """Either side lacks the value."""

    column: str

    def sql(self) -> str:
        return f"{_ref(self.column, 'l')} IS NULL OR {_ref(self.column, 'r')} IS NULL"

    def test(self, pairs: Pairs) -> Mask:
        return ~pairs.present(self.column)


@dataclass(frozen=True)
class Equal:
    """The left record's ``column`` equals the right record's ``other`` (the same column unless named)."""

    column: str
    other: str | None = None

    def sql(self) -> str:
        return f"{_ref(self.column, 'l')} = {_ref(self.other or self.column, 'r')}"

    def test(self, pairs: Pairs) -> Mask:
        left, right = pairs.left[self.column], pairs.right[self.other or self.column]
        both = _not_none(left) & _not_none(right)
        result: Mask = both & np.equal(left, right, where=both, out=np.zeros(pairs.size, dtype=bool))
        return result


@dataclass(frozen=True)
class JaroWinklerAtLeast:
    column: str
    threshold: float

    def sql(self) -> str:
        return (
            f"jaro_winkler_similarity({_ref(self.column, 'l')}, {_ref(self.column, 'r')}) >= {self.threshold}"
        )

    def test(self, pairs: Pairs) -> Mask:
        similarity = pairs.measure("jaro_winkler", self.column, JaroWinkler.similarity, np.float64)
        result: Mask = pairs.present(self.column) & (similarity >= self.threshold)
        return result


@dataclass(frozen=True)
class DamerauLevenshteinAtMost:
    """At most ``edits`` insertions, deletions, substitutions or transpositions of adjacent characters."""

    column: str
    edits: int

    def sql(self) -> str:
        return f"damerau_levenshtein({_ref(self.column, 'l')}, {_ref(self.column, 'r')}) <= {self.edits}"

    def test(self, pairs: Pairs) -> Mask:
        distance = pairs.measure("damerau_levenshtein", self.column, DamerauLevenshtein.distance, np.int64)
        result: Mask = pairs.present(self.column) & (distance <= self.edits)
        return result


def _sets(pairs: Pairs, column: str, test: Callable[[frozenset[str], frozenset[str]], bool]) -> Mask:
    both = pairs.present(column)
    out = np.zeros(pairs.size, dtype=bool)
    left, right = pairs.left[column], pairs.right[column]
    for n in np.flatnonzero(both).tolist():
        out[n] = test(left[n], right[n])
    return out


@dataclass(frozen=True)
class Shared:
    """The two records' sets of values have one in common."""

    column: str

    def sql(self) -> str:
        return f"array_length(list_intersect({_ref(self.column, 'l')}, {_ref(self.column, 'r')})) >= 1"

    def test(self, pairs: Pairs) -> Mask:
        return _sets(pairs, self.column, lambda a, b: not a.isdisjoint(b))


@dataclass(frozen=True)
class Disjoint:
    """The two records' sets of values have none in common."""

    column: str

    def sql(self) -> str:
        return f"array_length(list_intersect({_ref(self.column, 'l')}, {_ref(self.column, 'r')})) = 0"

    def test(self, pairs: Pairs) -> Mask:
        return _sets(pairs, self.column, lambda a, b: a.isdisjoint(b))


@dataclass(frozen=True)
class All:
    parts: Sequence[Condition]

    def sql(self) -> str:
        return " AND ".join(f"({p.sql()})" for p in self.parts)

    def test(self, pairs: Pairs) -> Mask:
        result = self.parts[0].test(pairs)
        for part in self.parts[1:]:
            result = result & part.test(pairs)
        return result


@dataclass(frozen=True)
class Any_:
    parts: Sequence[Condition]

    def sql(self) -> str:
        return " OR ".join(f"({p.sql()})" for p in self.parts)

    def test(self, pairs: Pairs) -> Mask:
        result = self.parts[0].test(pairs)
        for part in self.parts[1:]:
            result = result | part.test(pairs)
        return result


def both_of(*parts: Condition) -> All:
    return All(parts)


def either_of(*parts: Condition) -> Any_:
    return Any_(parts)
