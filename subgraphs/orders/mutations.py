"""Mutations of the orders subgraph: orders and their status changes from source systems (``intake.py``)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry

from core.errors import BadUserInput, ClientError, Forbidden, NotFound
from subgraphs.kit.classes import classified
from subgraphs.kit.context import Info
from subgraphs.kit.lookup import CustomerLookup
from subgraphs.orders import intake
from subgraphs.orders.intake import MAX_BATCH, Line, ReceivedOrder
from subgraphs.orders.loaders import OrdersLoaders
from subgraphs.orders.types import Order, OrderStatus, SalesChannel


@strawberry.input(description="One line of a received order.")
class OrderLineInput:
    sku: str = strawberry.field(description="Stock-keeping unit of the product.")
    name: str = strawberry.field(description="Product name at the time of the order.")
    quantity: int = strawberry.field(description="Units ordered (at least 1).")
    unit_price: Decimal = strawberry.field(description="Price of one unit, in the order's currency.")


@strawberry.input(description="An order as its source system knows it; (system, externalId) names it.")
class IngestOrderInput:
    system: str = strawberry.field(description="The source system, e.g. `ecommerce` or `pos`.")
    external_id: str = strawberry.field(description="The order's id in that system.")
    customer: CustomerLookup = strawberry.field(description="Who placed it: by id or by any identifier.")
    channel: SalesChannel = strawberry.field(description="Where it was placed.")
    placed_at: datetime = strawberry.field(description="When it was placed.")
    items: list[OrderLineInput] = strawberry.field(description="Its lines (1 to 200).")
    status: OrderStatus | None = strawberry.field(
        default=None, description="Its status; PENDING when omitted."
    )
    store_code: str | None = strawberry.field(default=None, description="The store, for store orders.")
    currency: str = strawberry.field(default="CNY", description="ISO 4217 currency of every amount.")
    discount: Decimal | None = strawberry.field(
        default=None, description="Discount on the order; 0 when omitted."
    )
    shipping: Decimal | None = strawberry.field(default=None, description="Shipping fee; 0 when omitted.")
    business_unit: str = strawberry.field(
        default="ecommerce", description="Business unit the order belongs to."
    )

    def received(self, customer_id: str) -> ReceivedOrder:
        return ReceivedOrder(
            system=self.system.strip(),
            external_id=self.external_id.strip(),
            customer_id=customer_id,
            channel=self.channel.value,
            store_code=self.store_code,
            status=(self.status or OrderStatus.PENDING).value,
            currency=self.currency,
            placed_at=self.placed_at,
            lines=tuple(Line(i.sku, i.name, i.quantity, i.unit_price) for i in self.items),
            discount=self.discount or Decimal("0"),
            shipping=self.shipping or Decimal("0"),
            business_unit=self.business_unit,
        )


@strawberry.enum(description="What ingesting an order did.")
class OrderIntakeOutcome(Enum):
    _value_: str

    CREATED = strawberry.enum_value("created", description="A new order.")
    UPDATED = strawberry.enum_value("updated", description="A known order whose content changed: replaced.")
    UNCHANGED = strawberry.enum_value("unchanged", description="A known order received again as it was.")
    REJECTED = strawberry.enum_value("rejected", description="Refused (see `error`); nothing stored.")


@classified("public")
@strawberry.type(description="Why an order was refused.")
class OrderIntakeError:
    code: str = strawberry.field(description="The error code, e.g. `NOT_FOUND` for an unknown customer.")
    message: str = strawberry.field(description="What is wrong.")


@classified("public")
@strawberry.type(description="One received order's result, in the order sent.")
class IngestOrderResult:
    system: str = strawberry.field(description="The source system.")
    external_id: str = strawberry.field(description="Its id there, as sent.")
    outcome: OrderIntakeOutcome = strawberry.field(description="What happened.")
    order: Order | None = strawberry.field(description="The order as stored; null when rejected.")
    error: OrderIntakeError | None = strawberry.field(description="Why it was rejected, if it was.")


@classified("public")
@strawberry.type(description="What `ingestOrders` did, per order.")
class IngestOrdersPayload:
    results: list[IngestOrderResult] = strawberry.field(description="One per order, in the order sent.")


@strawberry.input(description="A status change an order's source system reports.")
class UpdateOrderStatusInput:
    system: str = strawberry.field(description="The source system.")
    external_id: str = strawberry.field(description="The order's id in that system.")
    status: OrderStatus = strawberry.field(description="Its new status.")


@classified("public")
@strawberry.type(description="What `updateOrderStatus` did.")
class UpdateOrderStatusPayload:
    order: Order | None = strawberry.field(description="The order as it is now.")
    changed: bool = strawberry.field(
        description="False when the order already had this status, or had passed it (a late update): nothing changed."
    )
    previous_status: OrderStatus = strawberry.field(description="Its status before.")


def _error(exc: ClientError) -> OrderIntakeError:
    return OrderIntakeError(code=str(exc.extensions.get("code")), message=str(exc))


@strawberry.type(name="OrdersMutation")
class OrdersMutation:
    @strawberry.mutation(
        description=(
            "Receive up to 200 orders from a source system, each with its lines, its customer found by any "
            "identifier. An order is named by (system, externalId): sent again with the same content it changes "
            "nothing, with other content it is replaced. Lifetime value and order counts follow at once. A refused "
            "order is reported and skipped; the rest of the batch is stored."
        )
    )
    async def ingest_orders(
        self,
        info: Info,
        orders: Annotated[
            list[IngestOrderInput],
            strawberry.argument(description="The orders, at most 200 (a longer list is refused)."),
        ],
    ) -> IngestOrdersPayload:
        context = info.context
        if len(orders) > MAX_BATCH:
            raise BadUserInput(f"At most {MAX_BATCH} orders per call, got {len(orders)}")
        rows = await context.scope.visible()
        found = await asyncio.gather(
            *(context.find_customer(o.customer) for o in orders), return_exceptions=True
        )
        accepted: list[tuple[int, ReceivedOrder]] = []
        errors: dict[int, ClientError] = {}
        seen: set[tuple[str, str]] = set()
        db = context.sources.postgres.db("orders")
        restricted = await intake.restricted_among(db, [(o.system, o.external_id) for o in orders])
        for n, (given, customer) in enumerate(zip(orders, found, strict=True)):
            try:
                if (given.system, given.external_id) in restricted:
                    raise intake.refuse_restricted(given.system, given.external_id)
                if isinstance(customer, BaseException):
                    raise customer
                order = given.received(customer)
                intake.check(order)
                if rows.business_units is not None and order.business_unit not in rows.business_units:
                    raise Forbidden(f"You may not write in business unit {order.business_unit!r}")
                if (order.system, order.external_id) in seen:
                    raise BadUserInput("The same order is twice in the batch")
                seen.add((order.system, order.external_id))
                accepted.append((n, order))
            except ClientError as exc:
                errors[n] = exc
        done = await intake.ingest(db, [o for _, o in accepted], context.now())
        by_position = {n: result for (n, _), result in zip(accepted, done, strict=True)}
        loader = context.loaders(OrdersLoaders).order_by_id
        for result in done:
            if result.row is not None:
                loader.clear(result.order).prime(result.order, result.row)
        context.audit.changed(info.path, sorted({r.row["customer_id"] for r in done if r.row is not None}))
        stored = await loader.load_many([r.order for r in done])
        rows_by_id = {r.order: row for r, row in zip(done, stored, strict=True)}
        results = []
        for n, given in enumerate(orders):
            if n in errors:
                results.append(
                    IngestOrderResult(
                        system=given.system,
                        external_id=given.external_id,
                        outcome=OrderIntakeOutcome.REJECTED,
                        order=None,
                        error=_error(errors[n]),
                    )
                )
                continue
            result = by_position[n]
            row = rows_by_id.get(result.order)
            results.append(
                IngestOrderResult(
                    system=given.system,
                    external_id=given.external_id,
                    outcome=OrderIntakeOutcome(result.outcome.value),
                    order=Order.from_row(row) if row is not None else None,
                    error=None,
                )
            )
        return IngestOrdersPayload(results=results)

    @strawberry.mutation(
        description=(
            "A source system's status change of one of its orders (paid, shipped, delivered, cancelled, refunded). "
            "Orders move forward only: the same status again, or one the order has passed (a late update), changes "
            "nothing; a move the order cannot make (out of CANCELLED, say) answers `INVALID_TRANSITION`."
        )
    )
    async def update_order_status(
        self,
        info: Info,
        input: Annotated[UpdateOrderStatusInput, strawberry.argument(description="The change.")],
    ) -> UpdateOrderStatusPayload:
        context = info.context
        rows = await context.scope.visible()
        change = await intake.update_status(
            context.sources.postgres.db("orders"),
            input.system.strip(),
            input.external_id.strip(),
            input.status.value,
            context.now(),
            rows.business_units,
        )
        if change is None:
            raise NotFound("order of that system", input.external_id)
        loader = context.loaders(OrdersLoaders).order_by_id
        if change.row is not None:
            loader.clear(change.order).prime(change.order, change.row)
            context.audit.changed(info.path, (change.row["customer_id"],))
        row = await loader.load(change.order)
        return UpdateOrderStatusPayload(
            order=Order.from_row(row) if row is not None else None,
            changed=change.changed,
            previous_status=OrderStatus(change.previous),
        )
