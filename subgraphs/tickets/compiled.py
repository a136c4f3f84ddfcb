"""A customer's tickets, open-ticket count and a ticket's SLA due time as SQL, for compiled subtrees
(``subgraphs.kit.compiled``): the same rows, order and count as the batch resolvers' statements (``repository.py``),
under every id merged into the customer, and the due time ``Ticket.slaDueAt`` shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from subgraphs.kit.compiled import Rows, Shape, Sql, Value, instant
from subgraphs.kit.owners import OWNER_IDS, newest_under_ids
from subgraphs.kit.pagination import check_first
from subgraphs.tickets import sla
from subgraphs.tickets.repository import OPEN_STATUSES


def customer_tickets(sql: Sql, parent: str, arguments: dict[str, Any]) -> Rows:
    first: int = arguments.get("first", 50)
    check_first(first, sql.context.settings.max_page_size)
    conditions = []
    statuses = arguments.get("status")
    if statuses:
        conditions.append(f"y.status = ANY({sql.param([s.value for s in statuses])}::text[])")
    conditions += sql.rows.clauses(sql.param, unit="y.business_unit")
    source = newest_under_ids(parent, "tickets.tickets", "created_at", conditions, sql.param(first))
    return Rows(Shape.LIST, "tickets", source, order=lambda a: f"{a}.created_at DESC, {a}.id DESC")


def _open_count(sql: Sql, parent: str) -> str:
    statuses = sql.param(list(OPEN_STATUSES))
    units = "".join(f" AND {c}" for c in sql.rows.clauses(sql.param, unit="x.business_unit"))
    return (
        f"(SELECT count(*) FROM tickets.tickets x WHERE x.customer_id = ANY({parent}.{OWNER_IDS})"
        f" AND x.status = ANY({statuses}::text[]){units})"
    )


OPEN_TICKET_COUNT = Value("tickets", _open_count)


def _due_at(sql: Sql, t: str) -> str:
    """The stored due time, or the creation for a ticket without one; a stopped clock's projection (from now, on
    the target's calendar) is left to :func:`_projected`, given what it reads."""
    return (
        f"CASE WHEN {t}.sla_due_at IS NOT NULL THEN to_json({instant(f'{t}.sla_due_at')})"
        f" WHEN {t}.sla_stopped_at IS NULL OR {t}.sla_remaining_seconds IS NULL"
        f" THEN to_json({instant(f'{t}.created_at')})"
        f" ELSE json_build_array({t}.priority, {t}.channel, {instant(f'{t}.created_at')},"
        f" {instant(f'{t}.sla_stopped_at')}, {t}.sla_remaining_seconds, {instant(f'{t}.resolved_at')}) END"
    )


def _projected(context: Any, value: Any) -> Any:
    if not isinstance(value, list):
        return value
    priority, channel, created_at, stopped_at, remaining, resolved_at = value
    state = sla.SlaState(
        created_at=datetime.fromisoformat(created_at),
        first_response_due_at=None,
        resolution_due_at=None,
        stopped_at=datetime.fromisoformat(stopped_at),
        remaining_seconds=remaining,
    )
    target = sla.policy_at(context.settings.sla_policy).target(priority, channel)
    resolved = datetime.fromisoformat(resolved_at) if resolved_at is not None else None
    return sla.shown_due_at(state, target, resolved, context.now()).isoformat()


SLA_DUE_AT = Value("tickets", _due_at, finish=_projected)


def _breached(sql: Sql, t: str) -> str:
    """As :func:`sla.read` says: a first answer or the resolution after its due time (or due and not yet done)."""
    now = f"{sql.param(sql.context.now())}::timestamptz"
    return (
        f"(coalesce(coalesce({t}.first_responded_at, {now}) > {t}.first_response_due_at, false)"
        f" OR coalesce(coalesce({t}.resolved_at, {now}) > {t}.sla_due_at, false))"
    )


SLA_BREACHED = Value("tickets", _breached)
