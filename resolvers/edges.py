"""Edges between subgraphs: an order's, ticket's or interaction's customer; filters that need another domain.

In the unified schema an edge to ``Customer`` loads the golden record (batched); a standalone subgraph returns
only the key and leaves the rest to the federation gateway. A subgraph's own root fields never come here: they
load from their own loaders.
"""

from __future__ import annotations

import strawberry

from resolvers.filters import OpenTickets
from subgraphs.kit.context import RequestContext
from subgraphs.kit.entities import CustomerRef
from subgraphs.profiles import loaders as profiles
from subgraphs.relationships.loaders import RelationshipsLoaders


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


UNIFIED = Edges(load_profiles=True)
