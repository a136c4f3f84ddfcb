"""GraphQL types of the interactions subgraph and the timeline it adds to ``Customer``."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from subgraphs.interactions import compiled
from subgraphs.interactions.loaders import InteractionsLoaders
from subgraphs.interactions.repository import InteractionPage
from subgraphs.interactions.timeline_types import TimelineEntry, TimelineKind, after_key, cursor
from subgraphs.kit import timeline
from subgraphs.kit.batch import Columns, batch, batched, customer_edge, load
from subgraphs.kit.classes import classified, classify
from subgraphs.kit.compiled import rows_of, sql_form
from subgraphs.kit.context import Info, RequestContext
from subgraphs.kit.entities import CustomerRef, from_row
from subgraphs.kit.owners import owners_of_customers
from subgraphs.kit.pagination import (
    AFTER_DESCRIPTION,
    Connection,
    build_connection,
    check_first,
    decode_time_cursor,
    encode_cursor,
    first_description,
)
from subgraphs.kit.timeline import TimelinePage


@strawberry.enum(description="What happened between the customer and the company.")
class InteractionKind(Enum):
    _value_: str

    CALL = strawberry.enum_value("call", description="A phone call.")
    EMAIL = strawberry.enum_value("email", description="An email.")
    WECHAT_MESSAGE = strawberry.enum_value("wechat_message", description="A WeChat message.")
    STORE_VISIT = strawberry.enum_value("store_visit", description="A visit to a store.")
    WEB_EVENT = strawberry.enum_value("web_event", description="An event tracked on the website.")
    APP_EVENT = strawberry.enum_value("app_event", description="An event tracked in the mobile app.")
    CAMPAIGN_CLICK = strawberry.enum_value(
        "campaign_click", description="A click on a marketing campaign link."
    )


CUSTOMER = customer_edge("interactions.customer", "customer_id")


@rows_of("interactions.interactions", "interactions", "customer_id")
@classified("public")
@strawberry.type(description="One event on the customer's timeline.")
class Interaction:
    id: strawberry.ID = strawberry.field(description="Interaction id.")
    kind: InteractionKind = strawberry.field(description="What kind of interaction it was.")
    channel: str = strawberry.field(
        description="Channel or touchpoint, e.g. `call_center`, `wechat_oa`, a store code."
    )
    occurred_at: datetime = strawberry.field(description="When it happened.")
    summary: str = strawberry.field(metadata=classify("internal"), description="Human-readable summary.")
    payload: JSON = strawberry.field(
        metadata=classify("internal"), description="Source-specific details as JSON."
    )
    business_unit: str = strawberry.field(
        description="Business unit the interaction belongs to, e.g. `retail`, `ecommerce` or `service`."
    )
    duration_seconds: int | None = strawberry.field(
        description="How long a call or a visit lasted, if known."
    )
    ticket_id: strawberry.ID | None = strawberry.field(description="The ticket it concerns, if any.")
    logged_by: str | None = strawberry.field(
        metadata=classify("internal"), description="Who logged it by hand (`logInteraction`), if anyone did."
    )
    customer_id: strawberry.Private[str]

    @staticmethod
    def from_row(row: Any) -> Interaction:
        return from_row(Interaction, row)

    @strawberry.field(description="The customer this interaction belongs to.", metadata=batched(CUSTOMER))
    async def customer(self, info: Info) -> CustomerRef | None:
        return await load(info, CUSTOMER, self)


def _interaction_cursor(row: Any) -> str:
    return encode_cursor(row["occurred_at"].isoformat(), row["id"])


@batch
async def _interactions(
    parents: Sequence[Any],
    context: RequestContext,
    columns: Columns,
    first: int = 20,
    after: str | None = None,
    kinds: list[InteractionKind] | None = None,
) -> list[Connection[Interaction]]:
    """``Customer.interactions``: one page per customer, under every id merged into it."""
    check_first(first, context.settings.max_page_size)
    after_key = decode_time_cursor(after) if after else None
    page = InteractionPage(first + 1, after_key, tuple(k.value for k in kinds) if kinds else None)
    owners = await owners_of_customers(context, parents)
    pages = await context.loaders(InteractionsLoaders).latest_by_customer.load_many(
        [(o, page) for o in owners]
    )
    return [
        build_connection(rows, first, after is not None, Interaction.from_row, _interaction_cursor)
        for rows in pages
    ]


@batch
async def _timeline(
    parents: Sequence[Any],
    context: RequestContext,
    columns: Columns,
    first: int = 20,
    after: str | None = None,
    kinds: list[TimelineKind] | None = None,
    since: datetime | None = None,
) -> list[Connection[TimelineEntry]]:
    """``Customer.timeline``: a page per customer from four sources, each batched over every customer."""
    check_first(first, context.settings.max_page_size)
    page = TimelinePage(
        first + 1,
        after_key(after) if after else None,
        frozenset(k.value for k in kinds) if kinds else frozenset(timeline.KINDS),
        since,
    )
    owners = await owners_of_customers(context, parents)
    pages = await asyncio.gather(*(context.cross.timeline(context, owner, page) for owner in owners))
    return [build_connection(items, first, after is not None, TimelineEntry.of, cursor) for items in pages]


@classified("public")
@strawberry.type(name="InteractionsCustomerFields")
class InteractionCustomerFields:
    id: strawberry.ID

    @strawberry.field(
        description="The customer's timeline, newest first, optionally only some kinds.",
        metadata=batched(_interactions, **sql_form(compiled.customer_interactions)),
    )
    async def interactions(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=first_description("interactions", 20))] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
        kinds: Annotated[
            list[InteractionKind] | None,
            strawberry.argument(
                description="Only interactions of these kinds; every kind when omitted or empty."
            ),
        ] = None,
    ) -> Connection[Interaction] | None:
        return await load(info, _interactions, self, first=first, after=after, kinds=kinds)

    @strawberry.field(
        description=(
            "Everything that happened with the customer, newest first, in one list: orders, ticket events (opened, "
            "commented, status changes), interactions and identity events (merges, splits), under every id merged "
            "into the customer. Paged by cursor; each page costs the same few statements whatever its size."
        ),
        metadata=batched(_timeline),
    )
    async def timeline(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=first_description("entries", 20))] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
        kinds: Annotated[
            list[TimelineKind] | None,
            strawberry.argument(description="Only entries of these kinds; every kind when omitted or empty."),
        ] = None,
        since: Annotated[
            datetime | None,
            strawberry.argument(description="Only entries at or after this time; all of them when omitted."),
        ] = None,
    ) -> Connection[TimelineEntry] | None:
        return await load(info, _timeline, self, first=first, after=after, kinds=kinds, since=since)
