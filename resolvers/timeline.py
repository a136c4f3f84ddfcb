"""``Customer.timeline``'s sources: orders, ticket history, interactions and identity events, each read through its
own subgraph's loaders (batched over every customer of the request) and interleaved (``subgraphs.kit.timeline``)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import asyncpg

from graph_store.resolution.history import EventView
from subgraphs.interactions.loaders import InteractionsLoaders
from subgraphs.interactions.repository import InteractionPage
from subgraphs.kit.context import RequestContext
from subgraphs.kit.owners import Owner
from subgraphs.kit.timeline import (
    IDENTITY_EVENT,
    INTERACTION,
    ORDER,
    TICKET_EVENT,
    TimelineItem,
    TimelinePage,
    interleave,
)
from subgraphs.orders.loaders import OrdersLoaders
from subgraphs.orders.repository import OrderPage
from subgraphs.profiles.loaders import ProfilesLoaders
from subgraphs.tickets.loaders import TicketsLoaders
from subgraphs.tickets.repository import EventPage

TICKET_TITLES = {
    "opened": "Ticket opened",
    "commented": "Ticket commented",
    "assigned": "Ticket assigned",
    "status_changed": "Ticket status changed",
    "priority_changed": "Ticket priority changed",
}
INTERACTION_TITLES = {
    "call": "Call",
    "email": "E-mail",
    "wechat_message": "WeChat message",
    "store_visit": "Store visit",
    "web_event": "Website event",
    "app_event": "App event",
    "campaign_click": "Campaign click",
}
IDENTITY_TITLES = {"merge": "Customers merged", "conflict": "Identity conflict", "split": "Customer split"}


def _order(row: asyncpg.Record) -> TimelineItem:
    return TimelineItem(
        ORDER,
        row["placed_at"],
        row["id"],
        "Order placed",
        status=row["status"].upper(),
        amount=row["total"],
        currency=row["currency"],
        channel=row["channel"],
        order_id=row["id"],
    )


def _ticket_event(row: Mapping[str, Any]) -> TimelineItem:
    data: dict[str, Any] = row["data"] or {}
    kind = row["kind"]
    status = data.get("to") if kind == "status_changed" else data.get("status") if kind == "opened" else None
    return TimelineItem(
        TICKET_EVENT,
        row["at"],
        row["id"],
        f"{TICKET_TITLES.get(kind, 'Ticket changed')}: {row['subject']}",
        status=status.upper() if status else None,
        actor=row["actor"],
        ticket_id=row["ticket_id"],
        ticket_event_id=row["id"],
    )


def _interaction(row: asyncpg.Record) -> TimelineItem:
    return TimelineItem(
        INTERACTION,
        row["occurred_at"],
        row["id"],
        INTERACTION_TITLES.get(row["kind"], row["kind"]),
        summary=row["summary"],
        channel=row["channel"],
        actor=row["logged_by"],
        ticket_id=row["ticket_id"],
        interaction_id=row["id"],
    )


def _identity(position: int, event: EventView) -> TimelineItem:
    return TimelineItem(
        IDENTITY_EVENT,
        event.at,
        position,
        IDENTITY_TITLES.get(event.kind, event.kind),
        summary=f"{event.record} ({event.rule})" if event.rule else event.record,
        status=event.kind.upper(),
    )


async def timeline(context: RequestContext, owner: Owner, page: TimelinePage) -> list[TimelineItem]:
    """Each wanted source asked for one page beyond the cursor, all at once; then interleaved."""

    async def orders() -> list[TimelineItem]:
        if ORDER not in page.kinds:
            return []
        key = OrderPage(page.limit, page.before(ORDER), None, page.since)
        return [_order(r) for r in await context.loaders(OrdersLoaders).orders_by_customer.load((owner, key))]

    async def ticket_events() -> list[TimelineItem]:
        if TICKET_EVENT not in page.kinds:
            return []
        key = EventPage(page.limit, page.before(TICKET_EVENT), page.since)
        rows = await context.loaders(TicketsLoaders).events_by_customer.load((owner, key))
        return [_ticket_event(r) for r in rows]

    async def interactions() -> list[TimelineItem]:
        if INTERACTION not in page.kinds:
            return []
        key = InteractionPage(page.limit, page.before(INTERACTION), None, page.since)
        rows = await context.loaders(InteractionsLoaders).latest_by_customer.load((owner, key))
        return [_interaction(r) for r in rows]

    async def identity() -> list[TimelineItem]:
        if IDENTITY_EVENT not in page.kinds:
            return []
        events = await context.loaders(ProfilesLoaders).identity_events.load(owner.id)
        return [_identity(n, e) for n, e in enumerate(events)]

    found = await asyncio.gather(orders(), ticket_events(), interactions(), identity())
    return interleave(page, *found)


async def entry(context: RequestContext, kind: str, source_id: int) -> TimelineItem | None:
    """The timeline entry of one order, ticket history row or interaction, read afresh (``None``: out of scope)."""
    if kind == ORDER:
        order = await context.loaders(OrdersLoaders).order_by_id.load(source_id)
        return _order(order) if order is not None else None
    if kind == INTERACTION:
        interaction = await context.loaders(InteractionsLoaders).interaction_by_id.load(source_id)
        return _interaction(interaction) if interaction is not None else None
    if kind == TICKET_EVENT:
        tickets = context.loaders(TicketsLoaders)
        event = await tickets.event_by_id.load(source_id)
        ticket = await tickets.ticket_by_id.load(event["ticket_id"]) if event is not None else None
        return _ticket_event({**event, "subject": ticket["subject"]}) if event and ticket else None
    raise ValueError(f"no timeline entry of kind {kind!r} by id")
