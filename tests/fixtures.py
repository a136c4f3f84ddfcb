"""Hand-written customers with exactly known data, inserted beside the generated data set."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from c360.seed.loader import PROJECTION_COLUMNS, projection_rows
from core.settings import Settings
from graph_store import identity
from graph_store.driver import GraphStore
from graph_store.identifiers import IdentifierType, normalize

LI_LEI = "0a1b2c3d-0000-4000-8000-000000000001"
EMMA = "0a1b2c3d-0000-4000-8000-000000000002"
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)

LI_LEI_PHONE_FORMATS = ("+86 138 0013 8000", "138-0013-8000", "13800138000")
LI_LEI_ORDERS = [
    # id, status, total, placed_at, items (sku, name, qty, unit price), business unit
    (900001, "delivered", Decimal("100.00"), T0, [("SKU-A", "Tea", 2, Decimal("50.00"))], "retail"),
    (
        900002,
        "paid",
        Decimal("250.50"),
        T0 + timedelta(days=3),
        [("SKU-B", "Scarf", 1, Decimal("200.50")), ("SKU-C", "Mug", 2, Decimal("25.00"))],
        "ecommerce",
    ),
    (
        900003,
        "cancelled",
        Decimal("80.00"),
        T0 + timedelta(days=5),
        [("SKU-D", "Nuts", 1, Decimal("80.00"))],
        "ecommerce",
    ),
]
LI_LEI_TICKETS = [
    # id, subject, status, created_at, business unit
    (800001, "Refund request", "open", T0 + timedelta(days=6), "service"),
    (800002, "Invoice request", "closed", T0 + timedelta(days=1), "ecommerce"),
]
LI_LEI_INTERACTIONS = [
    # id, kind, occurred_at, summary, business unit
    (700001, "call", T0 + timedelta(days=2), "Asked about delivery", "service"),
    (700002, "wechat_message", T0 + timedelta(days=4), "Sent a photo of the parcel", "ecommerce"),
    (700003, "store_visit", T0 + timedelta(days=7), "Visited store ST001", "retail"),
]


def links_of(
    customer: str, entries: list[tuple[IdentifierType, str, str, str | None]]
) -> list[dict[str, Any]]:
    """Seed links of one customer: (type, raw value, source, app id) as normalised identifier rows."""
    rows = []
    for kind, raw, source, app_id in entries:
        ident = normalize(kind, raw, app_id=app_id)
        rows.append(
            {
                "customer": customer,
                "type": kind.value,
                "value": ident.value,
                "key": ident.key,
                "raw": raw,
                "source": source,
                "observedAt": T0,
            }
        )
    return rows


LI_LEI_TICKET_HISTORY = [
    # ticket, kind, actor, at, data ("comment": the comment's body, replaced by its id)
    (800002, "opened", "crm-connector", T0 + timedelta(days=1), {"status": "open", "priority": "high"}),
    (800002, "status_changed", "agent.chen", T0 + timedelta(days=1, hours=2), {"from": "open", "to": "resolved"}),
    (800002, "status_changed", "agent.chen", T0 + timedelta(days=1, hours=3), {"from": "resolved", "to": "closed"}),
    (800001, "opened", "agent.chen", T0 + timedelta(days=6), {"status": "open", "priority": "high"}),
    (800001, "commented", "customer", T0 + timedelta(days=6, hours=1), {"comment": "Where is my refund?"}),
    (800001, "assigned", "agent.chen", T0 + timedelta(days=6, hours=1, minutes=30),
     {"assignee": "agent.chen", "queue": "billing"}),
    (800001, "commented", "agent.chen", T0 + timedelta(days=6, hours=2), {"comment": "Refund issued."}),
]  # fmt: skip
"""The history of Li Lei's tickets, interleaved with his orders and interactions on his timeline."""


async def _ticket_history(conn: asyncpg.Connection) -> None:
    comments = {
        r["body"]: r["id"]
        for r in await conn.fetch("SELECT id, body FROM tickets.ticket_comments WHERE ticket_id = 800001")
    }
    await conn.executemany(
        "INSERT INTO tickets.ticket_events (ticket_id, customer_id, kind, actor, at, data)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
        [
            (
                ticket,
                uuid.UUID(LI_LEI),
                kind,
                actor,
                at,
                json.dumps({k: comments[v] if k == "comment" else v for k, v in data.items()}),
            )
            for ticket, kind, actor, at, data in LI_LEI_TICKET_HISTORY
        ],
    )


async def load(settings: Settings) -> None:
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.executemany(
            "INSERT INTO profiles.customers (id, given_name, family_name, full_name, gender, birth_date, city, region,"
            " country_code, loyalty_tier, loyalty_points, status, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'CN', $9, $10, 'active', $11, $11)",
            [
                (
                    uuid.UUID(LI_LEI),
                    "雷",
                    "李",
                    "李雷",
                    "male",
                    datetime(1990, 5, 17).date(),
                    "Hangzhou",
                    "Zhejiang",
                    "gold",
                    4200,
                    T0,
                ),
                (
                    uuid.UUID(EMMA),
                    "Emma",
                    "Smith",
                    "Emma Smith",
                    "female",
                    None,
                    "Shanghai",
                    "Shanghai",
                    "silver",
                    10,
                    T0,
                ),
            ],
        )
        for oid, status, total, placed, items, unit in LI_LEI_ORDERS:
            await conn.execute(
                "INSERT INTO orders.orders (id, customer_id, channel, store_code, status, currency, subtotal, discount,"
                " shipping, total, placed_at, business_unit)"
                " VALUES ($1, $2, 'online', NULL, $3, 'CNY', $4, 0, 0, $4, $5, $6)",
                oid,
                uuid.UUID(LI_LEI),
                status,
                total,
                placed,
                unit,
            )
            await conn.executemany(
                "INSERT INTO orders.order_items (order_id, sku, name, quantity, unit_price) VALUES ($1, $2, $3, $4, $5)",
                [(oid, *item) for item in items],
            )
        for tid, subject, status, created, unit in LI_LEI_TICKETS:
            await conn.execute(
                "INSERT INTO tickets.tickets (id, customer_id, subject, description, status, priority, channel,"
                " assignee, created_at, updated_at, resolved_at, sla_due_at, business_unit)"
                " VALUES ($1, $2, $3, 'details', $4, 'high', 'phone', 'agent.chen', $5, $5, $6, $7, $8)",
                tid,
                uuid.UUID(LI_LEI),
                subject,
                status,
                created,
                created + timedelta(hours=2) if status == "closed" else None,
                created + timedelta(hours=24),
                unit,
            )
        await conn.executemany(
            "INSERT INTO tickets.ticket_comments (ticket_id, author, body, internal, created_at)"
            " VALUES (800001, $1, $2, false, $3)",
            [
                ("customer", "Where is my refund?", T0 + timedelta(days=6, hours=1)),
                ("agent.chen", "Refund issued.", T0 + timedelta(days=6, hours=2)),
            ],
        )
        await _ticket_history(conn)
        await conn.executemany(
            "INSERT INTO interactions.interactions (id, customer_id, kind, channel, occurred_at, summary, payload,"
            " business_unit) VALUES ($1, $2, $3, 'test', $4, $5, $6::jsonb, $7)",
            [
                (iid, uuid.UUID(LI_LEI), kind, at, summary, f'{{"n": {iid}}}', unit)
                for iid, kind, at, summary, unit in LI_LEI_INTERACTIONS
            ],
        )
    finally:
        await conn.close()
    links = links_of(
        LI_LEI,
        [
            (IdentifierType.PHONE, LI_LEI_PHONE_FORMATS[0], "crm", None),
            (IdentifierType.EMAIL, " Li.Lei@Example.COM ", "ecommerce", None),
            (IdentifierType.WECHAT_UNIONID, "o6_bLiLeiUnion", "wechat", None),
            (IdentifierType.WECHAT_OPENID, "oXLiLeiOpen", "wechat", "wxAPP1"),
            (IdentifierType.CRM_ID, "CRM-LI-1", "crm", None),
        ],
    ) + links_of(
        EMMA,
        [
            (IdentifierType.PHONE, "13900139000", "pos", None),
            (IdentifierType.WECHAT_OPENID, "oXLiLeiOpen", "wechat", "wxAPP2"),
        ],
    )
    await load_identity_links(settings, links)


async def load_identity_links(settings: Settings, links: list[dict[str, Any]]) -> None:
    """Seeded identity links, written as the seed writes them: to the graph and to PostgreSQL's projection of
    current identifiers, which hot reads use."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.copy_records_to_table(
            "customer_identifiers",
            records=projection_rows(links),
            columns=PROJECTION_COLUMNS,
            schema_name="profiles",
        )
    finally:
        await conn.close()
    graph = GraphStore(settings)
    try:
        await identity.load_links(graph, links)
    finally:
        await graph.close()
