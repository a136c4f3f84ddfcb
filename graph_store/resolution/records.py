"""Source records as they arrive, and their validation: identifiers normalised, attributes checked.

An identifier that cannot be normalised is dropped from matching and reported with the record (field, value,
reason); the record is ingested with the rest, as Segment and Adobe do: one junk phone must not lose a valid email,
device or WeChat id. A record whose own fields are wrong (system, id, attributes, NUL characters) is rejected whole,
with one error per offending field naming the field and the value; it is kept for review, never silently dropped.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson

from core.errors import InvalidIdentifier
from graph_store.identifiers import Identifier, IdentifierType, normalize
from graph_store.resolution.matchable import Matchable, matchable
from graph_store.resolution.rules import MatchingRules

GENDERS = frozenset({"female", "male", "other", "unknown"})
TIERS = frozenset({"bronze", "silver", "gold", "platinum"})
ATTRIBUTES = (
    "given_name",
    "family_name",
    "full_name",
    "gender",
    "birth_date",
    "birth_date_as_written",
    "address",
    "address_2",
    "city",
    "postcode",
    "region",
    "loyalty_tier",
    "loyalty_points",
)
"""What a record may say about its person. ``full_name`` is the name as one string, for systems that keep no parts;
``birth_date_as_written`` is the birth date in whatever form the source holds it (``1985年3月4日``, ``04/03/85``, a
year alone), kept beside the ISO ``birth_date`` when the source has one: probabilistic matching reads either."""


@dataclass(frozen=True)
class RawIdentifier:
    type: IdentifierType
    value: str
    app_id: str | None = None


@dataclass(frozen=True)
class SourceRecord:
    system: str
    external_id: str
    observed_at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)
    identifiers: tuple[RawIdentifier, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.system}:{self.external_id}"

    def payload(self) -> dict[str, Any]:
        """The record as received, JSON-ready (kept with a rejection)."""
        return {
            "system": self.system,
            "externalId": self.external_id,
            "observedAt": self.observed_at.isoformat(),
            "attributes": {k: str(v) if isinstance(v, date) else v for k, v in self.attributes.items()},
            "identifiers": [
                {"type": i.type.value, "value": i.value, **({"appId": i.app_id} if i.app_id else {})}
                for i in self.identifiers
            ],
        }


@dataclass(frozen=True)
class FieldError:
    field: str
    value: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "value": self.value, "message": self.message}


@dataclass(frozen=True)
class ValidRecord:
    record: SourceRecord
    identifiers: tuple[tuple[Identifier, str], ...]
    """Each normalised identifier with the raw value it came from."""
    attributes: dict[str, Any]
    content_hash: str
    dropped: tuple[FieldError, ...] = ()
    """Identifiers that could not be normalised: not matched, reported with the record's outcome."""
    match: Matchable | None = None
    """What the probabilistic model reads of it, when computed (the ingest API does, once per record)."""

    def matched(self, rules: MatchingRules) -> ValidRecord:
        """This record with what the model reads of it under ``rules`` (identifiers they block left out)."""
        return dataclasses.replace(
            self, match=matchable(self.attributes, (i for i, _ in self.identifiers), rules)
        )

    def to_event(self) -> dict[str, Any]:
        """The record as an outbox event carries it: already validated and normalised, so the relay need not
        validate again (and applies exactly what the API acknowledged)."""
        record = self.record
        return {
            "system": record.system,
            "externalId": record.external_id,
            "observedAt": record.observed_at.isoformat(),
            "hash": self.content_hash,
            "attributes": graph_attributes(self.attributes),
            "identifiers": [[i.type.value, i.value, raw] for i, raw in self.identifiers],
            **({"dropped": [[d.field, d.value, d.message] for d in self.dropped]} if self.dropped else {}),
            **({"match": self.match.to_json()} if self.match is not None else {}),
        }

    @staticmethod
    def from_event(data: dict[str, Any]) -> ValidRecord:
        return ValidRecord(
            SourceRecord(data["system"], data["externalId"], datetime.fromisoformat(data["observedAt"])),
            tuple((Identifier(IdentifierType(t), v), raw) for t, v, raw in data["identifiers"]),
            data["attributes"],
            data["hash"],
            tuple(FieldError(f, v, m) for f, v, m in data.get("dropped", ())),
            Matchable.from_json(data["match"]) if "match" in data else None,
        )


def graph_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Validated attributes as the graph and the golden-record evidence keep them: text, whole numbers as such."""
    return {k: v if isinstance(v, int) else str(v) for k, v in attributes.items()}


@dataclass(frozen=True)
class Rejection:
    record: SourceRecord
    errors: tuple[FieldError, ...]


def _attribute_errors(attributes: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    clean: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, value in attributes.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        where = f"attributes.{name}"
        if name not in ATTRIBUTES:
            errors.append(
                FieldError(where, str(value), f"unknown attribute (known: {', '.join(ATTRIBUTES)})")
            )
        elif name == "gender" and str(value).lower() not in GENDERS:
            errors.append(FieldError(where, str(value), f"expected one of {', '.join(sorted(GENDERS))}"))
        elif name == "loyalty_tier" and str(value).lower() not in TIERS:
            errors.append(FieldError(where, str(value), f"expected one of {', '.join(sorted(TIERS))}"))
        elif name == "birth_date":
            try:
                clean[name] = value if isinstance(value, date) else date.fromisoformat(str(value))
            except ValueError:
                errors.append(FieldError(where, str(value), "expected an ISO date (YYYY-MM-DD)"))
        elif name == "loyalty_points":
            try:
                points = int(value)
            except (TypeError, ValueError):
                errors.append(FieldError(where, str(value), "expected a whole number"))
            else:
                if points < 0:
                    errors.append(FieldError(where, str(value), "expected zero or more"))
                clean[name] = points
        else:
            clean[name] = (
                str(value).strip().lower() if name in ("gender", "loyalty_tier") else str(value).strip()
            )
    return clean, errors


NUL = "\x00"


def _nul_errors(record: SourceRecord) -> list[FieldError]:
    """PostgreSQL stores no NUL character in text or JSON: a record carrying one is rejected, not half-stored."""
    fields = [("system", record.system), ("externalId", record.external_id)]
    fields += [(f"attributes.{k}", v) for k, v in record.attributes.items() if isinstance(v, str)]
    for n, raw in enumerate(record.identifiers):
        fields += [
            (f"identifiers[{n}].{raw.type.value}", raw.value),
            (f"identifiers[{n}].appId", raw.app_id or ""),
        ]
    return [
        FieldError(name, value.replace(NUL, "\\0"), "contains a NUL character")
        for name, value in fields
        if NUL in value
    ]


def validate(record: SourceRecord, region: str) -> ValidRecord | Rejection:
    errors = _nul_errors(record)
    if errors:
        return Rejection(record, tuple(errors))
    if not record.system.strip():
        errors.append(FieldError("system", record.system, "must name the source system"))
    if not record.external_id.strip():
        errors.append(FieldError("externalId", record.external_id, "must be the record's id in its system"))
    identifiers: list[tuple[Identifier, str]] = []
    dropped: list[FieldError] = []
    for n, raw in enumerate(record.identifiers):
        try:
            identifiers.append((normalize(raw.type, raw.value, region=region, app_id=raw.app_id), raw.value))
        except InvalidIdentifier as exc:
            dropped.append(FieldError(f"identifiers[{n}].{raw.type.value}", raw.value, exc.reason))
    attributes, attribute_errors = _attribute_errors(record.attributes)
    errors += attribute_errors
    if errors:  # the review lists every offending value, the identifiers that would have been dropped too
        return Rejection(record, tuple(errors + dropped))
    observed = record.observed_at if record.observed_at.tzinfo else record.observed_at.replace(tzinfo=UTC)
    content = {
        "observedAt": observed.isoformat(),
        "attributes": {k: str(v) for k, v in sorted(attributes.items())},
        "identifiers": sorted(i.key for i, _ in identifiers),
    }
    digest = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return ValidRecord(
        SourceRecord(
            record.system.strip(), record.external_id.strip(), observed, record.attributes, record.identifiers
        ),
        tuple(identifiers),
        attributes,
        digest,
        tuple(dropped),
    )
