"""Batched reads of tickets and their comments; every function is one SQL statement.

Each takes the rows the caller may see (``rows``): tickets of customers or business units out of scope are not
found or counted, exactly as if they did not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

import asyncpg

from core.postgres import Database
from core.visibility import EVERYTHING, Visible
from subgraphs.kit.loaders import group_rows
from subgraphs.kit.owners import Owner, by_owner, pairs_table
from subgraphs.kit.pagination import binder
from subgraphs.tickets import workflow

TICKET_COLUMNS = (
    "t.id, t.customer_id::text AS customer_id, t.subject, t.description, t.status, t.priority, t.channel, "
    "t.assignee, t.created_at, t.updated_at, t.resolved_at, t.sla_due_at, t.first_response_due_at, "
    "t.first_responded_at, t.sla_stopped_at, t.sla_remaining_seconds, t.sla_pauses, t.queue, t.business_unit, "
    "t.next_due_at, t.priority_rank, t.restricted"
)
EVENT_COLUMNS = "e.id, e.ticket_id, e.customer_id::text AS customer_id, e.kind, e.actor, e.at, e.data"
OPEN_STATUSES = workflow.OPEN_STATUSES


class TicketPage(NamedTuple):
    limit: int
    statuses: tuple[str, ...] | None = None


async def tickets_by_id(
    db: Database, ids: Sequence[int], rows: Visible = EVERYTHING
) -> dict[int, asyncpg.Record]:
    args: list[object] = [list(ids)]
    scope = rows.sql(args, customer="t.customer_id", unit="t.business_unit", restricted="t.restricted")
    found = await db.fetch(
        f"SELECT {TICKET_COLUMNS} FROM tickets.tickets t WHERE t.id = ANY($1::bigint[]){scope}", *args
    )
    return {row["id"]: row for row in found}


async def tickets_by_customer(
    db: Database, owners: Sequence[Owner], page: TicketPage, rows: Visible = EVERYTHING
) -> dict[Owner, list[asyncpg.Record]]:
    """Each customer's newest tickets under all of its ids: one LATERAL walk of the customer/created_at index per
    id, then the newest of them per customer."""
    args: list[object] = []
    param = binder(args)
    pairs = pairs_table([o for o in owners if rows.sees_customer(o.id)], param)
    statuses, limit = param(list(page.statuses) if page.statuses else None), param(page.limit)
    units = rows.sql(args, unit="y.business_unit")
    found = await db.fetch(
        f"""
        SELECT t.owner, {TICKET_COLUMNS} FROM (
            SELECT p.owner::text AS owner, x.*,
                   row_number() OVER (PARTITION BY p.owner ORDER BY x.created_at DESC, x.id DESC) AS n
            FROM {pairs}
            CROSS JOIN LATERAL (
                SELECT * FROM tickets.tickets y
                WHERE y.customer_id = p.id AND ({statuses}::text[] IS NULL OR y.status = ANY({statuses}::text[])){units}
                ORDER BY y.created_at DESC, y.id DESC
                LIMIT {limit}
            ) x
        ) t
        WHERE t.n <= {limit}
        ORDER BY t.owner, t.created_at DESC, t.id DESC
        """,
        *args,
    )
    return by_owner(owners, group_rows(found, "owner"))


async def comments_by_ticket(db: Database, ticket_ids: Sequence[int]) -> dict[int, list[asyncpg.Record]]:
    rows = await db.fetch(
        "SELECT id, ticket_id, author, body, internal, created_at FROM tickets.ticket_comments "
        "WHERE ticket_id = ANY($1::bigint[]) ORDER BY ticket_id, created_at, id",
        list(ticket_ids),
    )
    return group_rows(rows, "ticket_id")


async def open_counts_by_customer(
    db: Database, owners: Sequence[Owner], rows: Visible = EVERYTHING
) -> dict[Owner, int]:
    args: list[object] = []
    param = binder(args)
    pairs = pairs_table([o for o in owners if rows.sees_customer(o.id)], param)
    statuses = param(list(OPEN_STATUSES))
    units = rows.sql(args, unit="x.business_unit")
    found = await db.fetch(
        f"SELECT p.owner::text AS owner, count(*) AS n FROM {pairs} JOIN tickets.tickets x"
        f" ON x.customer_id = p.id AND x.status = ANY({statuses}::text[]){units} GROUP BY p.owner",
        *args,
    )
    return by_owner(owners, {row["owner"]: row["n"] for row in found})


def open_ticket_exists(customer_id: str, param: Callable[[object], str], rows: Visible = EVERYTHING) -> str:
    """A SQL condition: the customer in column ``customer_id`` has an open ticket (new, open or pending) the caller
    may see (index-backed)."""
    units = "".join(f" AND {c}" for c in rows.clauses(param, unit="t.business_unit"))
    # The customer's own id and every id merged into it (profiles.customer_aliases, in the same database).
    ids = (
        f"ARRAY[{customer_id}] || ARRAY(SELECT m.alias_id FROM profiles.customer_aliases m"
        f" WHERE m.customer_id = {customer_id})"
    )
    return (
        f"EXISTS (SELECT 1 FROM tickets.tickets t WHERE t.customer_id = ANY({ids})"
        f" AND t.status = ANY({param(list(OPEN_STATUSES))}::text[]){units})"
    )


async def with_open_tickets(db: Database, owners: Sequence[Owner], rows: Visible = EVERYTHING) -> set[str]:
    """Which of the customers have an open ticket (new, open or pending) the caller may see, under any of their
    ids."""
    args: list[object] = []
    param = binder(args)
    pairs = pairs_table(owners, param)
    statuses = param(list(OPEN_STATUSES))
    units = rows.sql(args, unit="x.business_unit")
    found = await db.fetch(
        f"SELECT DISTINCT p.owner::text AS owner FROM {pairs} JOIN tickets.tickets x"
        f" ON x.customer_id = p.id AND x.status = ANY({statuses}::text[]){units}",
        *args,
    )
    return {row["owner"] for row in found}


async def events_by_ticket(db: Database, ticket_ids: Sequence[int]) -> dict[int, list[asyncpg.Record]]:
    """Each ticket's history, oldest first."""
    rows = await db.fetch(
        f"SELECT {EVENT_COLUMNS} FROM tickets.ticket_events e WHERE e.ticket_id = ANY($1::bigint[])"
        " ORDER BY e.ticket_id, e.id",
        list(ticket_ids),
    )
    return group_rows(rows, "ticket_id")


async def events_by_id(
    db: Database, ids: Sequence[int], rows: Visible = EVERYTHING
) -> dict[int, asyncpg.Record]:
    """History rows by id (a write's answer, a subscription's event), of tickets the caller may see."""
    args: list[object] = [list(ids)]
    scope = rows.sql(args, customer="t.customer_id", unit="t.business_unit", restricted="t.restricted")
    found = await db.fetch(
        f"SELECT {EVENT_COLUMNS} FROM tickets.ticket_events e JOIN tickets.tickets t ON t.id = e.ticket_id"
        f" WHERE e.id = ANY($1::bigint[]){scope}",
        *args,
    )
    return {row["id"]: row for row in found}


async def comments_by_id(
    db: Database, ids: Sequence[int], rows: Visible = EVERYTHING
) -> dict[int, asyncpg.Record]:
    args: list[object] = [list(ids)]
    scope = rows.sql(args, customer="t.customer_id", unit="t.business_unit", restricted="t.restricted")
    found = await db.fetch(
        "SELECT c.id, c.ticket_id, c.author, c.body, c.internal, c.created_at FROM tickets.ticket_comments c"
        f" JOIN tickets.tickets t ON t.id = c.ticket_id WHERE c.id = ANY($1::bigint[]){scope}",
        *args,
    )
    return {row["id"]: row for row in found}


class EventPage(NamedTuple):
    """A page of a customer's ticket history, newest first (the timeline's)."""

    limit: int
    before: tuple[datetime, int] | None = None
    """Only events with (at, id) below this."""
    since: datetime | None = None


async def events_by_customer(
    db: Database, owners: Sequence[Owner], page: EventPage, rows: Visible = EVERYTHING
) -> dict[Owner, list[asyncpg.Record]]:
    """Each customer's newest ticket history under all of its ids, with each ticket's subject and status: one
    LATERAL walk of the history's customer/at index per id (tickets out of scope left out), then the newest of them
    per customer."""
    before_at, before_id = page.before if page.before else (None, None)
    args: list[object] = []
    param = binder(args)
    pairs = pairs_table([o for o in owners if rows.sees_customer(o.id)], param)
    since, at, row_id, limit = param(page.since), param(before_at), param(before_id), param(page.limit)
    units = rows.sql(args, unit="t.business_unit")
    found = await db.fetch(
        f"""
        SELECT e.owner, {EVENT_COLUMNS}, e.subject, e.status FROM (
            SELECT p.owner::text AS owner, x.*, row_number() OVER (PARTITION BY p.owner ORDER BY x.at DESC, x.id DESC) AS n
            FROM {pairs}
            CROSS JOIN LATERAL (
                SELECT y.*, t.subject, t.status FROM tickets.ticket_events y JOIN tickets.tickets t ON t.id = y.ticket_id
                WHERE y.customer_id = p.id
                  AND ({since}::timestamptz IS NULL OR y.at >= {since}::timestamptz)
                  AND ({at}::timestamptz IS NULL OR (y.at, y.id) < ({at}::timestamptz, {row_id}::bigint)){units}
                ORDER BY y.at DESC, y.id DESC
                LIMIT {limit}
            ) x
        ) e
        WHERE e.n <= {limit}
        ORDER BY e.owner, e.at DESC, e.id DESC
        """,
        *args,
    )
    return by_owner(owners, group_rows(found, "owner"))
