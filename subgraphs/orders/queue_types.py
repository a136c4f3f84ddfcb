"""GraphQL side of the root orders list: the filter, the order and the connection of ``Query.orders``."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from subgraphs.kit.batch import batched, each, load
from subgraphs.kit.classes import classified
from subgraphs.kit.context import Info
from subgraphs.kit.pagination import Connection, Direction
from subgraphs.orders import queue
from subgraphs.orders.queue import OrderQueue
from subgraphs.orders.types import Order, OrderStatus, SalesChannel


@strawberry.input(description="Conditions an order must all meet; every order when omitted.")
class OrderFilter:
    status: list[OrderStatus] | None = strawberry.field(default=None, description="In one of these statuses.")
    channel: list[SalesChannel] | None = strawberry.field(
        default=None, description="From one of these channels."
    )
    business_unit: list[str] | None = strawberry.field(
        default=None, description="Of one of these business units."
    )
    placed_after: datetime | None = strawberry.field(
        default=None, description="Placed at or after this time."
    )
    placed_before: datetime | None = strawberry.field(default=None, description="Placed before this time.")


@strawberry.enum(description="What the root orders list is sorted by.")
class OrderSortField(Enum):
    _value_: str

    PLACED_AT = strawberry.enum_value("PLACED_AT", description="When placed; newest first by default.")
    TOTAL = strawberry.enum_value("TOTAL", description="Amount charged; largest first by default.")


@strawberry.input(description="How the orders list is sorted: a field, then the order id, in one direction.")
class OrderOrder:
    field: OrderSortField | None = strawberry.field(
        default=None, description="What to sort by; PLACED_AT when omitted."
    )
    direction: Direction | None = strawberry.field(
        default=None, description="Which way; the field's own default when omitted."
    )


TOTAL_COUNT = each(
    "orders.queue.total_count",
    lambda connection, context: queue.count(context.sources.postgres.db("orders"), connection.criteria),
)


@classified("public")
@strawberry.type(
    name="OrderListConnection", description="A page of orders across customers (`Query.orders`)."
)
class OrderConnection(Connection[Order]):
    criteria: strawberry.Private[OrderQueue]

    @strawberry.field(
        description="Number of orders matching the filter, across all pages.", metadata=batched(TOTAL_COUNT)
    )
    async def total_count(self, info: Info) -> int:
        return await load(info, TOTAL_COUNT, self)
