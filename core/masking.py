"""Masked values keep their shape, so a console can still lay them out and a caller can still tell two apart by
their visible ends: ``138****8000``, ``z***@outlook.com``, ``110***********1234``, ``王*``."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def phone(value: str) -> str:
    """E.164 or local: the national number's first three and last four digits stay."""
    digits = re.sub(r"\D", "", value)
    national = digits[2:] if value.startswith("+86") else digits
    if len(national) <= 7:
        return "*" * len(national)
    return national[:3] + "*" * (len(national) - 7) + national[-4:]


def email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at:
        return text(value)
    return (local[:1] or "*") + "***@" + domain


def national_id(value: str) -> str:
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def name(value: str) -> str:
    """The first character (a Chinese family name, or an initial) and one star per further character; a name of
    one character is all stars."""
    if len(value) <= 1:
        return "*" * len(value)  # a one-character given name would show whole
    return value[0] + "".join(" " if c == " " else "*" for c in value[1:])


def text(value: str) -> str:
    """Anything else: the first and last characters and a star for each one between."""
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


MASKS = {"phone": phone, "email": email, "national_id": national_id, "name": name, "text": text}
