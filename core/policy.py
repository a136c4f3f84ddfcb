"""The access policy file (``config/policy.toml``, ``C360_POLICY_FILE``): roles, and which roles may call each
root field and mutation. Plain data, read once at start; ``schema/policies.py`` applies it to every schema."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

ANY = "*"


@dataclass(frozen=True)
class Policy:
    roles: dict[str, str]
    """Role name → what it is for."""
    operations: dict[str, frozenset[str]]
    """``Query.customers`` / ``Mutation.linkCustomers`` → the roles that may call it (``*``: anyone signed in)."""

    @classmethod
    def load(cls, path: Path) -> Policy:
        document = tomllib.loads(path.read_text())
        roles = dict(document.get("roles", {}))
        operations = {name: frozenset(allowed) for name, allowed in document.get("operations", {}).items()}
        unknown = {role for allowed in operations.values() for role in allowed} - set(roles) - {ANY}
        if unknown:
            raise ValueError(
                f"{path}: operations name roles that are not defined: {', '.join(sorted(unknown))}"
            )
        return cls(roles, operations)

    def allows(self, operation: str, roles: frozenset[str]) -> bool:
        allowed = self.operations.get(operation, frozenset())
        return ANY in allowed or not allowed.isdisjoint(roles)
