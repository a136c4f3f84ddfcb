"""Mutations of the interactions subgraph: logging a call, a message, a visit, idempotent under its key."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from core.errors import NotFound
from core.ids import parse_int_id
from subgraphs.interactions import writes
from subgraphs.interactions.loaders import InteractionsLoaders
from subgraphs.interactions.types import Interaction, InteractionKind
from subgraphs.kit.classes import classified
from subgraphs.kit.context import Info
from subgraphs.kit.lookup import CustomerLookup

IDEMPOTENCY_KEY = (
    "Any string unique to this interaction (a UUID, say): logging it again with the same key returns the first "
    "answer and changes nothing. Keys belong to the caller; without one every call logs a new interaction."
)


@strawberry.input(description="An interaction to log: a call, a WeChat message, an e-mail, a store visit, …")
class LogInteractionInput:
    customer: CustomerLookup = strawberry.field(description="Who it was with: by id or by any identifier.")
    kind: InteractionKind = strawberry.field(description="What kind of interaction it was.")
    summary: str = strawberry.field(description="What it was about (at most 2,000 characters).")
    channel: str = strawberry.field(
        default="service_console",
        description="Channel or touchpoint, e.g. `call_center`, `wechat_oa`, a store code.",
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened; now when omitted."
    )
    duration_seconds: int | None = strawberry.field(
        default=None, description="How long it lasted (a call, a visit)."
    )
    payload: JSON | None = strawberry.field(
        default=None, description="Source-specific details, a JSON object of at most 16 KiB."
    )
    ticket_id: strawberry.ID | None = strawberry.field(
        default=None, description="The ticket it concerns, if any: one of the same customer's."
    )
    business_unit: str = strawberry.field(
        default="service", description="Business unit it belongs to (one you may write in)."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@classified("public")
@strawberry.type(description="What `logInteraction` did.")
class LogInteractionPayload:
    interaction: Interaction | None = strawberry.field(description="The interaction logged.")
    replayed: bool = strawberry.field(
        description="True when this answers an earlier call with the same idempotency key: nothing changed now."
    )


@strawberry.type(name="InteractionsMutation")
class InteractionsMutation:
    @strawberry.mutation(
        description=(
            "Log an interaction with a customer found by id or by any identifier, optionally about one of their "
            "tickets; it appears on their interactions and timeline at once."
        )
    )
    async def log_interaction(
        self,
        info: Info,
        input: Annotated[LogInteractionInput, strawberry.argument(description="The interaction.")],
    ) -> LogInteractionPayload:
        context = info.context
        customer = await context.find_customer(input.customer)
        ticket = parse_int_id(str(input.ticket_id), "ticket id") if input.ticket_id is not None else None
        if ticket is not None and await context.cross.ticket_customer(context, ticket) != customer:
            raise NotFound("ticket of this customer", str(ticket))
        logged = await writes.log(
            context.sources.postgres.db("interactions"),
            context.actor,
            input.idempotency_key,
            customer_id=customer,
            kind=input.kind.value,
            channel=input.channel,
            summary=input.summary,
            occurred_at=input.occurred_at or context.now(),
            duration_seconds=input.duration_seconds,
            payload=input.payload,
            ticket_id=ticket,
            business_unit=input.business_unit,
            now=context.now(),
            rows=await context.scope.visible(),
        )
        loader = context.loaders(InteractionsLoaders).interaction_by_id
        if logged.row is not None:
            loader.clear(logged.interaction).prime(logged.interaction, logged.row)
            context.audit.changed(info.path, (customer,))
        row = await loader.load(logged.interaction)
        return LogInteractionPayload(
            interaction=Interaction.from_row(row) if row is not None else None, replayed=logged.replayed
        )
