"""Conditions on customers that another subgraph answers, such as "has an open ticket".

The profiles subgraph filters and counts customers; a condition owned by another subgraph reaches it through this
protocol, so profiles never imports that subgraph and never receives the set of matching ids.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol


class CustomerPredicate(Protocol):
    def sql(self, customer_id: str, param: Callable[[object], str]) -> str | None:
        """A SQL condition on the column ``customer_id`` when the owning subgraph's tables are in the same
        database (``param`` binds a value and returns its placeholder); ``None`` when they are not."""
        ...

    async def matching(self, customer_ids: Sequence[str]) -> set[str]:
        """Which of ``customer_ids`` satisfy it: one statement in the owning subgraph's database."""
        ...
