"""Edges between subgraphs: an order's, ticket's or interaction's customer; filters that need another domain.

In the unified schema an edge to ``Customer`` loads the golden record (batched); a standalone subgraph returns
only the key and leaves the rest to the federation gateway. A subgraph's own root fields never come here: they
load from their own loaders.
"""

from __future__ import annotations

import strawberry

from core.errors import IdentifierNotFound, NotFound
from core.ids import parse_uuid
from graph_store.identifiers import normalize
from resolvers import timeline
from resolvers.filters import OpenTickets
from subgraphs.kit.context import RequestContext
from subgraphs.kit.entities import CustomerRef
from subgraphs.kit.lookup import CustomerLookup
from subgraphs.kit.owners import Owner
from subgraphs.kit.timeline import TimelineItem, TimelinePage
from subgraphs.profiles import loaders as profiles
from subgraphs.profiles.loaders import ProfilesLoaders
from subgraphs.relationships.loaders import RelationshipsLoaders
from subgraphs.tickets.loaders import TicketsLoaders


class Edges:
    def __init__(self, *, load_profiles: bool) -> None:
        self.load_profiles = load_profiles

    async def customer(self, context: RequestContext, customer_id: str) -> CustomerRef | None:
        if not self.load_profiles:
            return CustomerRef(id=strawberry.ID(customer_id))
        return await profiles.customer(context, customer_id)

    def open_tickets(self, context: RequestContext, wanted: bool) -> OpenTickets:
        return OpenTickets(context.sources, wanted, context.scope.units)

    async def account_customer_ids(self, context: RequestContext, account_id: str) -> list[str]:
        return await context.loaders(RelationshipsLoaders).rollup_customer_ids.load(account_id)

    async def find_customer(self, context: RequestContext, lookup: CustomerLookup) -> str:
        """From the profiles subgraph in every schema: a write must name a customer that exists."""
        if lookup.identifier_type is not None and lookup.identifier_value is not None:
            identifier = normalize(
                lookup.identifier_type,
                lookup.identifier_value,
                region=context.settings.default_phone_region,
                app_id=lookup.app_id,
            )
            found = await context.loaders(ProfilesLoaders).customer_by_identifier_key.load(identifier.key)
            if found is None:
                raise IdentifierNotFound(identifier.type.value)
            customer_id = found
        else:
            customer_id = parse_uuid(str(lookup.id))
        ref = await profiles.customer(context, customer_id)
        if ref is None:
            raise NotFound("customer", customer_id)
        return str(ref.id)

    async def timeline(self, context: RequestContext, owner: Owner, page: TimelinePage) -> list[TimelineItem]:
        return await timeline.timeline(context, owner, page)

    async def timeline_entry(self, context: RequestContext, kind: str, source_id: int) -> TimelineItem | None:
        return await timeline.entry(context, kind, source_id)

    async def merged_ids(self, context: RequestContext, customer_id: str) -> list[str]:
        return await context.loaders(ProfilesLoaders).merged_ids.load(customer_id)

    async def ticket_customer(self, context: RequestContext, ticket_id: int) -> str | None:
        ticket = await context.loaders(TicketsLoaders).ticket_by_id.load(ticket_id)
        if ticket is None:
            return None
        ref = await profiles.customer(context, ticket["customer_id"])
        return str(ref.id) if ref is not None else None


UNIFIED = Edges(load_profiles=True)
