"""The model's comparisons and their levels, declared once: Splink's settings for training are built from this
list (:func:`graph_store.resolution.matching.settings.splink_settings`) and the in-process scorer evaluates the
same conditions, so the two cannot drift apart. A trained artefact records every level's SQL condition and is
refused by the scorer when this list no longer says the same.

Within a comparison the first level whose condition holds decides (SQL's CASE WHEN); the first level of each
comparison is its null level (nothing to compare: weight 0), the last is "anything else".
"""

from __future__ import annotations

from dataclasses import dataclass

from graph_store.resolution.matching.conditions import (
    Condition,
    DamerauLevenshteinAtMost,
    Disjoint,
    Equal,
    JaroWinklerAtLeast,
    Missing,
    Shared,
    both_of,
    either_of,
)


@dataclass(frozen=True)
class Level:
    label: str
    condition: Condition | None
    """None for the last level: anything the levels above did not catch."""
    null: bool = False

    def sql(self) -> str:
        return "ELSE" if self.condition is None else self.condition.sql()


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str
    levels: tuple[Level, ...]

    def __post_init__(self) -> None:
        assert self.levels[0].null, self.name
        assert self.levels[-1].condition is None, self.name
        assert all(level.condition is not None for level in self.levels[:-1]), self.name


def _null(*columns: str) -> Level:
    return Level(
        "null", either_of(*(Missing(c) for c in columns)) if len(columns) > 1 else Missing(columns[0]), True
    )


ELSE = Level("else", None)


def _same_written(key: str, han: str) -> Condition:
    """Same pinyin or Latin key, and the same characters when both are written in Chinese (张 and 章 are both
    zhang, but a homophone is only a near match)."""
    return both_of(Equal(key), either_of(Missing(han), Equal(han)))


def _name(part: str, other: str, label: str) -> Comparison:
    return Comparison(
        f"{part}_name",
        f"{label}: the same, in the other's other field (names written in the other order), close, or not",
        (
            _null(part),
            Level("exact", _same_written(part, f"{part}_han")),
            Level("swapped", either_of(Equal(part, other), Equal(other, part))),
            Level("jaro_winkler_0.92", JaroWinklerAtLeast(part, 0.92)),
            Level("jaro_winkler_0.8", JaroWinklerAtLeast(part, 0.8)),
            ELSE,
        ),
    )


def _shared(column: str, name: str, description: str, scopes: str | None = None) -> Comparison:
    """A set of identifier values: one shared, or none shared. With ``scopes``, sets that have no scope in
    common (openids of different apps) cannot disagree and count as missing."""
    null = (
        _null(column)
        if scopes is None
        else Level("null", either_of(Missing(column), Missing(scopes), Disjoint(scopes)), True)
    )
    return Comparison(name, description, (null, Level("shared", Shared(column)), ELSE))


COMPARISONS: tuple[Comparison, ...] = (
    _name("family", "given", "Family name"),
    _name("given", "family", "Given name"),
    Comparison(
        "birth_date",
        "Birth date: the same, day and month swapped, one typing slip, the same month, the same year, or not",
        (
            _null("dob_y"),
            Level("exact", Equal("dob")),
            Level("day_month_swapped", either_of(Equal("dob", "dob_swapped"), Equal("dob_swapped", "dob"))),
            Level("one_edit", DamerauLevenshteinAtMost("dob", 1)),
            Level("same_month", Equal("dob_ym")),
            Level("same_year", Equal("dob_y")),
            ELSE,
        ),
    ),
    Comparison("gender", "Gender: the same or not", (_null("gender"), Level("exact", Equal("gender")), ELSE)),
    Comparison(
        "address",
        "Street address: the same, close, or not",
        (
            _null("address"),
            Level("exact", Equal("address")),
            Level("jaro_winkler_0.92", JaroWinklerAtLeast("address", 0.92)),
            Level("jaro_winkler_0.8", JaroWinklerAtLeast("address", 0.8)),
            ELSE,
        ),
    ),
    Comparison(
        "address_2",
        "Second address line: the same, close, or not",
        (
            _null("address_2"),
            Level("exact", Equal("address_2")),
            Level("jaro_winkler_0.88", JaroWinklerAtLeast("address_2", 0.88)),
            ELSE,
        ),
    ),
    Comparison(
        "city",
        "City or suburb: the same, close, or not",
        (
            _null("city"),
            Level("exact", Equal("city")),
            Level("jaro_winkler_0.88", JaroWinklerAtLeast("city", 0.88)),
            ELSE,
        ),
    ),
    Comparison(
        "postcode",
        "Postcode: the same, one typing slip, or not",
        (
            _null("postcode"),
            Level("exact", Equal("postcode")),
            Level("one_edit", DamerauLevenshteinAtMost("postcode", 1)),
            ELSE,
        ),
    ),
    Comparison(
        "region",
        "Region, province or state: the same or not",
        (_null("region"), Level("exact", Equal("region")), ELSE),
    ),
    Comparison(
        "national_id",
        "National id: the same, one typing slip, or not",
        (
            _null("national_id"),
            Level("exact", Equal("national_id")),
            Level("one_edit", DamerauLevenshteinAtMost("national_id", 1)),
            ELSE,
        ),
    ),
    _shared("phones", "phone", "Phone numbers: one shared, or none"),
    _shared("emails", "email", "E-mail addresses: one shared, or none"),
    _shared(
        "wechat", "wechat", "WeChat unionid or an openid of the same app: shared, or not", "wechat_scopes"
    ),
    _shared("system_ids", "system_id", "Ids in one source system: shared, or different", "system_scopes"),
    _shared("devices", "device", "Device ids: one shared, or none"),
)

BY_NAME = {c.name: c for c in COMPARISONS}
