"""GraphQL types of the orders subgraph and the order fields it adds to ``Customer``."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry

from subgraphs.kit.batch import Columns, batch, batched, customer_edge, keyed, load
from subgraphs.kit.classes import classified, classify
from subgraphs.kit.compiled import rows_of, sql_form
from subgraphs.kit.context import Info, RequestContext
from subgraphs.kit.entities import AccountRef, CustomerRef, from_row
from subgraphs.kit.owners import owners_of, owners_of_customers
from subgraphs.kit.pagination import (
    AFTER_DESCRIPTION,
    Connection,
    build_connection,
    check_first,
    decode_time_cursor,
    encode_cursor,
    first_description,
)
from subgraphs.orders import compiled
from subgraphs.orders.loaders import OrdersLoaders
from subgraphs.orders.repository import OrderPage


@strawberry.enum(description="Where an order was placed.")
class SalesChannel(Enum):
    _value_: str

    ONLINE = strawberry.enum_value("online", description="Online shop.")
    STORE = strawberry.enum_value("store", description="A physical store; `storeCode` names it.")
    WECHAT_MINI_PROGRAM = strawberry.enum_value("wechat_mini_program", description="WeChat mini program.")
    APP = strawberry.enum_value("app", description="Mobile app.")


@strawberry.enum(description="Fulfilment status of an order.")
class OrderStatus(Enum):
    _value_: str

    PENDING = strawberry.enum_value("pending", description="Placed, not paid yet.")
    PAID = strawberry.enum_value("paid", description="Paid, not shipped yet.")
    SHIPPED = strawberry.enum_value("shipped", description="Shipped, not delivered yet.")
    DELIVERED = strawberry.enum_value("delivered", description="Delivered to the customer.")
    CANCELLED = strawberry.enum_value("cancelled", description="Cancelled; not counted in lifetime value.")
    REFUNDED = strawberry.enum_value("refunded", description="Refunded; not counted in lifetime value.")


@rows_of("orders.order_items", "orders", None)
@classified("public")
@strawberry.type(description="One line of an order.")
class OrderItem:
    id: strawberry.ID = strawberry.field(description="Line id.")
    sku: str = strawberry.field(description="Stock-keeping unit of the product.")
    name: str = strawberry.field(description="Product name at the time of the order.")
    quantity: int = strawberry.field(description="Units ordered.")
    unit_price: Decimal = strawberry.field(
        metadata=classify("financial"), description="Price of one unit, in the order's currency."
    )

    @strawberry.field(metadata=classify("financial"), description="quantity × unitPrice.")
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


def _items(rows: list[Any], _: Any) -> list[OrderItem]:
    return [
        OrderItem(
            id=r["id"], sku=r["sku"], name=r["name"], quantity=r["quantity"], unit_price=r["unit_price"]
        )
        for r in rows
    ]


ITEMS = keyed("orders.items", lambda c: c.loaders(OrdersLoaders).items_by_order, lambda o: int(o.id), _items)
CUSTOMER = customer_edge("orders.customer", "customer_id")


@rows_of("orders.orders", "orders", "customer_id")
@classified("public")
@strawberry.type(description="An order from any sales channel.")
class Order:
    id: strawberry.ID = strawberry.field(description="Order id.")
    channel: SalesChannel = strawberry.field(description="Sales channel the order came through.")
    store_code: str | None = strawberry.field(description="Store that took the order, for store orders.")
    status: OrderStatus = strawberry.field(description="Fulfilment status.")
    currency: str = strawberry.field(description="ISO 4217 currency of every amount of the order.")
    subtotal: Decimal = strawberry.field(
        metadata=classify("financial"), description="Sum of the lines before discount and shipping."
    )
    discount: Decimal = strawberry.field(
        metadata=classify("financial"), description="Discount applied to the order."
    )
    shipping: Decimal = strawberry.field(metadata=classify("financial"), description="Shipping fee.")
    total: Decimal = strawberry.field(
        metadata=classify("financial"), description="Amount charged: subtotal − discount + shipping."
    )
    placed_at: datetime = strawberry.field(description="When the order was placed.")
    business_unit: str = strawberry.field(
        description="Business unit the order belongs to, e.g. `retail`, `ecommerce` or `service`."
    )
    source_system: str | None = strawberry.field(
        metadata=classify("internal"),
        description="The source system that sent the order (`ingestOrders`), if one did.",
    )
    external_id: str | None = strawberry.field(
        metadata=classify("internal"), description="The order's id in that system."
    )
    updated_at: datetime | None = strawberry.field(description="When a source system last changed the order.")
    restricted: bool = strawberry.field(
        description=(
            "Kept only for accounting after its customer's erasure: it belongs to no customer any more (`customer` "
            "is null) and only the roles the access policy names see it."
        )
    )
    customer_id: strawberry.Private[str]

    @staticmethod
    def from_row(row: Any) -> Order:
        return from_row(Order, row)

    @strawberry.field(
        description="The order's lines.", metadata=batched(ITEMS, **sql_form(compiled.order_items))
    )
    async def items(self, info: Info) -> list[OrderItem]:
        return await load(info, ITEMS, self)

    @strawberry.field(description="The customer who placed the order.", metadata=batched(CUSTOMER))
    async def customer(self, info: Info) -> CustomerRef | None:
        return await load(info, CUSTOMER, self)


def _order_cursor(row: Any) -> str:
    return encode_cursor(row["placed_at"].isoformat(), row["id"])


@batch
async def _orders(
    parents: Sequence[Any],
    context: RequestContext,
    columns: Columns,
    first: int = 20,
    after: str | None = None,
    status: list[OrderStatus] | None = None,
    since: datetime | None = None,
) -> list[Connection[Order]]:
    """``Customer.orders``: one page per customer, under every id merged into it."""
    check_first(first, context.settings.max_page_size)
    after_key = decode_time_cursor(after) if after else None
    page = OrderPage(first + 1, after_key, tuple(s.value for s in status) if status else None, since)
    owners = await owners_of_customers(context, parents)
    pages = await context.loaders(OrdersLoaders).orders_by_customer.load_many(
        [(owner, page) for owner in owners]
    )
    return [build_connection(rows, first, after is not None, Order.from_row, _order_cursor) for rows in pages]


async def _stats(context: RequestContext, parents: Sequence[Any]) -> list[Any]:
    owners = await owners_of_customers(context, parents)
    stats: list[Any] = await context.loaders(OrdersLoaders).stats_by_customer.load_many(owners)
    return stats


@batch
async def _lifetime_value(parents: Sequence[Any], context: RequestContext, columns: Columns) -> list[Decimal]:
    return [s["lifetime_value"] if s else Decimal("0.00") for s in await _stats(context, parents)]


@batch
async def _order_count(parents: Sequence[Any], context: RequestContext, columns: Columns) -> list[int]:
    return [s["order_count"] if s else 0 for s in await _stats(context, parents)]


@batch
async def _last_order_at(
    parents: Sequence[Any], context: RequestContext, columns: Columns
) -> list[datetime | None]:
    return [s["last_order_at"] if s else None for s in await _stats(context, parents)]


@classified("public")
@strawberry.type(name="OrdersCustomerFields")
class OrderCustomerFields:
    id: strawberry.ID

    @strawberry.field(
        description="The customer's orders, newest first.",
        metadata=batched(_orders, **sql_form(compiled.customer_orders)),
    )
    async def orders(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=first_description("orders", 20))] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
        status: Annotated[
            list[OrderStatus] | None,
            strawberry.argument(
                description="Only orders in one of these statuses; every status when omitted or empty."
            ),
        ] = None,
        since: Annotated[
            datetime | None,
            strawberry.argument(
                description="Only orders placed at or after this time; all orders when omitted."
            ),
        ] = None,
    ) -> Connection[Order] | None:
        return await load(info, _orders, self, first=first, after=after, status=status, since=since)

    @strawberry.field(
        metadata=batched(_lifetime_value, **classify("financial"), **sql_form(compiled.LIFETIME_VALUE)),
        description="Sum of order totals, excluding cancelled and refunded orders.",
    )
    async def lifetime_value(self, info: Info) -> Decimal | None:
        return await load(info, _lifetime_value, self)

    @strawberry.field(
        description="Number of orders the customer placed, in any status.",
        metadata=batched(_order_count, **sql_form(compiled.ORDER_COUNT)),
    )
    async def order_count(self, info: Info) -> int | None:
        return await load(info, _order_count, self)

    @strawberry.field(
        description="When the customer's latest order was placed; null without orders.",
        metadata=batched(_last_order_at, **sql_form(compiled.LAST_ORDER_AT)),
    )
    async def last_order_at(self, info: Info) -> datetime | None:
        return await load(info, _last_order_at, self)


ACCOUNT_LIFETIME_VALUE = "Lifetime value summed over every contact of this account and of the accounts below it (each customer once)."


@batch
async def _account_lifetime_value(
    parents: Sequence[Any], context: RequestContext, columns: Columns
) -> list[Decimal]:
    """An account's roll-up: the lifetime value of every contact of it and of the accounts below it."""

    async def one(account: AccountRef) -> Decimal:
        customers = await owners_of(context, await context.rollup_customer_ids(account))
        stats = await context.loaders(OrdersLoaders).stats_by_customer.load_many(customers)
        return sum((s["lifetime_value"] for s in stats if s is not None), Decimal("0.00"))

    return list(await asyncio.gather(*(one(account) for account in parents)))


@classified("financial")
@strawberry.type(name="OrdersAccountFields")
class OrderAccountFields:
    @strawberry.field(description=ACCOUNT_LIFETIME_VALUE, metadata=batched(_account_lifetime_value))
    async def lifetime_value(self, info: Info) -> Decimal | None:
        return await load(info, _account_lifetime_value, self)


@classified("financial")
@strawberry.type(name="OrdersAccountKeyFields")
class OrderAccountFederatedFields:
    rollup_customer_ids: list[strawberry.ID] = strawberry.federation.field(
        metadata=classify("public"),
        external=True,
        description="Customers the roll-up sums over, supplied by the relationships subgraph.",
    )

    @strawberry.federation.field(
        requires=["rollupCustomerIds"],
        description=ACCOUNT_LIFETIME_VALUE,
        metadata=batched(_account_lifetime_value),
    )
    async def lifetime_value(self, info: Info) -> Decimal | None:
        return await load(info, _account_lifetime_value, self)
