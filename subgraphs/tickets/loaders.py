"""Per-request loaders of the tickets subgraph."""

from __future__ import annotations

from functools import partial

import asyncpg

from subgraphs.kit.loaders import Loader, grouped_loader, keyed_loader
from subgraphs.kit.owners import Owner
from subgraphs.kit.scope import RowScope
from subgraphs.kit.sources import DataSources
from subgraphs.tickets import repository
from subgraphs.tickets.repository import EventPage, TicketPage


class TicketsLoaders:
    def __init__(self, sources: DataSources, scope: RowScope) -> None:
        db = sources.postgres.db("tickets")
        self.ticket_by_id: Loader[int, asyncpg.Record | None] = keyed_loader(
            scope.apply(partial(repository.tickets_by_id, db)), None
        )
        self.tickets_by_customer: Loader[tuple[Owner, TicketPage], list[asyncpg.Record]] = grouped_loader(
            scope.apply(partial(repository.tickets_by_customer, db)), []
        )
        # Comments are asked only of tickets found above, so they need no scope of their own.
        self.comments_by_ticket: Loader[int, list[asyncpg.Record]] = keyed_loader(
            partial(repository.comments_by_ticket, db), []
        )
        self.events_by_customer: Loader[tuple[Owner, EventPage], list[asyncpg.Record]] = grouped_loader(
            scope.apply(partial(repository.events_by_customer, db)), []
        )
        self.events_by_ticket: Loader[int, list[asyncpg.Record]] = keyed_loader(
            partial(repository.events_by_ticket, db), []
        )
        # Asked by id (a write's answer, a subscription's event): scoped through their ticket.
        self.event_by_id: Loader[int, asyncpg.Record | None] = keyed_loader(
            scope.apply(partial(repository.events_by_id, db)), None
        )
        self.comment_by_id: Loader[int, asyncpg.Record | None] = keyed_loader(
            scope.apply(partial(repository.comments_by_id, db)), None
        )
        self.open_count_by_customer: Loader[Owner, int] = keyed_loader(
            scope.apply(partial(repository.open_counts_by_customer, db)), 0
        )
