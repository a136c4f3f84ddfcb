"""Evidence beside identifiers: do a record's own attributes agree with the customer an identifier would join?

A shared phone proves little when the people behind it clearly differ: a family phone carried by a mother's and a
son's records, whose birth dates and given names both disagree. Such an identifier does not merge; the pair goes to
the stewards' review queue with the comparisons that explain it. Each comparison has a level (``agree``,
``disagree``, ``missing``) and a match weight: empty for these deterministic comparisons, the log2 m/u weight of its
level when a probabilistic (Fellegi-Sunter) model scored the pair, so both kinds of candidate share one queue.
Pure: the planner passes the attributes in.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("birth_date", "given_name")
"""What a deterministic link is weighed against: both must clearly disagree for a shared identifier to yield."""


def _normal(name: str, value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    return "".join(text.split()) if name == "given_name" else text.strip()


@dataclass
class Profile:
    """The values a customer's records carry for the compared fields (every distinct one: people change names
    and systems disagree, so a value agrees when it matches any of them)."""

    values: dict[str, set[str]] = field(default_factory=dict)

    @staticmethod
    def of(attributes: Iterable[Mapping[str, Any]]) -> Profile:
        profile = Profile()
        for each in attributes:
            profile.add(each)
        return profile

    def add(self, attributes: Mapping[str, Any]) -> None:
        for name in FIELDS:
            value = attributes.get(name)
            if value not in (None, ""):
                self.values.setdefault(name, set()).add(_normal(name, value))

    def absorb(self, other: Profile) -> None:
        for name, values in other.values.items():
            self.values.setdefault(name, set()).update(values)


@dataclass(frozen=True)
class Comparison:
    """One field compared between a record and a customer (values are not kept here: they are personal data)."""

    field: str
    level: str
    """``agree``, ``disagree`` or ``missing`` (one side has no value)."""
    weight: float | None = None
    """The match weight of this level when a probabilistic model scored it; empty for a deterministic rule."""

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "level": self.level, "weight": self.weight}


def compare(attributes: Mapping[str, Any], profile: Profile) -> list[Comparison]:
    found = []
    for name in FIELDS:
        value = attributes.get(name)
        theirs = profile.values.get(name)
        if value in (None, "") or not theirs:
            found.append(Comparison(name, "missing"))
        else:
            found.append(Comparison(name, "agree" if _normal(name, value) in theirs else "disagree"))
    return found


def clearly_disagree(comparisons: Iterable[Comparison]) -> bool:
    """Every compared field is present on both sides and differs."""
    levels = [c.level for c in comparisons]
    return bool(levels) and all(level == "disagree" for level in levels)


DISAGREE_RULE = "shared identifier, attributes disagree"
"""The rule of a review candidate raised by a deterministic link the evidence contradicts."""
