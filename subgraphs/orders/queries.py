"""Root fields of the orders subgraph."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.ids import parse_int_id
from subgraphs.kit.context import Info
from subgraphs.orders.loaders import OrdersLoaders
from subgraphs.orders.types import Order


@strawberry.type(name="OrdersQuery")
class OrdersQuery:
    @strawberry.field(description="One order by id; null when no order has that id.")
    async def order(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Order id (an integer).")],
    ) -> Order | None:
        row = await info.context.loaders(OrdersLoaders).order_by_id.load(parse_int_id(id, "order id"))
        return Order.from_row(row) if row else None
