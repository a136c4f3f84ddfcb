"""A validated source record as the probabilistic model reads it: its comparison columns and blocking keys.

Computed once per record, where records are validated (the ingest API, which scales out), and carried in the
outbox event, so the relay, which applies the identity stream one claim at a time, only scores. The relay keeps
each applied record's columns in PostgreSQL (``source_records.features``) and its keys in an indexed table
(``match_keys``), which is how a later record finds it as a candidate.

Identifiers enter the model normalised, without the values the rules block (junk, placeholders): a blocked value
links nothing, and must not make two records look alike either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graph_store.identifiers import Identifier
from graph_store.resolution.matching import blocking_keys, prepare
from graph_store.resolution.matching.features import COLUMNS, SET_COLUMNS
from graph_store.resolution.rules import MatchingRules

NAME_ATTRIBUTES = ("given_name", "family_name", "full_name", "gender")
PLACE_ATTRIBUTES = ("address", "address_2", "city", "postcode", "region")


@dataclass(frozen=True)
class Matchable:
    """A record's comparison columns (``features.prepare``'s row) and blocking keys."""

    row: dict[str, Any]
    keys: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"features": encode(self.row), "keys": list(self.keys)}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Matchable:
        return Matchable(decode(data["features"]), tuple(data["keys"]))


def model_input(
    attributes: Mapping[str, Any], identifiers: Iterable[Identifier], rules: MatchingRules
) -> dict[str, Any]:
    """The plain mapping the model reads: attributes under its names (the birth date as written when the source
    has no ISO form) and the identifiers the rules do not block, by type."""
    record: dict[str, Any] = {
        name: attributes[name] for name in (*NAME_ATTRIBUTES, *PLACE_ATTRIBUTES) if attributes.get(name)
    }
    born = attributes.get("birth_date") or attributes.get("birth_date_as_written")
    if born:
        record["birth_date"] = str(born)
    for identifier in identifiers:
        if rules.is_blocked(identifier) is None:
            record.setdefault(identifier.type.value, []).append(identifier.value)
    return record


def matchable(
    attributes: Mapping[str, Any], identifiers: Iterable[Identifier], rules: MatchingRules
) -> Matchable:
    row = prepare(model_input(attributes, identifiers, rules))
    return Matchable(row, tuple(sorted(blocking_keys(row))))


def encode(row: Mapping[str, Any]) -> dict[str, Any]:
    """Prepared columns as JSON: absent values left out, sets as sorted lists."""
    return {
        name: sorted(value) if name in SET_COLUMNS else value
        for name, value in row.items()
        if value is not None
    }


def decode(data: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`encode`."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    for name, value in data.items():
        row[name] = frozenset(value) if name in SET_COLUMNS else value
    return row
