"""The per-request context: data sources, lazily built loader groups, the edges that cross subgraphs, and the
notes for the request's audit record.

Loader groups are classes that take :class:`DataSources` and the request's :class:`RowScope`;
``context.loaders(OrdersLoaders)`` builds one group per request on first use, inside the running event loop as
aiodataloader requires. A subgraph loads its own data from its own loader groups; only edges into another subgraph
go through :class:`CrossSource`, which ``resolvers/`` implements. Nothing here knows the subgraphs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast

from strawberry.types import Info as StrawberryInfo

from core.auth import Principal
from core.errors import Forbidden, SourceUnavailable
from core.events import Notice
from core.listener import Notices
from core.policy import Decision, Policy
from subgraphs.kit.audit import AuditNotes
from subgraphs.kit.entities import AccountRef, CustomerRef
from subgraphs.kit.filters import CustomerPredicate
from subgraphs.kit.lookup import CustomerLookup
from subgraphs.kit.owners import Owner
from subgraphs.kit.scope import RowScope
from subgraphs.kit.sources import DataSources
from subgraphs.kit.timeline import TimelineItem, TimelinePage


class LoaderGroup(Protocol):
    def __init__(self, sources: DataSources, scope: RowScope) -> None: ...


L = TypeVar("L", bound=LoaderGroup)


class CrossSource(Protocol):
    """Edges that cross subgraphs; ``resolvers/`` implements them for the unified schema and for subgraphs."""

    async def customer(self, context: RequestContext, customer_id: str) -> CustomerRef | None: ...

    def open_tickets(self, context: RequestContext, wanted: bool) -> CustomerPredicate: ...

    async def account_customer_ids(self, context: RequestContext, account_id: str) -> list[str]: ...

    async def find_customer(self, context: RequestContext, lookup: CustomerLookup) -> str:
        """The surviving customer's id for a write, or ``NotFound``."""
        ...

    async def merged_ids(self, context: RequestContext, customer_id: str) -> list[str]:
        """The ids merged into a customer (batched: one statement per request)."""
        ...

    async def timeline(self, context: RequestContext, owner: Owner, page: TimelinePage) -> list[TimelineItem]:
        """A page of a customer's history across subgraphs, newest first (``subgraphs.kit.timeline``)."""
        ...

    async def timeline_entry(self, context: RequestContext, kind: str, source_id: int) -> TimelineItem | None:
        """One order's, ticket history row's or interaction's timeline entry (``None``: out of scope)."""
        ...

    async def ticket_customer(self, context: RequestContext, ticket_id: int) -> str | None:
        """The (surviving) customer of a ticket the caller may see; ``None`` when there is none."""
        ...


@dataclass
class _State:
    """What a request caches while it runs: its loader groups, its row scope, its audit notes."""

    loaders: dict[type[Any], Any]
    scope: RowScope
    audit: AuditNotes


_EVENT: ContextVar[tuple[int, _State] | None] = ContextVar("c360_subscription_event", default=None)
"""The state of the subscription event being delivered in this task (see :meth:`RequestContext.begin_event`)."""


class RequestContext:
    def __init__(
        self,
        sources: DataSources,
        cross: CrossSource,
        request: Any = None,
        principal: Principal | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.request = request
        self.principal = principal
        """The verified caller; ``None`` only where no request carries one (jobs, in-process calls)."""
        self.policy = policy
        self.sources = sources
        self.settings = sources.settings
        self.cross = cross
        self._own = _State({}, self._row_scope(), AuditNotes())
        self.connection_params: dict[str, Any] | None = None
        """A WebSocket's ``connection_init`` payload (strawberry sets it; ``app.py`` reads the token from it)."""

    def _row_scope(self) -> RowScope:
        principal, policy = self.principal, self.policy
        restricted = principal is not None and policy is not None and policy.sees_restricted(principal.roles)
        return RowScope(principal, self.sources.graph, restricted)

    @property
    def _state(self) -> _State:
        event = _EVENT.get()
        return event[1] if event is not None and event[0] == id(self) else self._own

    @property
    def scope(self) -> RowScope:
        """The rows the principal may see; loaders and repositories apply it (see ``subgraphs.kit.scope``)."""
        return self._state.scope

    @property
    def audit(self) -> AuditNotes:
        """The personal data this request (or subscription event) showed and the customers it changed."""
        return self._state.audit

    def loaders(self, group: type[L]) -> L:
        state = self._state
        found = state.loaders.get(group)
        if found is None:
            found = state.loaders[group] = group(self.sources, state.scope)
        return cast("L", found)

    def begin_event(self, notice: Notice | None = None) -> None:
        """Start a subscription's next event with nothing cached from before: fresh loaders, row scope and audit
        notes.

        Strawberry builds one context per WebSocket connection and shares it between that connection's
        operations, for as long as it stays open; data cached in it would go stale and leak between events. The
        state lives in a context variable of the operation's own task (the subscription's generator runs in the
        task that delivers its events), so concurrent subscriptions of one connection stay apart. Subscribers of the
        same ``notice`` whose principals see the same rows share that event's loaders (one read per event and
        field, not per subscriber); each keeps its own audit notes, and the field policies apply per subscriber.
        """
        principal = self.principal
        loaders: dict[type[Any], Any]
        if notice is None:
            loaders, scope = {}, self._row_scope()
        else:
            scope = self._row_scope()
            rows = (
                (principal.accounts, principal.business_units, scope.units.restricted)
                if principal is not None
                else (None, None, False)
            )
            loaders, scope = notice.shared(("event-state", rows), lambda: ({}, scope))
        _EVENT.set((id(self), _State(loaders, scope, AuditNotes())))

    @property
    def notices(self) -> Notices:
        if self.sources.notices is None:
            raise SourceUnavailable("postgres:events")
        return self.sources.notices

    @property
    def actor(self) -> str:
        """Who a write records as having made it: the principal's subject (``system`` without a principal)."""
        return self.principal.subject if self.principal is not None else "system"

    async def find_customer(self, lookup: CustomerLookup) -> str:
        """The customer a write names (by id or identifier), as its surviving id; ``NotFound`` when none.

        Unlike a search, this needs no right to read the identifier: the roles that may write (a source system's
        account among them) name customers by what their system knows, and the answer shows nothing of the
        customer. A customer out of the caller's row scope is not found."""
        lookup.check()
        return await self.cross.find_customer(self, lookup)

    def now(self) -> datetime:
        """The current time of the request's clock (``DataSources.clock``)."""
        return self.sources.clock()

    def require_visible(self, data_class: str, what: str) -> None:
        """Refuse a search or filter on values the caller may not see: who cannot read phones cannot find a
        customer by phone, and who sees names masked cannot filter by name."""
        if self.principal is None or self.policy is None:
            return
        if self.policy.decide(self.principal.roles, data_class) is not Decision.ALLOW:
            raise Forbidden(
                f"Searching by {what} needs {data_class.replace('_', ' ')} your roles may not read"
            )

    async def customer(self, customer_id: str) -> CustomerRef | None:
        """The customer behind an edge from another subgraph (a golden record, or only the key when federated)."""
        return await self.cross.customer(self, customer_id)

    async def customers(self, customer_ids: Collection[str]) -> list[CustomerRef]:
        """The customers that exist among ``customer_ids``, in order; loaded in one batch (loads start together)."""
        found = await asyncio.gather(*(self.cross.customer(self, c) for c in customer_ids))
        return [customer for customer in found if customer is not None]

    async def rollup_customer_ids(self, account: AccountRef) -> list[str]:
        """Customers an account's roll-ups sum over: contacts of it and of every account below it."""
        if account.rollup_ids is not None:
            return account.rollup_ids
        return await self.cross.account_customer_ids(self, account.id)


Info = StrawberryInfo[RequestContext, None]
