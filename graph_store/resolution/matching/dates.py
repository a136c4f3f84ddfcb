"""Birth dates as the model compares them, whatever way they were written.

Accepted: ISO ``1985-03-04``, compact ``19850304``, ``1985/3/4``, ``1985.03.04``, Chinese ``1985年3月4日``, day or
month first with the year last (``04/03/1985``: the day comes first unless that is impossible, since the
comparison also checks the day and month swapped), two-digit years (``85-03-04``: below 30 is 20xx), and partial
dates (``1985-03``, ``1985年3月``, ``1985``). A compact date whose day or month cannot exist (``19851304``) is kept
as written, since it is most likely a typing slip the comparison can still measure. Placeholders systems write
for an unknown date (``1900-01-01``) are unknown.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

_NUMBERS = re.compile(r"\d+")
PLACEHOLDERS = frozenset({"1900-01-01", "1901-01-01", "1899-12-31"})
"""Dates source systems write when the birth date is unknown: they say nothing."""
_TWO_DIGIT_PIVOT = 30
_EARLIEST = 1880


@dataclass(frozen=True, slots=True)
class BirthDate:
    full: str | None
    """``YYYY-MM-DD`` when year, month and day are known."""
    swapped: str | None
    """The full date with day and month exchanged, when that is another real date."""
    year_month: str | None
    year: str | None

    @staticmethod
    def unknown() -> BirthDate:
        return BirthDate(None, None, None, None)


def _year(token: str) -> int | None:
    if len(token) == 4:
        value = int(token)
        return value if value >= _EARLIEST else None
    if len(token) == 2:
        value = int(token)
        return 2000 + value if value < _TWO_DIGIT_PIVOT else 1900 + value
    return None


def _real(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _build(year: int, month: int | None, day: int | None, *, as_written: bool = False) -> BirthDate:
    """The forms of a date; ``as_written`` keeps a full date whose day or month cannot exist."""
    y = f"{year:04d}"
    month_ok = month is not None and 1 <= month <= 12
    year_month = f"{y}-{month:02d}" if month_ok else None
    if month is None or day is None:
        return BirthDate(None, None, year_month, y)
    if not (_real(year, month, day) or as_written):
        return BirthDate(None, None, year_month, y)
    full = f"{y}-{month:02d}-{day:02d}"
    if full in PLACEHOLDERS:
        return BirthDate.unknown()
    swapped = f"{y}-{day:02d}-{month:02d}" if month_ok and day != month and _real(year, day, month) else None
    return BirthDate(full, swapped, year_month, y)


@lru_cache(maxsize=65536)
def _parse_text(text: str) -> BirthDate:
    text = text.strip()
    if not text:
        return BirthDate.unknown()
    if text.isdigit():
        if len(text) == 8:
            return _build(int(text[:4]), int(text[4:6]), int(text[6:]), as_written=True)
        if len(text) == 6 and int(text[:4]) >= _EARLIEST:
            return _build(int(text[:4]), int(text[4:]), None)
        year = _year(text) if len(text) == 4 else None
        return _build(year, None, None) if year else BirthDate.unknown()
    tokens = _NUMBERS.findall(text)
    if not tokens or len(tokens) > 3:
        return BirthDate.unknown()
    numbers = [int(t) for t in tokens]
    if len(tokens[0]) == 4:  # year first: Y-M-D, Y-M, Y
        year = _year(tokens[0])
        if year is None:
            return BirthDate.unknown()
        month = numbers[1] if len(numbers) > 1 else None
        day = numbers[2] if len(numbers) > 2 else None
        return _build(year, month, day)
    if len(tokens) == 3 and len(tokens[2]) in (2, 4) and len(tokens[0]) <= 2:  # D/M/Y or M/D/Y
        year = _year(tokens[2]) if len(tokens[2]) == 4 else None
        if year is None and len(tokens[2]) == 2 and len(tokens[0]) == 2 and "/" not in text:
            year = _year(tokens[0])  # 85-03-04: a two-digit year first
            if year is not None:
                return _build(year, numbers[1], numbers[2])
        if year is None:
            year = _year(tokens[2])
        if year is None:
            return BirthDate.unknown()
        first, second = numbers[0], numbers[1]
        if first > 12 >= second:
            return _build(year, second, first)
        if second > 12 >= first:
            return _build(year, first, second)
        return _build(year, second, first)
    return BirthDate.unknown()


def birth_date(value: object) -> BirthDate:
    """The comparable forms of a birth date given as a :class:`date` or as text; unknown when unreadable."""
    if value is None:
        return BirthDate.unknown()
    if isinstance(value, date):
        return _build(value.year, value.month, value.day)
    return _parse_text(str(value))
