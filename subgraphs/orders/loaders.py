"""Per-request loaders of the orders subgraph."""

from __future__ import annotations

from functools import partial

import asyncpg

from subgraphs.kit.loaders import Loader, grouped_loader, keyed_loader
from subgraphs.kit.owners import Owner
from subgraphs.kit.scope import RowScope
from subgraphs.kit.sources import DataSources
from subgraphs.orders import repository
from subgraphs.orders.repository import OrderPage


class OrdersLoaders:
    def __init__(self, sources: DataSources, scope: RowScope) -> None:
        db = sources.postgres.db("orders")
        self.order_by_id: Loader[int, asyncpg.Record | None] = keyed_loader(
            scope.apply(partial(repository.orders_by_id, db)), None
        )
        self.orders_by_customer: Loader[tuple[Owner, OrderPage], list[asyncpg.Record]] = grouped_loader(
            scope.apply(partial(repository.orders_by_customer, db)), []
        )
        # Items are asked only of orders found above, so they need no scope of their own.
        self.items_by_order: Loader[int, list[asyncpg.Record]] = keyed_loader(
            partial(repository.items_by_order, db), []
        )
        self.stats_by_customer: Loader[Owner, asyncpg.Record | None] = keyed_loader(
            scope.apply(partial(repository.stats_by_customer, db)), None
        )
