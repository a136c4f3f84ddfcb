"""Ticket writes: each is one PostgreSQL transaction holding its idempotency key, the ticket's rows, the history row,
the outbox event and the change notice, so an acknowledged change is durable and announced, or did not happen.

The caller passes who acts (the principal's subject), the rows it may see and write (``core.visibility``: a ticket
out of them is refused as absent) and the clock's time; the state machine and SLA arithmetic are ``workflow`` and ``sla``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core import idempotency
from core.errors import BadUserInput, Forbidden, NotFound, Restricted
from core.postgres import Database
from core.visibility import EVERYTHING, Visible
from subgraphs.tickets import events, sla, workflow
from subgraphs.tickets.events import SCHEMA
from subgraphs.tickets.repository import TICKET_COLUMNS
from subgraphs.tickets.sla import SlaPolicy, SlaState

MAX_SUBJECT = 200
MAX_TEXT = 10_000
MAX_NAME = 100


@dataclass(frozen=True)
class Written:
    """What a write answers: the ticket, the history row it recorded, and whether this was a repeat."""

    ticket: int
    event: int
    comment: int | None = None
    replayed: bool = False
    row: asyncpg.Record | None = None
    """The ticket as the write left it (``None`` for a repeat: load it)."""


def text(value: str, what: str, limit: int, *, required: bool = True) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise BadUserInput(f"{what} must not be empty")
    if len(cleaned) > limit or "\x00" in cleaned:
        raise BadUserInput(f"{what} has at most {limit:,} characters (and no NUL)")
    return cleaned


def _sla_columns(state: SlaState) -> dict[str, Any]:
    return {
        "sla_due_at": state.resolution_due_at,
        "first_response_due_at": state.first_response_due_at,
        "first_responded_at": state.first_responded_at,
        "sla_stopped_at": state.stopped_at,
        "sla_remaining_seconds": state.remaining_seconds,
        "sla_pauses": sla.pauses_to_json(state.pauses),
    }


def _replayed(claim: idempotency.Claim) -> Written:
    found = claim.replayed
    return Written(found["ticket"], found["event"], found.get("comment"), replayed=True)


async def _done(conn: asyncpg.Connection, claim: idempotency.Claim, written: Written) -> Written:
    await idempotency.remember(
        conn, claim, {"ticket": written.ticket, "event": written.event, "comment": written.comment}
    )
    return written


def _check_unit(unit: str, rows: Visible) -> None:
    if rows.business_units is not None and unit not in rows.business_units:
        raise Forbidden(f"You may not write in business unit {unit!r}")


def _sees(rows: Visible, ticket: asyncpg.Record) -> bool:
    units = rows.business_units
    return (
        rows.sees_customer(ticket["customer_id"])
        and (units is None or ticket["business_unit"] in units)
        and (rows.restricted or not ticket["restricted"])
    )


async def create(
    db: Database,
    actor: str,
    key: str | None,
    *,
    customer_id: str,
    channel: str,
    subject: str,
    description: str,
    priority: str,
    business_unit: str,
    queue: str | None,
    policy: SlaPolicy,
    now: datetime,
    rows: Visible = EVERYTHING,
) -> Written:
    """A new ticket in status ``new`` with its SLA clocks started, and its ``opened`` history row."""
    subject = text(subject, "The subject", MAX_SUBJECT)
    description = text(description, "The description", MAX_TEXT, required=False)
    business_unit = text(business_unit, "The business unit", MAX_NAME)
    queue = text(queue, "The queue", MAX_NAME) if queue is not None else None
    _check_unit(business_unit, rows)
    arguments = [customer_id, channel, subject, description, priority, business_unit, queue]
    state = sla.start(policy.target(priority, channel), now)
    async with db.transaction() as conn:
        claim = await idempotency.claim(conn, SCHEMA, actor, key, "createTicket", arguments)
        if claim.is_replay:
            return _replayed(claim)
        columns = {
            "customer_id": customer_id,
            "subject": subject,
            "description": description,
            "status": "new",
            "priority": priority,
            "channel": channel,
            "queue": queue,
            "business_unit": business_unit,
            "created_at": now,
            "updated_at": now,
            **_sla_columns(state),
        }
        names = ", ".join(columns)
        values = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        row = await conn.fetchrow(
            f"INSERT INTO tickets.tickets AS t ({names}) VALUES ({values}) RETURNING {TICKET_COLUMNS}",
            *columns.values(),
        )
        assert row is not None
        data = {"status": "new", "priority": priority, "channel": channel, "queue": queue}
        event = await events.record(conn, row, events.OPENED, actor, now, data)
        return await _done(conn, claim, Written(row["id"], event, row=row))


Decide = Callable[[asyncpg.Record], "Update"]


@dataclass(frozen=True)
class Update:
    """What a change sets on the ticket, and the history row it records."""

    columns: dict[str, Any]
    kind: str
    data: dict[str, Any]
    comment: tuple[str, bool] | None = None
    """(body, internal) of a comment to add."""


async def _change(
    db: Database,
    actor: str,
    key: str | None,
    operation: str,
    arguments: Any,
    ticket_id: int,
    rows: Visible,
    now: datetime,
    decide: Decide,
) -> Written:
    async with db.transaction() as conn:
        claim = await idempotency.claim(conn, SCHEMA, actor, key, operation, [ticket_id, arguments])
        if claim.is_replay:
            return _replayed(claim)
        current = await conn.fetchrow(
            f"SELECT {TICKET_COLUMNS} FROM tickets.tickets t WHERE t.id = $1 FOR UPDATE", ticket_id
        )
        if current is None or not _sees(rows, current):
            raise NotFound("ticket", str(ticket_id))  # out of scope looks exactly like absent
        if current["restricted"]:
            raise Restricted(
                f"Ticket {ticket_id} is kept only for accounting after an erasure: it takes no changes"
            )
        update = decide(current)
        comment_id = None
        data = update.data
        if update.comment is not None:
            body, internal = update.comment
            comment_id = await conn.fetchval(
                "INSERT INTO tickets.ticket_comments (ticket_id, author, body, internal, created_at)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                ticket_id,
                actor,
                body,
                internal,
                now,
            )
            data = {**data, "comment": comment_id}
        columns = {**update.columns, "updated_at": now}
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=2))
        row = await conn.fetchrow(
            f"UPDATE tickets.tickets t SET {assignments} WHERE t.id = $1 RETURNING {TICKET_COLUMNS}",
            ticket_id,
            *columns.values(),
        )
        assert row is not None
        event = await events.record(conn, row, update.kind, actor, now, data)
        return await _done(conn, claim, Written(ticket_id, event, comment_id, row=row))


def _open_for_changes(current: asyncpg.Record) -> None:
    if current["status"] == "closed":
        raise workflow.TicketClosed("The ticket is closed: it takes comments only; open a new ticket instead")


async def transition(
    db: Database,
    actor: str,
    key: str | None,
    ticket_id: int,
    to: str,
    *,
    policy: SlaPolicy,
    now: datetime,
    rows: Visible = EVERYTHING,
) -> Written:
    def decide(current: asyncpg.Record) -> Update:
        target = policy.target(current["priority"], current["channel"])
        change = workflow.transition(
            current["status"],
            current["resolved_at"],
            sla.state_of(current),
            to,
            target,
            now,
            policy.reopen_window,
        )
        return Update(
            {"status": change.status, "resolved_at": change.resolved_at, **_sla_columns(change.sla)},
            events.STATUS_CHANGED,
            {"from": current["status"], "to": change.status},
        )

    return await _change(db, actor, key, "transitionTicket", to, ticket_id, rows, now, decide)


async def comment(
    db: Database,
    actor: str,
    key: str | None,
    ticket_id: int,
    body: str,
    internal: bool,
    *,
    now: datetime,
    rows: Visible = EVERYTHING,
) -> Written:
    """A comment on the thread; a customer-visible one answers the customer (the first response, if it is one)."""
    body = text(body, "The comment", MAX_TEXT)

    def decide(current: asyncpg.Record) -> Update:
        columns: dict[str, Any] = {}
        if not internal and current["first_responded_at"] is None:
            columns["first_responded_at"] = now
        return Update(columns, events.COMMENTED, {"internal": internal}, comment=(body, internal))

    return await _change(db, actor, key, "addTicketComment", [body, internal], ticket_id, rows, now, decide)


async def assign(
    db: Database,
    actor: str,
    key: str | None,
    ticket_id: int,
    assignee: str | None,
    queue: str | None,
    *,
    now: datetime,
    rows: Visible = EVERYTHING,
) -> Written:
    """To an agent, to a queue, or both; what is not named stays as it was."""
    if assignee is None and queue is None:
        raise BadUserInput("Name an agent (`assignee`), a queue, or both")
    agent = text(assignee, "The assignee", MAX_NAME) if assignee is not None else None
    team = text(queue, "The queue", MAX_NAME) if queue is not None else None

    def decide(current: asyncpg.Record) -> Update:
        _open_for_changes(current)
        columns = {
            "assignee": agent if agent is not None else current["assignee"],
            "queue": team if team is not None else current["queue"],
        }
        data = {
            "fromAssignee": current["assignee"],
            "assignee": columns["assignee"],
            "fromQueue": current["queue"],
            "queue": columns["queue"],
        }
        return Update(columns, events.ASSIGNED, data)

    return await _change(db, actor, key, "assignTicket", [agent, team], ticket_id, rows, now, decide)


async def change_priority(
    db: Database,
    actor: str,
    key: str | None,
    ticket_id: int,
    priority: str,
    *,
    policy: SlaPolicy,
    now: datetime,
    rows: Visible = EVERYTHING,
) -> Written:
    """A new priority; the SLA due times are worked out again under its targets."""

    def decide(current: asyncpg.Record) -> Update:
        _open_for_changes(current)
        if priority == current["priority"]:
            raise BadUserInput(f"The ticket's priority is {priority.upper()} already")
        target = policy.target(priority, current["channel"])
        state = sla.retarget(sla.state_of(current), target, now)
        return Update(
            {"priority": priority, **_sla_columns(state)},
            events.PRIORITY_CHANGED,
            {"from": current["priority"], "to": priority},
        )

    return await _change(db, actor, key, "changeTicketPriority", priority, ticket_id, rows, now, decide)
