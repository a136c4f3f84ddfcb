"""``Customer.timeline``: one Relay connection of a customer's orders, ticket events, interactions and identity
events, newest first (the sources are ``subgraphs.kit.timeline`` and ``resolvers/timeline.py``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from core.errors import BadUserInput
from subgraphs.kit import timeline
from subgraphs.kit.classes import classified, classify
from subgraphs.kit.pagination import decode_cursor, encode_cursor
from subgraphs.kit.timeline import TimelineItem


@strawberry.enum(description="What a timeline entry is.")
class TimelineKind(Enum):
    _value_: str

    ORDER = strawberry.enum_value(timeline.ORDER, description="An order placed (`orderId`).")
    TICKET_EVENT = strawberry.enum_value(
        timeline.TICKET_EVENT,
        description="A change to a ticket: opened, commented, status changed (`ticketId`).",
    )
    INTERACTION = strawberry.enum_value(
        timeline.INTERACTION, description="A call, message, visit or tracked event (`interactionId`)."
    )
    IDENTITY_EVENT = strawberry.enum_value(
        timeline.IDENTITY_EVENT, description="A merge, conflict or split of the customer's identity."
    )


def _id(value: int | None) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value is not None else None


@classified("public")
@strawberry.type(description="One entry of a customer's timeline; the ids name what it is about.")
class TimelineEntry:
    kind: TimelineKind = strawberry.field(description="What it is.")
    at: datetime = strawberry.field(description="When it happened.")
    title: str = strawberry.field(description="What happened, in a few words.")
    summary: str | None = strawberry.field(
        metadata=classify("internal"),
        description="Details: an interaction's summary, the source record behind an identity event.",
    )
    status: str | None = strawberry.field(
        description=(
            "An order's status, a ticket's status after the change, an identity event's kind (as their enums spell "
            "them: `PAID`, `OPEN`, `MERGE`)."
        )
    )
    amount: Decimal | None = strawberry.field(metadata=classify("financial"), description="An order's total.")
    currency: str | None = strawberry.field(description="The amount's currency.")
    channel: str | None = strawberry.field(description="Sales channel or touchpoint, where there is one.")
    actor: str | None = strawberry.field(
        metadata=classify("internal"), description="Who changed the ticket or logged the interaction."
    )
    order_id: strawberry.ID | None = strawberry.field(description="The order, for ORDER.")
    ticket_id: strawberry.ID | None = strawberry.field(
        description="The ticket, for TICKET_EVENT (and an interaction about one)."
    )
    ticket_event_id: strawberry.ID | None = strawberry.field(
        description="The ticket history entry, for TICKET_EVENT."
    )
    interaction_id: strawberry.ID | None = strawberry.field(description="The interaction, for INTERACTION.")

    @staticmethod
    def of(item: TimelineItem) -> TimelineEntry:
        return TimelineEntry(
            kind=TimelineKind(item.kind),
            at=item.at,
            title=item.title,
            summary=item.summary,
            status=item.status,
            amount=item.amount,
            currency=item.currency,
            channel=item.channel,
            actor=item.actor,
            order_id=_id(item.order_id),
            ticket_id=_id(item.ticket_id),
            ticket_event_id=_id(item.ticket_event_id),
            interaction_id=_id(item.interaction_id),
        )


def cursor(item: TimelineItem) -> str:
    at, rank, source_id = item.key
    return encode_cursor(at.isoformat(), rank, source_id)


def after_key(value: str) -> tuple[datetime, int, int]:
    at, rank, source_id = decode_cursor(value, 3)
    try:
        key = datetime.fromisoformat(at), int(rank), int(source_id)
    except (TypeError, ValueError) as exc:
        raise BadUserInput(f"Malformed cursor {value!r}") from exc
    if key[1] not in timeline.RANK.values():
        raise BadUserInput(f"Malformed cursor {value!r}")
    return key
