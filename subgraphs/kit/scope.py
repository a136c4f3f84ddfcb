"""A request's row scope: what its principal may see (``core.visibility.Visible``), computed at most once.

Business units come straight from the token. The customers and accounts of a principal limited to accounts cost
one Cypher call (``graph_store.relationships.scope``), made by the first loader batch or root field that needs them
and shared by every other one of the request. An unlimited principal never calls anything, and its loaders run
their statements exactly as they would without scoping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from core.auth import Principal
from core.errors import Forbidden
from core.visibility import EVERYTHING, Visible
from graph_store.driver import GraphStore
from graph_store.relationships.scope import account_scope

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class RowScope:
    def __init__(self, principal: Principal | None, graph: GraphStore, restricted: bool = False) -> None:
        """``restricted``: whether the principal's roles may see rows an erasure restricted (the policy says)."""
        self._graph = graph
        self._assigned = principal.accounts if principal is not None else None
        units = principal.business_units if principal is not None else None
        self._static = (
            EVERYTHING
            if units is None and not restricted
            else Visible(business_units=units, restricted=restricted)
        )
        self._computed: asyncio.Future[Visible] | None = None

    @property
    def everything(self) -> bool:
        """Whether the principal sees every row (nothing to add to any statement)."""
        return self._assigned is None and self._static.everything

    @property
    def by_account(self) -> bool:
        return self._assigned is not None

    @property
    def units(self) -> Visible:
        """The business units alone: known from the token, with no look-up."""
        return self._static

    async def visible(self) -> Visible:
        """What the principal may see; the first call for a principal limited to accounts asks Neo4j once."""
        if self._assigned is None:
            return self._static
        if self._computed is None:
            self._computed = asyncio.ensure_future(self._compute(self._assigned))
        # Shielded: one cancelled field must not cancel the look-up every other field of the request awaits.
        return await asyncio.shield(self._computed)

    def require_parent(self, parent_id: str | None) -> None:
        """A principal limited to accounts keeps every account it writes below one of them: a top-level account
        would leave its scope at once."""
        if self._assigned is not None and parent_id is None:
            raise Forbidden(
                "Your accounts limit where you may place an account: give a parent account among them"
            )

    def forget(self) -> None:
        """After a write that may change the hierarchy or its contacts: the next read asks again."""
        self._computed = None

    async def _compute(self, assigned: frozenset[str]) -> Visible:
        found = await account_scope(self._graph, assigned)
        static = self._static
        return Visible(found.customers, found.accounts, static.business_units, static.restricted)

    def apply(self, fetch: F) -> F:
        """``fetch`` (a batch function taking ``rows=``) limited to this scope: unchanged for an unlimited principal,
        bound to its business units for one limited only by them, awaiting :meth:`visible` otherwise."""
        if self.everything:
            return fetch
        if self._assigned is None:
            return partial(fetch, rows=self._static)  # type: ignore[return-value]

        async def scoped(*args: Any) -> Any:
            return await fetch(*args, rows=await self.visible())

        return scoped  # type: ignore[return-value]
