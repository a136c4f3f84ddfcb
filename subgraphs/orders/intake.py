"""Orders from source systems: ``ingestOrders`` (an order with its lines, new or changed) and status updates, each
idempotent per (system, external order id). Lifetime value and order counts are read from the orders, so they
follow at once.

An order received again with the same content changes nothing; with other content it is replaced (the source
system owns it). A status update moves an order forward only: a status it has already passed is stale and changes
nothing, and a cancelled or refunded order stays so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum

import asyncpg
import orjson

from core.errors import BadUserInput, Restricted
from core.postgres import Database
from subgraphs.orders import events
from subgraphs.orders.repository import ORDER_COLUMNS

MAX_BATCH = 200
MAX_ITEMS = 200
MAX_TEXT = 200
CENT = Decimal("0.01")
AMOUNT_LIMIT = Decimal("9999999999.99")
STEPS = ("pending", "paid", "shipped", "delivered")
NEXT: dict[str, tuple[str, ...]] = {
    "pending": ("paid", "shipped", "delivered", "cancelled"),
    "paid": ("shipped", "delivered", "cancelled", "refunded"),
    "shipped": ("delivered", "refunded"),
    "delivered": ("refunded",),
    "cancelled": (),
    "refunded": (),
}
"""The statuses an order may move to: forward along the steps (a source may skip one), or out."""


class Outcome(Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Line:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class ReceivedOrder:
    system: str
    external_id: str
    customer_id: str
    channel: str
    store_code: str | None
    status: str
    currency: str
    placed_at: datetime
    lines: tuple[Line, ...]
    discount: Decimal = Decimal("0")
    shipping: Decimal = Decimal("0")
    business_unit: str = "ecommerce"

    @property
    def subtotal(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0")).quantize(CENT)

    @property
    def total(self) -> Decimal:
        return (self.subtotal - self.discount + self.shipping).quantize(CENT)

    def fingerprint(self) -> str:
        content = [
            self.customer_id, self.channel, self.store_code, self.status, self.currency, self.placed_at.isoformat(),
            [[ln.sku, ln.name, ln.quantity, str(ln.unit_price)] for ln in self.lines],
            str(self.discount), str(self.shipping), self.business_unit,
        ]  # fmt: skip
        return hashlib.sha256(orjson.dumps(content)).hexdigest()


def check(order: ReceivedOrder) -> None:
    """What a received order must be; a refusal names what is wrong (never a value)."""
    for what, value in (("system", order.system), ("externalId", order.external_id)):
        if not value.strip() or len(value) > MAX_TEXT or "\x00" in value:
            raise BadUserInput(f"`{what}` must have 1 to {MAX_TEXT} characters")
    if len(order.currency) != 3 or not order.currency.isalpha() or not order.currency.isupper():
        raise BadUserInput("`currency` is an ISO 4217 code, e.g. CNY")
    if not 0 < len(order.lines) <= MAX_ITEMS:
        raise BadUserInput(f"An order has 1 to {MAX_ITEMS} lines")
    for line in order.lines:
        if line.quantity <= 0 or line.unit_price < 0 or not line.sku.strip() or not line.name.strip():
            raise BadUserInput("Every line needs a SKU, a name, a positive quantity and a price of 0 or more")
    for amount in (order.discount, order.shipping, *(line.unit_price for line in order.lines)):
        if amount != amount.quantize(CENT) or abs(amount) > AMOUNT_LIMIT:
            raise BadUserInput("Amounts have at most two decimals and at most ten digits before them")
    if order.discount < 0 or order.shipping < 0 or order.total < 0:
        raise BadUserInput("Discount and shipping are 0 or more, and the total may not be negative")


async def restricted_among(db: Database, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (system, external id) name orders kept only for accounting after an erasure (never replaced)."""
    if not keys:
        return set()
    rows = await db.fetch(
        "SELECT o.source_system, o.external_id FROM orders.orders o"
        " JOIN unnest($1::text[], $2::text[]) AS k(s, e) ON o.source_system = k.s AND o.external_id = k.e"
        " WHERE o.restricted",
        [s for s, _ in keys],
        [e for _, e in keys],
    )
    return {(r["source_system"], r["external_id"]) for r in rows}


def refuse_restricted(system: str, external_id: str) -> Restricted:
    return Restricted(
        f"Order {external_id!r} of {system!r} is kept only for accounting after an erasure: it cannot be replaced "
        "(its status still moves)"
    )


@dataclass(frozen=True)
class Received:
    order: int
    outcome: Outcome
    row: asyncpg.Record | None = field(default=None, compare=False)


async def ingest(db: Database, orders: Sequence[ReceivedOrder], now: datetime) -> list[Received]:
    """Every order of the batch, created, replaced or left as it was, in one transaction (results in order)."""
    results = []
    async with db.transaction() as conn:
        for order in orders:
            digest = order.fingerprint()
            row = await conn.fetchrow(
                """
                INSERT INTO orders.orders AS o (customer_id, channel, store_code, status, currency, subtotal, discount,
                    shipping, total, placed_at, business_unit, source_system, external_id, fingerprint, updated_at)
                VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                ON CONFLICT (source_system, external_id) WHERE source_system IS NOT NULL DO UPDATE SET
                    customer_id = EXCLUDED.customer_id, channel = EXCLUDED.channel, store_code = EXCLUDED.store_code,
                    status = EXCLUDED.status, currency = EXCLUDED.currency, subtotal = EXCLUDED.subtotal,
                    discount = EXCLUDED.discount, shipping = EXCLUDED.shipping, total = EXCLUDED.total,
                    placed_at = EXCLUDED.placed_at, business_unit = EXCLUDED.business_unit,
                    fingerprint = EXCLUDED.fingerprint, updated_at = EXCLUDED.updated_at
                WHERE o.fingerprint IS DISTINCT FROM EXCLUDED.fingerprint AND NOT o.restricted
                """
                + f" RETURNING (xmax = 0) AS inserted, {ORDER_COLUMNS}",
                order.customer_id, order.channel, order.store_code, order.status, order.currency, order.subtotal,
                order.discount, order.shipping, order.total, order.placed_at, order.business_unit, order.system,
                order.external_id, digest, now,
            )  # fmt: skip
            if row is None:  # the same content again, or an order kept only for accounting
                found = await conn.fetchrow(
                    "SELECT id, restricted FROM orders.orders WHERE source_system = $1 AND external_id = $2",
                    order.system,
                    order.external_id,
                )
                assert found is not None
                if found["restricted"]:  # restricted since the caller checked (``restricted_among``)
                    raise refuse_restricted(order.system, order.external_id)
                results.append(Received(found["id"], Outcome.UNCHANGED))
                continue
            if not row["inserted"]:
                await conn.execute("DELETE FROM orders.order_items WHERE order_id = $1", row["id"])
            await conn.executemany(
                "INSERT INTO orders.order_items (order_id, sku, name, quantity, unit_price) VALUES ($1, $2, $3, $4, $5)",
                [(row["id"], ln.sku, ln.name, ln.quantity, ln.unit_price) for ln in order.lines],
            )
            outcome = Outcome.CREATED if row["inserted"] else Outcome.UPDATED
            await events.record(
                conn, row, events.INGESTED, now, {"outcome": outcome.value, "status": order.status}
            )
            results.append(Received(row["id"], outcome, row))
    return results


class InvalidOrderTransition(BadUserInput):
    code = "INVALID_TRANSITION"


@dataclass(frozen=True)
class StatusChange:
    order: int
    changed: bool
    previous: str
    row: asyncpg.Record | None = field(default=None, compare=False)


async def update_status(
    db: Database, system: str, external_id: str, status: str, now: datetime, units: frozenset[str] | None
) -> StatusChange | None:
    """Move a source system's order to ``status``; ``None`` when it has no such order (or one out of ``units``).
    The same status again, or one it has passed, changes nothing."""
    async with db.transaction() as conn:
        current = await conn.fetchrow(
            f"SELECT {ORDER_COLUMNS} FROM orders.orders o WHERE o.source_system = $1 AND o.external_id = $2"
            " FOR UPDATE",
            system,
            external_id,
        )
        if current is None or (units is not None and current["business_unit"] not in units):
            return None
        before = current["status"]
        if status == before or _passed(before, status):
            return StatusChange(current["id"], False, before)
        if status not in NEXT[before]:
            allowed = [s.upper() for s in NEXT[before]]
            raise InvalidOrderTransition(
                f"A {before.upper()} order cannot move to {status.upper()}; it can move to: "
                f"{', '.join(allowed) or 'none: it is final'}",
                **{"from": before.upper(), "to": status.upper(), "allowed": allowed},
            )
        row = await conn.fetchrow(
            f"UPDATE orders.orders o SET status = $2, updated_at = $3 WHERE o.id = $1 RETURNING {ORDER_COLUMNS}",
            current["id"],
            status,
            now,
        )
        assert row is not None
        await events.record(conn, row, events.STATUS_CHANGED, now, {"from": before, "to": status})
    return StatusChange(row["id"], True, before, row)


def _passed(current: str, wanted: str) -> bool:
    """Whether ``wanted`` is a step the order is already beyond (an update that arrived late)."""
    if wanted not in STEPS:
        return False
    if current in STEPS:
        return STEPS.index(wanted) < STEPS.index(current)
    return True  # cancelled or refunded: every step is behind it
