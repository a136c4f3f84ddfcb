"""The per-request context: data sources, lazily built loader groups, and the cross-source edges.

Loader groups are classes that take :class:`DataSources`; ``context.loaders(OrdersLoaders)`` builds one group per
request on first use, inside the running event loop as aiodataloader requires. Nothing here knows the subgraphs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from strawberry.types import Info as StrawberryInfo

from core.entities import AccountRef, CustomerRef
from core.postgres import Postgres
from core.settings import Settings

if TYPE_CHECKING:
    from graph_store.driver import GraphStore


class LoaderGroup(Protocol):
    def __init__(self, sources: DataSources) -> None: ...


L = TypeVar("L", bound=LoaderGroup)


@dataclass
class DataSources:
    settings: Settings
    postgres: Postgres
    graph: GraphStore


class CrossSource(Protocol):
    """Edges that cross subgraphs; ``resolvers/`` implements them for the unified schema and for subgraphs."""

    async def customer(self, context: RequestContext, customer_id: str) -> CustomerRef | None: ...

    async def customer_ids_with_open_tickets(self, context: RequestContext) -> Collection[str]: ...

    async def account(self, context: RequestContext, account_id: str) -> AccountRef | None: ...

    async def account_customer_ids(self, context: RequestContext, account_id: str) -> list[str]: ...


class RequestContext:
    def __init__(self, sources: DataSources, cross: CrossSource, request: Any = None) -> None:
        self.request = request
        self.sources = sources
        self.settings = sources.settings
        self.cross = cross
        self._loaders: dict[type[Any], Any] = {}

    def loaders(self, group: type[L]) -> L:
        found = self._loaders.get(group)
        if found is None:
            found = self._loaders[group] = group(self.sources)
        return cast("L", found)

    async def customer(self, customer_id: str) -> CustomerRef | None:
        return await self.cross.customer(self, customer_id)

    async def customers(self, customer_ids: Collection[str]) -> list[CustomerRef]:
        """The customers that exist among ``customer_ids``, in order; loaded in one batch (loads start together)."""
        found = await asyncio.gather(*(self.cross.customer(self, c) for c in customer_ids))
        return [customer for customer in found if customer is not None]

    async def account(self, account_id: str) -> AccountRef | None:
        return await self.cross.account(self, account_id)

    async def rollup_customer_ids(self, account: AccountRef) -> list[str]:
        """Customers an account's roll-ups sum over: contacts of it and of every account below it."""
        if account.rollup_ids is not None:
            return account.rollup_ids
        return await self.cross.account_customer_ids(self, account.id)


Info = StrawberryInfo[RequestContext, None]
