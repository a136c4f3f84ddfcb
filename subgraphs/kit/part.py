"""What a subgraph contributes to a schema; ``schema/`` assembles schemas from these parts.

Which subgraphs exist, and where each keeps its data, is ``core.registry``; this holds only the GraphQL side.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from subgraphs.kit.context import RequestContext
    from subgraphs.kit.entities import AccountRef


@dataclass(frozen=True)
class SubgraphPart:
    name: str
    customer_fields: type
    """A strawberry type holding only this domain's ``Customer`` fields (its name never reaches the SDL)."""
    query: type
    """A strawberry type holding this domain's root fields."""
    owns_profiles: bool = False
    """Whether this subgraph resolves ``Customer`` representations to golden records (the others return keys)."""
    mutation: type | None = None
    """A strawberry type holding this domain's mutations."""
    subscription: type | None = None
    """A strawberry type holding this domain's subscriptions (graphql-transport-ws)."""
    account_fields: tuple[type, ...] = ()
    """Strawberry types holding this domain's ``Account`` fields in the unified schema."""
    federated_account_fields: tuple[type, ...] = ()
    """The same in its federation subgraph, with ``@external``/``@requires``/``@inaccessible`` as needed."""
    load_account: Callable[[RequestContext, str], Awaitable[AccountRef | None]] | None = None
    """For the subgraph that owns accounts: loads one, so ``Account`` representations resolve to stored
    accounts (the other subgraphs take the keys)."""

    @property
    def owns_accounts(self) -> bool:
        return self.load_account is not None
