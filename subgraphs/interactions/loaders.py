"""Per-request loaders of the interactions subgraph."""

from __future__ import annotations

from functools import partial

import asyncpg

from subgraphs.interactions import repository
from subgraphs.interactions.repository import InteractionPage
from subgraphs.kit.loaders import Loader, grouped_loader, keyed_loader
from subgraphs.kit.owners import Owner
from subgraphs.kit.scope import RowScope
from subgraphs.kit.sources import DataSources


class InteractionsLoaders:
    def __init__(self, sources: DataSources, scope: RowScope) -> None:
        db = sources.postgres.db("interactions")
        self.interaction_by_id: Loader[int, asyncpg.Record | None] = keyed_loader(
            scope.apply(partial(repository.interactions_by_id, db)), None
        )
        self.latest_by_customer: Loader[tuple[Owner, InteractionPage], list[asyncpg.Record]] = grouped_loader(
            scope.apply(partial(repository.latest_by_customer, db)), []
        )
