"""Batched reads of tickets and their comments; every function is one SQL statement.

Each takes the rows the caller may see (``rows``): tickets of customers or business units out of scope are not
found or counted, exactly as if they did not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import asyncpg

from core.postgres import Database
from core.visibility import EVERYTHING, Visible
from subgraphs.kit.loaders import group_rows
from subgraphs.tickets import workflow

TICKET_COLUMNS = (
    "t.id, t.customer_id::text AS customer_id, t.subject, t.description, t.status, t.priority, t.channel, "
    "t.assignee, t.created_at, t.updated_at, t.resolved_at, t.sla_due_at, t.first_response_due_at, "
    "t.first_responded_at, t.sla_stopped_at, t.sla_remaining_seconds, t.sla_pauses, t.queue, t.business_unit, "
    "t.next_due_at, t.priority_rank"
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
    scope = rows.sql(args, customer="t.customer_id", unit="t.business_unit")
    found = await db.fetch(
        f"SELECT {TICKET_COLUMNS} FROM tickets.tickets t WHERE t.id = ANY($1::bigint[]){scope}", *args
    )
    return {row["id"]: row for row in found}


async def tickets_by_customer(
    db: Database, customer_ids: Sequence[str], page: TicketPage, rows: Visible = EVERYTHING
) -> dict[str, list[asyncpg.Record]]:
    args: list[object] = [
        rows.customers_among(customer_ids),
        list(page.statuses) if page.statuses else None,
        page.limit,
    ]
    units = rows.sql(args, unit="x.business_unit")
    found = await db.fetch(
        f"""
        SELECT {TICKET_COLUMNS}
        FROM unnest($1::uuid[]) AS c(id)
        CROSS JOIN LATERAL (
            SELECT * FROM tickets.tickets x
            WHERE x.customer_id = c.id AND ($2::text[] IS NULL OR x.status = ANY($2::text[])){units}
            ORDER BY x.created_at DESC, x.id DESC
            LIMIT $3
        ) t
        """,
        *args,
    )
    return group_rows(found, "customer_id")


async def comments_by_ticket(db: Database, ticket_ids: Sequence[int]) -> dict[int, list[asyncpg.Record]]:
    rows = await db.fetch(
        "SELECT id, ticket_id, author, body, internal, created_at FROM tickets.ticket_comments "
        "WHERE ticket_id = ANY($1::bigint[]) ORDER BY ticket_id, created_at, id",
        list(ticket_ids),
    )
    return group_rows(rows, "ticket_id")


async def open_counts_by_customer(
    db: Database, customer_ids: Sequence[str], rows: Visible = EVERYTHING
) -> dict[str, int]:
    args: list[object] = [list(customer_ids), list(OPEN_STATUSES)]
    scope = rows.sql(args, customer="customer_id", unit="business_unit")
    found = await db.fetch(
        "SELECT customer_id::text AS customer_id, count(*) AS n FROM tickets.tickets "
        f"WHERE customer_id = ANY($1::uuid[]) AND status = ANY($2::text[]){scope} GROUP BY customer_id",
        *args,
    )
    return {row["customer_id"]: row["n"] for row in found}


def open_ticket_exists(customer_id: str, param: Callable[[object], str], rows: Visible = EVERYTHING) -> str:
    """A SQL condition: the customer in column ``customer_id`` has an open ticket (new, open or pending) the caller
    may see (index-backed)."""
    units = "".join(f" AND {c}" for c in rows.clauses(param, unit="t.business_unit"))
    return (
        f"EXISTS (SELECT 1 FROM tickets.tickets t WHERE t.customer_id = {customer_id}"
        f" AND t.status = ANY({param(list(OPEN_STATUSES))}::text[]){units})"
    )


async def with_open_tickets(
    db: Database, customer_ids: Sequence[str], rows: Visible = EVERYTHING
) -> set[str]:
    """Which of ``customer_ids`` have an open ticket (new, open or pending) the caller may see."""
    args: list[object] = [list(customer_ids), list(OPEN_STATUSES)]
    units = rows.sql(args, unit="business_unit")
    found = await db.fetch(
        "SELECT DISTINCT customer_id::text AS customer_id FROM tickets.tickets "
        f"WHERE customer_id = ANY($1::uuid[]) AND status = ANY($2::text[]){units}",
        *args,
    )
    return {row["customer_id"] for row in found}


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
    scope = rows.sql(args, customer="t.customer_id", unit="t.business_unit")
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
    scope = rows.sql(args, customer="t.customer_id", unit="t.business_unit")
    found = await db.fetch(
        "SELECT c.id, c.ticket_id, c.author, c.body, c.internal, c.created_at FROM tickets.ticket_comments c"
        f" JOIN tickets.tickets t ON t.id = c.ticket_id WHERE c.id = ANY($1::bigint[]){scope}",
        *args,
    )
    return {row["id"]: row for row in found}
