"""A record's attributes and identifiers turned into the columns the comparisons read.

The input is a plain mapping of attribute names to values (see :data:`ATTRIBUTES` and :data:`IDENTIFIERS`), so
the online planner, the training command and the evaluation all feed the model the same way. Identifiers are
expected normalised as ``graph_store.identifiers`` does it and with blocked junk values already removed; phones
are also reduced to their national digits here, so ``+8613812345678`` and ``138 1234 5678`` meet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from graph_store.resolution.matching.dates import birth_date
from graph_store.resolution.matching.names import name_parts
from graph_store.resolution.matching.places import address, place, postcode
from graph_store.resolution.matching.text import fold, squash

ATTRIBUTES = (
    "given_name",
    "family_name",
    "full_name",
    "gender",
    "birth_date",
    "address",
    "address_2",
    "city",
    "postcode",
    "region",
)
"""Attributes the model reads (any may be absent). ``full_name`` is used when neither part is given;
``address_2`` is a second address line (a building or locality)."""

IDENTIFIERS = (
    "national_id",
    "phone",
    "email",
    "wechat_unionid",
    "wechat_openid",
    "device_id",
    "crm_id",
    "ecommerce_id",
    "pos_id",
    "service_desk_id",
)
"""Identifier types the model compares; each value a string or a list of strings. An openid is written
``<app id>/<openid>``, as the identity graph keeps it."""

SYSTEM_IDS = ("crm_id", "ecommerce_id", "pos_id", "service_desk_id")

TEXT_COLUMNS = (
    "family",
    "given",
    "family_han",
    "given_han",
    "dob",
    "dob_swapped",
    "dob_ym",
    "dob_y",
    "gender",
    "address",
    "address_2",
    "city",
    "postcode",
    "region",
    "national_id",
)
SET_COLUMNS = ("phones", "emails", "wechat", "wechat_scopes", "system_ids", "system_scopes", "devices")
COLUMNS = TEXT_COLUMNS + SET_COLUMNS

_GENDERS = {"f": "female", "female": "female", "女": "female", "m": "male", "male": "male", "男": "male"}
_DIGITS = re.compile(r"\D+")


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v) for v in value if v is not None and str(v).strip()]


def _phone(value: str) -> str | None:
    digits = _DIGITS.sub("", value)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


def _set(values: Iterable[str | None]) -> frozenset[str] | None:
    found = frozenset(v for v in values if v)
    return found or None


def _text(value: Any, normalise: Any) -> str | None:
    values = _values(value)
    return normalise(values[0]) if values else None


def prepare(record: Mapping[str, Any]) -> dict[str, Any]:
    """The comparison columns of one record: text columns as ``str | None``, set columns as
    ``frozenset[str] | None`` (None when empty, so a missing value is never a disagreement)."""
    name = name_parts(record.get("given_name"), record.get("family_name"), record.get("full_name"))
    dob = birth_date(record.get("birth_date"))
    gender = _GENDERS.get(fold(str(record.get("gender") or "")))
    unionids = _values(record.get("wechat_unionid"))
    openids = _values(record.get("wechat_openid"))
    wechat = _set([f"u:{v.strip()}" for v in unionids] + [f"o:{v.strip()}" for v in openids])
    scopes = _set((["u"] if unionids else []) + [f"o:{v.strip().partition('/')[0]}" for v in openids])
    system_ids = [(kind, v.strip()) for kind in SYSTEM_IDS for v in _values(record.get(kind))]
    return {
        "family": name.family,
        "given": name.given,
        "family_han": name.family_han,
        "given_han": name.given_han,
        "dob": dob.full,
        "dob_swapped": dob.swapped,
        "dob_ym": dob.year_month,
        "dob_y": dob.year,
        "gender": gender,
        "address": _text(record.get("address"), address),
        "address_2": _text(record.get("address_2"), address),
        "city": _text(record.get("city"), place),
        "postcode": _text(record.get("postcode"), postcode),
        "region": _text(record.get("region"), place),
        "national_id": _text(record.get("national_id"), lambda v: squash(fold(v)).upper() or None),
        "phones": _set(_phone(v) for v in _values(record.get("phone"))),
        "emails": _set(v.strip().lower() for v in _values(record.get("email"))),
        "wechat": wechat,
        "wechat_scopes": scopes,
        "system_ids": _set(f"{kind}:{v}" for kind, v in system_ids),
        "system_scopes": _set(kind for kind, _ in system_ids),
        "devices": _set(v.strip().lower() for v in _values(record.get("device_id"))),
    }


@dataclass(frozen=True)
class Prepared:
    """Prepared records as columns (numpy object arrays), the shape the scorer gathers pairs from."""

    columns: dict[str, npt.NDArray[np.object_]]
    size: int

    @staticmethod
    def of(rows: Sequence[Mapping[str, Any]]) -> Prepared:
        columns: dict[str, npt.NDArray[np.object_]] = {}
        for name in COLUMNS:
            column = np.empty(len(rows), dtype=object)
            column[:] = [row[name] for row in rows]
            columns[name] = column
        return Prepared(columns, len(rows))

    @staticmethod
    def records(records: Iterable[Mapping[str, Any]]) -> Prepared:
        return Prepared.of([prepare(r) for r in records])

    def rows(self) -> list[dict[str, Any]]:
        return [{name: self.columns[name][n] for name in COLUMNS} for n in range(self.size)]
