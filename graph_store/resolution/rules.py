"""Identity resolution rules, read from a TOML file: matching types, blocked values, limits, priorities, survivorship.

Rules are configuration, not code: a company tunes which identifiers may merge people and how the golden record is
chosen without a release. A malformed file fails at start with the offending key named.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT
from graph_store.identifiers import Identifier, IdentifierType

DEFAULT_RULES = PROJECT_ROOT / "config" / "identity_rules.toml"


class SurvivorRule(StrEnum):
    OLDEST = "oldest"
    SOURCE_PRIORITY = "source_priority"


class FieldRule(StrEnum):
    SOURCE_PRIORITY = "source_priority"
    MOST_RECENT = "most_recent"
    MOST_FREQUENT = "most_frequent"
    NON_EMPTY = "non_empty"


class RulesError(ValueError):
    pass


ERASED = re.compile("erased")
"""What blocks an identifier an erasure tombstoned (its ``pattern`` is the reason reported)."""


@dataclass(frozen=True)
class MatchingRules:
    matching: frozenset[IdentifierType]
    priority: tuple[IdentifierType, ...]
    """Highest first; a type missing from the list ranks below every listed one."""
    limits: dict[IdentifierType, int]
    blocked: dict[IdentifierType | None, tuple[re.Pattern[str], ...]]
    """Per type; ``None`` holds the patterns for every type."""
    survivor: SurvivorRule = SurvivorRule.OLDEST
    source_priority: tuple[str, ...] = ()
    survivorship: dict[str, FieldRule] = field(default_factory=dict)
    default_field_rule: FieldRule = FieldRule.MOST_RECENT
    written: frozenset[IdentifierType] = frozenset()
    """Types people write by hand (a national id on a form), whose values come with typos: a record the matching
    model joins to a customer at the merge threshold, that weight counting the difference, lets its own value of
    such a type yield to the customer's limit instead of the join being refused. A system-issued id never does."""
    shared: frozenset[IdentifierType] = frozenset()
    """Types whose values people share from their first use (a device: a shop's tablet, a family's iPad): a value
    of such a type never links a record the matching model has nothing to weigh with (no name or birth date), as
    a value of another type stops doing once it is known to be shared by people."""
    erased: frozenset[str] = frozenset()
    """Identifier keys an erasure tombstoned, for the one batch these rules plan (set per batch by
    ``subgraphs/profiles/tombstones.py``): blocked like junk values, with the reason ``erased``."""

    def rank(self, kind: IdentifierType) -> int:
        """Smaller is higher priority."""
        return self.priority.index(kind) if kind in self.priority else len(self.priority)

    def source_rank(self, system: str) -> int:
        return (
            self.source_priority.index(system)
            if system in self.source_priority
            else len(self.source_priority)
        )

    def is_blocked(self, identifier: Identifier) -> re.Pattern[str] | None:
        """The pattern that blocks this value, if any."""
        if identifier.key in self.erased:
            return ERASED
        for pattern in (*self.blocked.get(None, ()), *self.blocked.get(identifier.type, ())):
            if pattern.search(identifier.value):
                return pattern
        return None

    def field_rule(self, name: str) -> FieldRule:
        return self.survivorship.get(name, self.default_field_rule)


def _type(name: str, where: str) -> IdentifierType:
    try:
        return IdentifierType(name)
    except ValueError:
        choices = ", ".join(t.value for t in IdentifierType)
        raise RulesError(f"{where}: unknown identifier type {name!r} (one of {choices})") from None


def _patterns(values: Any, where: str) -> tuple[re.Pattern[str], ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise RulesError(f"{where}: expected a list of regular expressions")
    try:
        return tuple(re.compile(v, re.IGNORECASE) for v in values)
    except re.error as exc:
        raise RulesError(f"{where}: invalid regular expression: {exc}") from exc


def parse_rules(document: dict[str, Any]) -> MatchingRules:
    matching = document.get("matching", {})
    limits: dict[IdentifierType, int] = {}
    for name, limit in document.get("limits", {}).items():
        if not isinstance(limit, int) or limit < 1:
            raise RulesError(f"limits.{name}: expected a positive integer, got {limit!r}")
        limits[_type(name, f"limits.{name}")] = limit
    blocked: dict[IdentifierType | None, tuple[re.Pattern[str], ...]] = {}
    for name, values in document.get("blocked", {}).items():
        kind = None if name == "*" else _type(name, f"blocked.{name}")
        blocked[kind] = _patterns(values, f"blocked.{name}")
    survivorship = dict(document.get("survivorship", {}))
    try:
        default_rule = FieldRule(survivorship.pop("default", FieldRule.MOST_RECENT))
        field_rules = {name: FieldRule(rule) for name, rule in survivorship.items()}
        survivor = SurvivorRule(matching.get("survivor", SurvivorRule.OLDEST))
    except ValueError as exc:
        raise RulesError(f"survivorship/survivor: {exc}") from exc
    return MatchingRules(
        matching=frozenset(
            _type(n, "matching.types") for n in matching.get("types", [t.value for t in IdentifierType])
        ),
        priority=tuple(_type(n, "matching.priority") for n in matching.get("priority", [])),
        limits=limits,
        blocked=blocked,
        survivor=survivor,
        source_priority=tuple(matching.get("source_priority", [])),
        written=frozenset(_type(n, "matching.written") for n in matching.get("written", [])),
        shared=frozenset(_type(n, "matching.shared") for n in matching.get("shared", [])),
        survivorship=field_rules,
        default_field_rule=default_rule,
    )


def load_rules(path: Path = DEFAULT_RULES) -> MatchingRules:
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"cannot read identity rules {path}: {exc}") from exc
    return parse_rules(document)


@functools.cache
def rules_at(path: Path) -> MatchingRules:
    """The rules of a file, read once per process."""
    return load_rules(path)
