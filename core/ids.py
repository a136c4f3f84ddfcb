"""Ids as clients send them: parsed once at the edge into canonical text, or refused with a clear input error."""

from __future__ import annotations

import uuid

from core.errors import BadUserInput


def parse_uuid(value: str, what: str = "customer id") -> str:
    """Canonical text of a UUID id, or a clear input error."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError) as exc:
        raise BadUserInput(f"Invalid {what} {value!r}: expected a UUID") from exc


def parse_int_id(value: str, what: str) -> int:
    try:
        parsed = int(value)
    except (ValueError, TypeError) as exc:
        raise BadUserInput(f"Invalid {what} {value!r}: expected an integer id") from exc
    if not 0 < parsed < 2**63:
        raise BadUserInput(f"Invalid {what} {value!r}: out of range")
    return parsed
