"""Root fields of the orders subgraph."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.ids import parse_int_id
from subgraphs.kit.context import Info
from subgraphs.kit.pagination import AFTER_DESCRIPTION, check_first, first_description, page_of, sort_of
from subgraphs.orders import queue
from subgraphs.orders.loaders import OrdersLoaders
from subgraphs.orders.queue import OrderQueue
from subgraphs.orders.queue_types import OrderConnection, OrderFilter, OrderOrder, OrderSortField
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

    @strawberry.field(
        description="Orders across customers, filtered, sorted and paged by cursor (newest first)."
    )
    async def orders(
        self,
        info: Info,
        filter: Annotated[
            OrderFilter | None, strawberry.argument(description="Conditions; every order when omitted.")
        ] = None,
        order_by: Annotated[
            OrderOrder | None, strawberry.argument(description="The order; newest first when omitted.")
        ] = None,
        first: Annotated[int, strawberry.argument(description=first_description("orders", 20))] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> OrderConnection:
        context = info.context
        check_first(first, context.settings.max_page_size)
        given = filter or OrderFilter()
        criteria = OrderQueue(
            statuses=tuple(s.value for s in given.status or ()),
            channels=tuple(c.value for c in given.channel or ()),
            business_units=tuple(given.business_unit or ()),
            placed_after=given.placed_after,
            placed_before=given.placed_before,
            rows=await context.scope.visible(),
        )
        order = order_by or OrderOrder()
        sort = sort_of(queue.SORTS, (order.field or OrderSortField.PLACED_AT).value, order.direction)
        rows = await queue.page(context.sources.postgres.db("orders"), criteria, sort, first + 1, after)
        orders = context.loaders(OrdersLoaders).order_by_id
        for row in rows:
            orders.prime(row["id"], row)
        edges, page_info = page_of(rows, first, after is not None, Order.from_row, sort.cursor)
        return OrderConnection(edges=edges, page_info=page_info, criteria=criteria)
