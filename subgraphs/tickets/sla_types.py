"""The GraphQL view of a ticket's service level, worked out on every read from its stored due times and the clock."""

from __future__ import annotations

from datetime import datetime

import strawberry

from subgraphs.kit.classes import classified
from subgraphs.tickets.sla import SlaReading


def _seconds(value: float | None) -> int | None:
    return None if value is None else int(value)  # whole seconds, toward zero


@classified("public")
@strawberry.type(
    description=(
        "A ticket's service level as of now: due times, time left and breaches (targets from the SLA policy "
        "file). Time left counts the target's own clock: business hours only, where the policy says so."
    )
)
class TicketSla:
    first_response_due_at: datetime | None = strawberry.field(
        description="When an agent must first answer the customer; null for tickets without that target."
    )
    first_responded_at: datetime | None = strawberry.field(
        description="When an agent first answered: a customer-visible comment, or a question to the customer."
    )
    first_response_breached: bool = strawberry.field(description="Whether the first answer is or was late.")
    first_response_remaining_seconds: int | None = strawberry.field(
        description="Seconds left to answer (negative: overdue by that much); null once answered."
    )
    resolution_due_at: datetime | None = strawberry.field(
        description="When the ticket must be resolved; null while the clock is stopped (pending, or resolved in time)."
    )
    resolution_breached: bool = strawberry.field(description="Whether resolution is or was late.")
    remaining_seconds: int | None = strawberry.field(
        description="Seconds left to resolve (negative: overdue by that much); frozen while paused; null once resolved."
    )
    paused: bool = strawberry.field(description="The clock is stopped: the ticket waits on the customer.")
    breached: bool = strawberry.field(description="Whether either target is or was missed.")
    breached_at: datetime | None = strawberry.field(
        description="When the first target was missed, if one was."
    )

    @staticmethod
    def of(reading: SlaReading) -> TicketSla:
        return TicketSla(
            first_response_due_at=reading.first_response_due_at,
            first_responded_at=reading.first_responded_at,
            first_response_breached=reading.first_response_breached,
            first_response_remaining_seconds=_seconds(reading.first_response_remaining_seconds),
            resolution_due_at=reading.resolution_due_at,
            resolution_breached=reading.resolution_breached,
            remaining_seconds=_seconds(reading.remaining_seconds),
            paused=reading.paused,
            breached=reading.breached,
            breached_at=reading.breached_at,
        )
