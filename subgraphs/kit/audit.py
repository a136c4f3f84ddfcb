"""What a request showed of personal data and which customers' data it changed, noted while it runs, for its one
audit record (``schema/audit.py`` writes it after execution; ``core/audit.py`` holds the record).

Noting costs one list append per unmasked value of an audited class, made by the synchronous field guard that
already decides the value (``schema/policies.py``); the customers and classes are computed once, at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from graphql.pyutils import Path


class AuditNotes:
    __slots__ = ("changes", "reads")

    def __init__(self) -> None:
        self.reads: list[tuple[str, Any, Path]] = []
        """(data class, owner, path) of every unmasked audited value: the owner is a customer id, a list of them
        or ``None``; the path is where the value sits in the response, to withhold it if the record fails."""
        self.changes: list[tuple[Path, tuple[str, ...]]] = []
        """(path of the mutation, customers whose data it changed)."""

    def read(self, data_class: str, owner: str | Sequence[str] | None, path: Path) -> None:
        self.reads.append((data_class, owner, path))

    def changed(self, path: Path, customer_ids: Iterable[str]) -> None:
        """A mutation changed these customers' data (called by the mutation once its write is done); naming no
        customer (a batch of rejected records) notes nothing."""
        changed = tuple(str(c) for c in customer_ids)
        if changed:
            self.changes.append((path, changed))

    def __bool__(self) -> bool:
        return bool(self.reads or self.changes)

    def customer_ids(self) -> tuple[str, ...]:
        found: set[str] = set()
        for _, owner, _ in self.reads:
            if isinstance(owner, str):
                found.add(owner)
            elif owner is not None:
                found.update(str(o) for o in owner)
        for _, changed in self.changes:
            found.update(changed)
        return tuple(sorted(found))

    def data_classes(self) -> tuple[str, ...]:
        return tuple(sorted({data_class for data_class, _, _ in self.reads}))
