"""The golden record: each profile field chosen among a customer's source records by its configured rule."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graph_store.resolution.rules import FieldRule, MatchingRules

FIELDS = (
    "given_name",
    "family_name",
    "gender",
    "birth_date",
    "city",
    "region",
    "loyalty_tier",
    "loyalty_points",
)


@dataclass(frozen=True)
class Evidence:
    system: str
    external_id: str
    observed_at: datetime
    attributes: dict[str, Any]


@dataclass(frozen=True)
class Chosen:
    value: Any
    system: str
    external_id: str
    observed_at: datetime
    rule: FieldRule


def choose(name: str, evidence: list[Evidence], rules: MatchingRules) -> Chosen | None:
    """The winning value of one field, with the record it came from; None when no record has it."""
    having = [e for e in evidence if e.attributes.get(name) not in (None, "")]
    if not having:
        return None
    rule = rules.field_rule(name)
    newest_first = sorted(having, key=lambda e: (e.observed_at, e.system, e.external_id), reverse=True)
    if rule is FieldRule.SOURCE_PRIORITY:
        winner = min(
            newest_first, key=lambda e: rules.source_rank(e.system)
        )  # min is stable: newest among equals
    elif rule is FieldRule.MOST_FREQUENT:
        counts = Counter(str(e.attributes[name]) for e in having)
        top = max(counts.values())
        # Ties go to the value seen most recently.
        winner = next(e for e in newest_first if counts[str(e.attributes[name])] == top)
    else:  # MOST_RECENT and NON_EMPTY: empty values never reach here
        winner = newest_first[0]
    return Chosen(winner.attributes[name], winner.system, winner.external_id, winner.observed_at, rule)


def golden(evidence: list[Evidence], rules: MatchingRules) -> dict[str, Chosen]:
    chosen = {name: choose(name, evidence, rules) for name in FIELDS}
    return {name: value for name, value in chosen.items() if value is not None}


def full_name(given: str, family: str) -> str:
    """Family name first for Chinese names, given name first otherwise."""
    if not given or not family:
        return given or family
    return f"{family}{given}" if not (given + family).isascii() else f"{given} {family}"
