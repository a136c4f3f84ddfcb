"""The golden record: each profile field chosen among a customer's source records by its configured rule.

Pure: observations in (source records, and the profiles already stored for a customer and the customers merged
into it), field values and per-field provenance out; the system of record writes the result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
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


PROFILE_SYSTEM = "profile"
"""The system a stored profile is evidence of: listed in no source priority, so it ranks below every source."""


@dataclass(frozen=True)
class StoredProfile:
    """A golden record already stored: seeded or migrated customers have no source record, only this."""

    id: str
    attributes: dict[str, Any]
    """The fields of ``FIELDS`` it has a value for."""
    created_at: datetime
    updated_at: datetime

    def evidence(self) -> Evidence:
        return Evidence(PROFILE_SYSTEM, self.id, self.updated_at, self.attributes)


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


@dataclass(frozen=True)
class GoldenRecord:
    """A customer's profile fields as survivorship chose them, with the record behind each chosen field."""

    customer_id: str
    given_name: str
    family_name: str
    full_name: str
    gender: str
    birth_date: date | None
    city: str | None
    region: str | None
    loyalty_tier: str
    loyalty_points: int
    created_at: datetime
    """The earliest observation of the customer (or of any customer merged into it)."""
    provenance: dict[str, Chosen]
    """Each field a record had a value for, with the value as observed."""


def _value(name: str, value: Any) -> Any:
    """A chosen value in its column's type: source records keep dates as ISO text and points as text or int."""
    if name == "birth_date" and isinstance(value, str):
        return date.fromisoformat(value)
    if name == "loyalty_points":
        return int(value)
    return value


def golden_record(
    customer_id: str, evidence: Sequence[Evidence], profiles: Sequence[StoredProfile], rules: MatchingRules
) -> GoldenRecord:
    """The golden record of one customer from its source records, and the stored ``profiles`` it absorbs.

    Only source observations compete (observed time, source priority, frequency, non-empty): never the golden
    record's own earlier values, nor its defaults (gender unknown, tier bronze, 0 points). ``profiles`` are stored
    golden records no source record ever produced (seeded or migrated customers, this one or customers merged into
    it): a field none of the source records has falls back to them, so a seeded customer keeps what no source says.
    """
    chosen = golden(list(evidence), rules)
    fallback = golden([p.evidence() for p in profiles], rules)
    chosen |= {name: c for name, c in fallback.items() if name not in chosen}
    observations = [*evidence, *(p.evidence() for p in profiles)]
    values = {name: _value(name, c.value) for name, c in chosen.items()}
    given, family = str(values.get("given_name", "")), str(values.get("family_name", ""))
    return GoldenRecord(
        customer_id,
        given,
        family,
        full_name(given, family),
        values.get("gender", "unknown"),
        values.get("birth_date"),
        values.get("city"),
        values.get("region"),
        values.get("loyalty_tier", "bronze"),
        values.get("loyalty_points", 0),
        min([e.observed_at for e in observations] + [p.created_at for p in profiles]),
        chosen,
    )


def golden_records(
    evidence: Mapping[str, Sequence[Evidence]],
    merges: Mapping[str, str],
    profiles: Mapping[str, StoredProfile],
    rules: MatchingRules,
) -> list[GoldenRecord]:
    """The golden record of every customer in ``evidence``, in id order.

    ``merges`` maps merged-away ids to their survivors; ``profiles`` holds the stored golden records by id (of the
    customers and of the merged-away ids), each absorbed by the customer it is or was merged into.
    """
    merged_into: dict[str, list[str]] = {}
    for loser, survivor in merges.items():
        merged_into.setdefault(survivor, []).append(loser)
    return [
        golden_record(
            customer,
            evidence[customer],
            [profiles[k] for k in (customer, *merged_into.get(customer, [])) if k in profiles],
            rules,
        )
        for customer in sorted(evidence)
    ]
