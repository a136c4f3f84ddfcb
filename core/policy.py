"""The access policy file (``config/policy.toml``, ``C360_POLICY_FILE``): roles, which roles may call each root
field and mutation, per role and data class whether a field is shown, masked or withheld, and which classes the
audit records when shown. Plain data, read once at start; ``schema/policies.py`` applies it to every schema."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

ANY = "*"
PUBLIC = "public"


class Decision(IntEnum):
    """Ordered by what they show, so several roles take the most open decision of any of them."""

    DENY = 0
    MASK = 1
    ALLOW = 2


@dataclass(frozen=True)
class Policy:
    roles: dict[str, str]
    """Role name → what it is for."""
    operations: dict[str, frozenset[str]]
    """``Query.customers`` / ``Mutation.linkCustomers`` → the roles that may call it (``*``: anyone signed in)."""
    data_classes: dict[str, str] = field(default_factory=dict)
    fields: dict[str, dict[str, Decision]] = field(default_factory=dict)
    """Role → data class → decision."""
    audited: frozenset[str] = frozenset()
    """Data classes whose unmasked values are audited (``[audit] classes``): one record per request that shows
    any of them (``core/audit.py``)."""
    restricted: frozenset[str] = frozenset()
    """Roles that see rows an erasure kept for accounting (``[restricted] roles``); to every other role they do
    not exist (``core/visibility.py``)."""
    _decisions: dict[tuple[frozenset[str], str], Decision] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def load(cls, path: Path) -> Policy:
        document = tomllib.loads(path.read_text())
        roles = dict(document.get("roles", {}))
        operations = {name: frozenset(allowed) for name, allowed in document.get("operations", {}).items()}
        classes = dict(document.get("data_classes", {}))
        decisions = {
            role: {data_class: Decision[value.upper()] for data_class, value in by_class.items()}
            for role, by_class in document.get("fields", {}).items()
        }
        unknown = {role for allowed in operations.values() for role in allowed} - set(roles) - {ANY}
        unknown |= set(decisions) - set(roles)
        if unknown:
            raise ValueError(f"{path}: roles used but not defined: {', '.join(sorted(unknown))}")
        audited = frozenset(document.get("audit", {}).get("classes", ()))
        stray = {c for by_class in decisions.values() for c in by_class} | audited
        stray -= set(classes)
        if stray:
            raise ValueError(f"{path}: data classes used but not defined: {', '.join(sorted(stray))}")
        if PUBLIC in audited:
            raise ValueError(f"{path}: public fields cannot be audited (every response holds some)")
        restricted = frozenset(document.get("restricted", {}).get("roles", ()))
        if restricted - set(roles):
            raise ValueError(
                f"{path}: roles used but not defined: {', '.join(sorted(restricted - set(roles)))}"
            )
        return cls(roles, operations, classes, decisions, audited, restricted)

    def allows(self, operation: str, roles: frozenset[str]) -> bool:
        allowed = self.operations.get(operation, frozenset())
        return ANY in allowed or not allowed.isdisjoint(roles)

    def sees_restricted(self, roles: frozenset[str]) -> bool:
        return not self.restricted.isdisjoint(roles)

    def decide(self, roles: frozenset[str], data_class: str) -> Decision:
        """What callers with ``roles`` see of a field of ``data_class``: the most open of their roles' decisions.

        Computed once per (roles, class) and kept: a field check costs one dictionary look-up."""
        key = (roles, data_class)
        found = self._decisions.get(key)
        if found is None:
            if data_class == PUBLIC:
                found = Decision.ALLOW
            else:
                decisions = (self.fields.get(role, {}).get(data_class, Decision.DENY) for role in roles)
                found = max(decisions, default=Decision.DENY)
            self._decisions[key] = found
        return found
