"""GraphQL types of the orders subgraph and the order fields it adds to ``Customer``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry

from subgraphs.kit.classes import classified, classify
from subgraphs.kit.context import Info
from subgraphs.kit.entities import AccountRef, CustomerRef, from_row
from subgraphs.kit.owners import owner_of, owners_of
from subgraphs.kit.pagination import (
    AFTER_DESCRIPTION,
    Connection,
    build_connection,
    check_first,
    decode_time_cursor,
    encode_cursor,
    first_description,
)
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

    @strawberry.field(description="The order's lines.")
    async def items(self, info: Info) -> list[OrderItem]:
        rows = await info.context.loaders(OrdersLoaders).items_by_order.load(int(self.id))
        return [
            OrderItem(
                id=r["id"], sku=r["sku"], name=r["name"], quantity=r["quantity"], unit_price=r["unit_price"]
            )
            for r in rows
        ]

    @strawberry.field(description="The customer who placed the order.")
    async def customer(self, info: Info) -> CustomerRef | None:
        return await info.context.customer(self.customer_id)


@classified("public")
@strawberry.type(name="OrdersCustomerFields")
class OrderCustomerFields:
    id: strawberry.ID

    @strawberry.field(description="The customer's orders, newest first.")
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
        check_first(first, info.context.settings.max_page_size)
        after_key = decode_time_cursor(after) if after else None
        page = OrderPage(first + 1, after_key, tuple(s.value for s in status) if status else None, since)
        owner = await owner_of(info.context, self)
        rows = await info.context.loaders(OrdersLoaders).orders_by_customer.load((owner, page))
        return build_connection(
            rows,
            first,
            after is not None,
            Order.from_row,
            lambda row: encode_cursor(row["placed_at"].isoformat(), row["id"]),
        )

    @strawberry.field(
        metadata=classify("financial"),
        description="Sum of order totals, excluding cancelled and refunded orders.",
    )
    async def lifetime_value(self, info: Info) -> Decimal | None:
        stats = await info.context.loaders(OrdersLoaders).stats_by_customer.load(
            await owner_of(info.context, self)
        )
        return stats["lifetime_value"] if stats else Decimal("0.00")

    @strawberry.field(description="Number of orders the customer placed, in any status.")
    async def order_count(self, info: Info) -> int | None:
        stats = await info.context.loaders(OrdersLoaders).stats_by_customer.load(
            await owner_of(info.context, self)
        )
        return stats["order_count"] if stats else 0

    @strawberry.field(description="When the customer's latest order was placed; null without orders.")
    async def last_order_at(self, info: Info) -> datetime | None:
        stats = await info.context.loaders(OrdersLoaders).stats_by_customer.load(
            await owner_of(info.context, self)
        )
        return stats["last_order_at"] if stats else None


ACCOUNT_LIFETIME_VALUE = "Lifetime value summed over every contact of this account and of the accounts below it (each customer once)."


async def _account_lifetime_value(account: AccountRef, info: Info) -> Decimal:
    customers = await owners_of(info.context, await info.context.rollup_customer_ids(account))
    stats = await info.context.loaders(OrdersLoaders).stats_by_customer.load_many(customers)
    return sum((s["lifetime_value"] for s in stats if s is not None), Decimal("0.00"))


@classified("financial")
@strawberry.type(name="OrdersAccountFields")
class OrderAccountFields:
    @strawberry.field(description=ACCOUNT_LIFETIME_VALUE)
    async def lifetime_value(self, info: Info) -> Decimal | None:
        return await _account_lifetime_value(self, info)  # type: ignore[arg-type]


@classified("financial")
@strawberry.type(name="OrdersAccountKeyFields")
class OrderAccountFederatedFields:
    rollup_customer_ids: list[strawberry.ID] = strawberry.federation.field(
        metadata=classify("public"),
        external=True,
        description="Customers the roll-up sums over, supplied by the relationships subgraph.",
    )

    @strawberry.federation.field(requires=["rollupCustomerIds"], description=ACCOUNT_LIFETIME_VALUE)
    async def lifetime_value(self, info: Info) -> Decimal | None:
        return await _account_lifetime_value(self, info)  # type: ignore[arg-type]
