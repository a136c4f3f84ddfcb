"""Generates the demo data set in chunks of customers; the same seed and size give the same data, byte for byte."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from c360.seed import catalogue as cat
from c360.seed.relationships import RelationshipGenerator
from graph_store.identifiers import IdentifierType, normalize
from graph_store.relationships.bulk import RelationshipBatch

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
"""The moment the data set describes, so that a seed is reproducible on any day."""
CENT = Decimal("0.01")


@dataclass
class Chunk:
    customers: list[tuple[Any, ...]] = field(default_factory=list)
    orders: list[tuple[Any, ...]] = field(default_factory=list)
    order_items: list[tuple[Any, ...]] = field(default_factory=list)
    tickets: list[tuple[Any, ...]] = field(default_factory=list)
    ticket_comments: list[tuple[Any, ...]] = field(default_factory=list)
    interactions: list[tuple[Any, ...]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    relationships: RelationshipBatch = field(default_factory=RelationshipBatch)


CUSTOMER_COLUMNS = (
    "id",
    "given_name",
    "family_name",
    "full_name",
    "gender",
    "birth_date",
    "city",
    "region",
    "country_code",
    "loyalty_tier",
    "loyalty_points",
    "status",
    "created_at",
    "updated_at",
)
ORDER_COLUMNS = (
    "id",
    "customer_id",
    "channel",
    "store_code",
    "status",
    "currency",
    "subtotal",
    "discount",
    "shipping",
    "total",
    "placed_at",
    "business_unit",
)
ORDER_ITEM_COLUMNS = ("id", "order_id", "sku", "name", "quantity", "unit_price")
TICKET_COLUMNS = (
    "id",
    "customer_id",
    "subject",
    "description",
    "status",
    "priority",
    "channel",
    "assignee",
    "created_at",
    "updated_at",
    "resolved_at",
    "sla_due_at",
    "business_unit",
)
TICKET_COMMENT_COLUMNS = ("id", "ticket_id", "author", "body", "internal", "created_at")
INTERACTION_COLUMNS = (
    "id",
    "customer_id",
    "kind",
    "channel",
    "occurred_at",
    "summary",
    "payload",
    "business_unit",
)

SLA_HOURS = {"urgent": 4, "high": 24, "normal": 72, "low": 168}


def messy_phone(rng: random.Random, digits: str) -> str:
    """One of the spellings real source systems send for a mainland mobile number."""
    a, b, c = digits[:3], digits[3:7], digits[7:]
    return rng.choice(
        [
            digits,
            f"+86 {a} {b} {c}",
            f"{a}-{b}-{c}",
            f"+86{digits}",
            f"(+86) {digits}",
            f"0086 {a} {b} {c}",
            f"{a} {b} {c}",
        ]
    )


@dataclass(frozen=True)
class Volumes:
    """Mean rows per customer. The demo keeps a small store; the benchmark asks for a busier one.

    ``tickets`` None keeps the demo's rule: one ticket plus one per ten orders, on average.
    """

    orders: float = 9
    tickets: float | None = None
    interactions: float = 18

    def cap(self, mean: float, floor: int) -> int:
        return max(floor, int(mean * 6))


DEMO = Volumes()
BENCH = Volumes(orders=20.5, tickets=10.5, interactions=50.5)


class Generator:
    def __init__(self, seed: int = 360, as_of: datetime = AS_OF, volumes: Volumes = DEMO) -> None:
        self.seed = seed
        self.volumes = volumes
        self.rng = random.Random(seed)
        # Business units draw from a stream of their own, so adding them left every other value of a seed as it was.
        self.units = random.Random(seed * 1_000_033 + 17)
        self.as_of = as_of
        self.ids = {"order": 0, "item": 0, "ticket": 0, "comment": 0, "interaction": 0}
        self.phones: set[str] = set()

    def _next(self, kind: str) -> int:
        self.ids[kind] += 1
        return self.ids[kind]

    def _unit(self, retail: int, ecommerce: int, service: int) -> str:
        """A business unit drawn with these weights (``catalogue.BUSINESS_UNITS`` order)."""
        return self.units.choices(cat.BUSINESS_UNITS, [retail, ecommerce, service])[0]

    def _when(self, days_back: float, not_before: datetime | None = None) -> datetime:
        moment = self.as_of - timedelta(seconds=self.rng.uniform(0, days_back * 86400))
        return max(moment, not_before) if not_before else moment

    def chunks(self, customers: int, chunk_size: int = 2000) -> Iterator[Chunk]:
        done = 0
        while done < customers:
            chunk = Chunk()
            for _ in range(min(chunk_size, customers - done)):
                self._customer(chunk)
            related = RelationshipGenerator(self.seed, done // chunk_size, self.as_of)
            related.generate(chunk.customers)
            chunk.relationships = related.batch
            chunk.links.extend(related.links)
            done += chunk_size
            yield chunk

    def _customer(self, chunk: Chunk) -> None:
        rng = self.rng
        cid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        chinese = rng.random() < 0.7
        gender = rng.choices(["female", "male", "other", "unknown"], [48, 46, 2, 4])[0]
        if chinese:
            i = rng.randrange(len(cat.CHINESE_FAMILY))
            family, given = cat.CHINESE_FAMILY[i], rng.choice(cat.CHINESE_GIVEN)
            full, latin = f"{family}{given}", cat.CHINESE_FAMILY_PINYIN[i].lower()
        else:
            given = rng.choice(cat.WESTERN_GIVEN_F if gender == "female" else cat.WESTERN_GIVEN_M)
            family = rng.choice(cat.WESTERN_FAMILY)
            full, latin = f"{given} {family}", f"{given}.{family}".lower()
        city, region = rng.choice(cat.CITIES)
        created = self._when(3 * 365)
        birth = (
            date(rng.randint(1955, 2006), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.85
            else None
        )
        tier = rng.choices(["bronze", "silver", "gold", "platinum"], [55, 28, 13, 4])[0]
        status = rng.choices(["active", "inactive", "blocked"], [92, 7, 1])[0]
        chunk.customers.append(
            (
                uuid.UUID(cid),
                given,
                family,
                full,
                gender,
                birth,
                city,
                region,
                "CN",
                tier,
                rng.randint(0, 20000),
                status,
                created,
                self._when(300, created),
            )
        )
        self._identifiers(chunk, cid, latin, created)
        orders = self._orders(chunk, cid, created)
        self._tickets(chunk, cid, created, orders)
        self._interactions(chunk, cid, created)

    def _link(
        self,
        chunk: Chunk,
        cid: str,
        kind: IdentifierType,
        raw: str,
        source: str,
        since: datetime,
        app_id: str | None = None,
    ) -> None:
        ident = normalize(kind, raw, app_id=app_id)
        chunk.links.append(
            {
                "customer": cid,
                "type": kind.value,
                "value": ident.value,
                "key": ident.key,
                "raw": raw,
                "source": source,
                "observedAt": since,
            }
        )

    def _identifiers(self, chunk: Chunk, cid: str, latin: str, created: datetime) -> None:
        rng = self.rng
        for n in range(rng.choices([1, 2], [80, 20])[0]):
            while True:
                digits = rng.choice(cat.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
                if digits not in self.phones:
                    self.phones.add(digits)
                    break
            source = ["crm", "ecommerce", "pos"][n % 3]
            self._link(chunk, cid, IdentifierType.PHONE, messy_phone(rng, digits), source, created)
        if rng.random() < 0.8:
            email = f"{latin}{rng.randrange(10**6)}@{rng.choice(cat.EMAIL_DOMAINS)}"
            self._link(
                chunk,
                cid,
                IdentifierType.EMAIL,
                email if rng.random() < 0.7 else f" {email.upper()} ",
                "ecommerce",
                created,
            )
        if rng.random() < 0.6:
            self._link(
                chunk,
                cid,
                IdentifierType.WECHAT_UNIONID,
                f"o6_b{rng.getrandbits(96):024x}",
                "wechat",
                created,
            )
            if rng.random() < 0.8:
                self._link(
                    chunk,
                    cid,
                    IdentifierType.WECHAT_OPENID,
                    f"oX{rng.getrandbits(104):026x}",
                    "wechat",
                    created,
                    app_id=rng.choice(cat.WECHAT_APPS),
                )
        for _ in range(rng.choices([0, 1, 2], [40, 45, 15])[0]):
            self._link(
                chunk,
                cid,
                IdentifierType.DEVICE_ID,
                str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper(),
                "app",
                self._when(365, created),
            )
        self._link(chunk, cid, IdentifierType.CRM_ID, f"CRM{rng.randrange(10**9):09d}", "crm", created)
        if rng.random() < 0.7:
            self._link(
                chunk, cid, IdentifierType.ECOMMERCE_ID, f"EC-{rng.randrange(10**8)}", "ecommerce", created
            )
        if rng.random() < 0.4:
            self._link(chunk, cid, IdentifierType.POS_ID, f"POS{rng.randrange(10**7):07d}", "pos", created)

    def _orders(self, chunk: Chunk, cid: str, created: datetime) -> int:
        rng = self.rng
        mean = self.volumes.orders
        count = min(int(rng.expovariate(1 / mean)), self.volumes.cap(mean, 60))
        for _ in range(count):
            oid = self._next("order")
            placed = self._when((self.as_of - created).days + 1, created)
            channel = rng.choices(["online", "store", "wechat_mini_program", "app"], [40, 25, 25, 10])[0]
            subtotal = Decimal(0)
            for _ in range(rng.choices([1, 2, 3, 4], [50, 30, 15, 5])[0]):
                sku, name, price = rng.choice(cat.PRODUCTS)
                qty = rng.choices([1, 2, 3], [80, 15, 5])[0]
                chunk.order_items.append((self._next("item"), oid, sku, name, qty, Decimal(price)))
                subtotal += Decimal(price) * qty
            discount = (subtotal * Decimal(rng.choice([0, 0, 0, 5, 10, 15])) / 100).quantize(CENT)
            shipping = Decimal("0.00") if channel == "store" or subtotal >= 199 else Decimal("10.00")
            age = (self.as_of - placed).days
            status = (
                "pending"
                if age < 1
                else rng.choice(["paid", "shipped"])
                if age < 4
                else rng.choices(["delivered", "cancelled", "refunded"], [90, 6, 4])[0]
            )
            chunk.orders.append(
                (
                    oid,
                    uuid.UUID(cid),
                    channel,
                    rng.choice(cat.STORES) if channel == "store" else None,
                    status,
                    "CNY",
                    subtotal,
                    discount,
                    shipping,
                    subtotal - discount + shipping,
                    placed,
                    self._unit(80, 10, 10) if channel == "store" else self._unit(15, 75, 10),
                )
            )
        return count

    def _tickets(self, chunk: Chunk, cid: str, created: datetime, orders: int) -> None:
        rng = self.rng
        mean = self.volumes.tickets or 1.0 + orders / 10
        for _ in range(min(int(rng.expovariate(1 / mean)), self.volumes.cap(self.volumes.tickets or 0, 12))):
            tid = self._next("ticket")
            opened = self._when((self.as_of - created).days + 1, created)
            priority = rng.choices(["low", "normal", "high", "urgent"], [20, 55, 20, 5])[0]
            due = opened + timedelta(hours=SLA_HOURS[priority])
            recent = (self.as_of - opened).days < 14
            status = rng.choices(
                ["open", "pending", "resolved", "closed"], [40, 25, 20, 15] if recent else [2, 3, 35, 60]
            )[0]
            resolved = None
            if status in ("resolved", "closed"):
                resolved = min(
                    opened + timedelta(hours=rng.uniform(0.5, SLA_HOURS[priority] * 1.5)), self.as_of
                )
            subject, description = rng.choice(cat.TICKET_SUBJECTS)
            comments = rng.randint(0, 3)
            updated = opened
            for n in range(comments):
                at = min(opened + timedelta(hours=rng.uniform(0.1, 48) * (n + 1)), self.as_of)
                updated = max(updated, at)
                author = rng.choice([a for a in cat.AGENTS if a]) if n % 2 == 0 else "customer"
                body = "We are looking into it." if author != "customer" else "Any update, please?"
                chunk.ticket_comments.append(
                    (self._next("comment"), tid, author, body, rng.random() < 0.2, at)
                )
            chunk.tickets.append(
                (
                    tid,
                    uuid.UUID(cid),
                    subject,
                    description,
                    status,
                    priority,
                    rng.choice(["phone", "email", "wechat", "web", "store"]),
                    rng.choice(cat.AGENTS),
                    opened,
                    max(updated, resolved or opened),
                    resolved,
                    due,
                    self._unit(15, 20, 65),
                )
            )
        if chunk.tickets and chunk.tickets[-1][1] == uuid.UUID(cid):
            self._link(
                chunk,
                cid,
                IdentifierType.SERVICE_DESK_ID,
                f"SD-{rng.randrange(10**7)}",
                "service_desk",
                created,
            )

    def _interactions(self, chunk: Chunk, cid: str, created: datetime) -> None:
        rng = self.rng
        window = min((self.as_of - created).days + 1, 730)
        mean = self.volumes.interactions
        for _ in range(min(int(rng.expovariate(1 / mean)), self.volumes.cap(mean, 150))):
            at = self._when(window)
            kind = rng.choices(
                [
                    "call",
                    "email",
                    "wechat_message",
                    "store_visit",
                    "web_event",
                    "app_event",
                    "campaign_click",
                ],
                [8, 12, 20, 10, 25, 15, 10],
            )[0]
            channel, summary, payload = self._interaction_detail(kind)
            unit = self._unit(85, 5, 10) if kind == "store_visit" else self._unit(20, 50, 30)
            chunk.interactions.append(
                (self._next("interaction"), uuid.UUID(cid), kind, channel, at, summary, payload, unit)
            )

    def _interaction_detail(self, kind: str) -> tuple[str, str, dict[str, Any]]:
        rng = self.rng
        if kind == "call":
            secs = rng.randint(30, 1200)
            return (
                "call_center",
                f"Inbound call, {secs // 60} min",
                {"durationSeconds": secs, "agent": rng.choice(cat.AGENTS[:5])},
            )
        if kind == "email":
            return "email", "Newsletter opened", {"template": rng.choice(["weekly", "promo", "receipt"])}
        if kind == "wechat_message":
            return "wechat_oa", "Message to the official account", {"direction": rng.choice(["in", "out"])}
        if kind == "store_visit":
            store = rng.choice(cat.STORES)
            return store, f"Visited store {store}", {"store": store, "minutes": rng.randint(5, 90)}
        if kind == "web_event":
            event = rng.choice(cat.WEB_EVENTS)
            return (
                "web",
                event.replace("_", " ").capitalize(),
                {"event": event, "path": f"/p/{rng.randint(1, 500)}"},
            )
        if kind == "app_event":
            event = rng.choice(cat.WEB_EVENTS)
            return (
                "app",
                f"App: {event.replace('_', ' ')}",
                {"event": event, "os": rng.choice(["ios", "android"])},
            )
        campaign = rng.choice(cat.CAMPAIGNS)
        return (
            "campaign",
            f"Clicked campaign {campaign}",
            {"campaign": campaign, "medium": rng.choice(["sms", "wechat", "email"])},
        )
