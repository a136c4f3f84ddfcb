"""Edges between subgraphs: an order's, ticket's or interaction's customer; filters that need another domain.

In the unified schema an edge to ``Customer`` loads the golden record (batched); a standalone subgraph returns
only the key and leaves the rest to the federation gateway. Accounts live in the graph store, which every
process reaches, so an edge to ``Account`` always loads it.
"""

from __future__ import annotations

from collections.abc import Collection

import strawberry

from core.context import RequestContext
from core.entities import AccountRef, CustomerRef
from subgraphs.profiles.loaders import ProfilesLoaders
from subgraphs.relationships.loaders import RelationshipsLoaders
from subgraphs.tickets import repository as tickets


class Edges:
    def __init__(self, *, load_profiles: bool) -> None:
        self.load_profiles = load_profiles

    async def customer(self, context: RequestContext, customer_id: str) -> CustomerRef | None:
        if not self.load_profiles:
            return CustomerRef(id=strawberry.ID(customer_id))
        profile = await context.loaders(ProfilesLoaders).profile_by_id.load(customer_id)
        # A merged-away id answers with its survivor, under the survivor's id.
        return CustomerRef(id=strawberry.ID(profile["id"]), profile=profile) if profile is not None else None

    async def customer_ids_with_open_tickets(self, context: RequestContext) -> Collection[str]:
        return await tickets.customers_with_open_tickets(context.sources.postgres.db("tickets"))

    async def account(self, context: RequestContext, account_id: str) -> AccountRef | None:
        node = await context.loaders(RelationshipsLoaders).account_by_id.load(account_id)
        return AccountRef(id=strawberry.ID(account_id), node=node) if node is not None else None

    async def account_customer_ids(self, context: RequestContext, account_id: str) -> list[str]:
        return await context.loaders(RelationshipsLoaders).rollup_customer_ids.load(account_id)


UNIFIED = Edges(load_profiles=True)
