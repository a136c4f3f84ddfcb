"""Per-request loaders of the profiles subgraph: golden records and identifiers from PostgreSQL, explanations from
Neo4j."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from functools import partial

import asyncpg
import strawberry

from graph_store.identity import LinkedIdentifier
from graph_store.resolution import history
from graph_store.resolution.history import EventView, RecordView
from subgraphs.kit.context import RequestContext
from subgraphs.kit.entities import CustomerRef
from subgraphs.kit.loaders import Loader, keyed_loader
from subgraphs.kit.scope import RowScope
from subgraphs.kit.sources import DataSources
from subgraphs.profiles import consent, repository


class ProfilesLoaders:
    def __init__(self, sources: DataSources, scope: RowScope) -> None:
        db = sources.postgres.db("profiles")
        # Every customer of a request comes through here (roots, edges, entities): it alone needs the scope, since
        # the other loaders are asked only about customers it returned.
        self.profile_by_id: Loader[str, asyncpg.Record | None] = keyed_loader(
            scope.apply(partial(repository.profiles_by_id, db)), None
        )
        self.provenance: Loader[str, list[asyncpg.Record]] = keyed_loader(
            partial(repository.provenance, db), []
        )
        self.source_records: Loader[str, list[RecordView]] = keyed_loader(
            partial(history.records_by_customer, sources.graph), []
        )
        self.identity_events: Loader[str, list[EventView]] = keyed_loader(
            partial(history.events_by_customer, sources.graph), []
        )
        self.consents: Loader[str, list[asyncpg.Record]] = keyed_loader(partial(consent.current, db), [])
        self.merged_ids: Loader[str, list[str]] = keyed_loader(partial(repository.merged_ids, db), [])
        # Hot reads: PostgreSQL's projection of current identifiers, not the graph.
        self.identifiers_by_customer: Loader[str, list[LinkedIdentifier]] = keyed_loader(
            partial(repository.identifiers_by_customer, db), []
        )
        self.customer_by_identifier_key: Loader[str, str | None] = keyed_loader(
            partial(repository.customers_by_identifier_key, db), None
        )


async def customer(context: RequestContext, customer_id: str) -> CustomerRef | None:
    """A customer with its golden record, batched with every other load of the tick.

    A merged-away id answers with its survivor, under the survivor's id.
    """
    profile = await context.loaders(ProfilesLoaders).profile_by_id.load(customer_id)
    return CustomerRef(id=strawberry.ID(profile["id"]), profile=profile) if profile is not None else None


async def customers(context: RequestContext, customer_ids: Collection[str]) -> list[CustomerRef]:
    """The customers that exist among ``customer_ids``, in order, in one batch."""
    found = await asyncio.gather(*(customer(context, c) for c in customer_ids))
    return [ref for ref in found if ref is not None]
