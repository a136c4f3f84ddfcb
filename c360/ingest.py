"""Reading source records from files for ``c360 ingest``: JSON Lines or CSV, in batches, with a progress bar.

JSON Lines: one object per line, ``{"externalId", "observedAt", "attributes": {...}, "identifiers": [{"type",
"value", "appId"}]}`` (``system`` optional: ``--system`` fills it). CSV: a header row with ``external_id``,
``observed_at``, attribute columns (``given_name``, ``family_name``, ``gender``, ``birth_date``, ``address``,
``city``, ``region``, ``loyalty_tier``, ``loyalty_points``) and identifier columns named by type (``phone``,
``email``, ``wechat_unionid``, ``wechat_openid`` with ``wechat_app_id``, ``device_id``, ``crm_id``, ...); several
values in one cell are separated by ``;``.

A line that cannot even be read as a record (bad JSON, a missing id, an unreadable time) is rejected like any other
invalid record: kept with its error for review.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from graph_store.identifiers import IdentifierType
from graph_store.resolution.ingest import EPOCH
from graph_store.resolution.records import ATTRIBUTES, FieldError, RawIdentifier, Rejection, SourceRecord


@dataclass(frozen=True)
class Unreadable:
    line: int
    rejection: Rejection


def _unreadable(line: int, system: str, external_id: str, field: str, value: str, message: str) -> Unreadable:
    record = SourceRecord(system, external_id or f"line-{line}", EPOCH)
    return Unreadable(line, Rejection(record, (FieldError(field, value[:500], message),)))


def _observed(value: Any) -> datetime:
    """An ISO 8601 time; Python 3.11 reads a trailing ``Z`` itself."""
    return datetime.fromisoformat(str(value).strip())


def _from_object(line: int, obj: dict[str, Any], system: str) -> SourceRecord | Unreadable:
    system = str(obj.get("system") or system)
    external_id = str(obj.get("externalId") or obj.get("external_id") or "").strip()
    if not external_id:
        return _unreadable(line, system, "", "externalId", "", "missing")
    raw_time = obj.get("observedAt") or obj.get("observed_at")
    try:
        observed = _observed(raw_time)
    except ValueError:
        return _unreadable(
            line, system, external_id, "observedAt", str(raw_time), "expected an ISO 8601 time"
        )
    identifiers = []
    for n, item in enumerate(obj.get("identifiers") or []):
        try:
            kind = IdentifierType(str(item.get("type", "")).lower())
        except ValueError:
            return _unreadable(
                line, system, external_id, f"identifiers[{n}].type", str(item.get("type")), "unknown type"
            )
        identifiers.append(
            RawIdentifier(kind, str(item.get("value", "")), item.get("appId") or item.get("app_id"))
        )
    return SourceRecord(system, external_id, observed, dict(obj.get("attributes") or {}), tuple(identifiers))


def _from_row(line: int, row: dict[str, str], system: str) -> SourceRecord | Unreadable:
    identifiers = []
    for kind in IdentifierType:
        for value in (row.get(kind.value) or "").split(";"):
            if value.strip():
                app_id = row.get("wechat_app_id") if kind is IdentifierType.WECHAT_OPENID else None
                identifiers.append({"type": kind.value, "value": value.strip(), "appId": app_id})
    attributes = {name: row[name] for name in ATTRIBUTES if row.get(name)}
    return _from_object(
        line,
        {
            "system": row.get("system") or system,
            "externalId": row.get("external_id"),
            "observedAt": row.get("observed_at"),
            "attributes": attributes,
            "identifiers": identifiers,
        },
        system,
    )


def read(path: Path, system: str) -> Iterator[SourceRecord | Unreadable]:
    """Records of a ``.csv`` or ``.jsonl``/``.ndjson`` file, in file order."""
    with path.open(newline="", encoding="utf-8") as handle:
        if path.suffix.lower() == ".csv":
            for line, row in enumerate(csv.DictReader(handle), start=2):
                yield _from_row(line, row, system)
            return
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield _unreadable(line, system, "", "line", text.strip(), f"not JSON: {exc.msg}")
                continue
            if not isinstance(obj, dict):
                yield _unreadable(line, system, "", "line", text.strip(), "expected a JSON object")
                continue
            yield _from_object(line, obj, system)


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        lines = sum(1 for _ in handle)
    return max(lines - 1, 0) if path.suffix.lower() == ".csv" else lines
