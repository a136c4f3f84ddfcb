"""The ticket life cycle: the declared state machine, and what each change does to a ticket's SLA state.

    new → open → pending ⇄ open → resolved → closed
                                   resolved → open (reopened, within the SLA policy's reopen window)

A ticket is *open* (counted by ``openTicketCount`` and ``hasOpenTickets``) in ``new``, ``open`` and ``pending``.
Pure functions: the caller passes the clock's time and stores the :class:`Change`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import BadUserInput
from subgraphs.tickets import sla
from subgraphs.tickets.sla import SlaState, Target

STATUSES = ("new", "open", "pending", "resolved", "closed")
OPEN_STATUSES = ("new", "open", "pending")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("open",),
    "open": ("pending", "resolved"),
    "pending": ("open",),
    "resolved": ("closed", "open"),
    "closed": (),
}
"""Every legal change of status; ``resolved → open`` only within the reopen window."""


class InvalidTransition(BadUserInput):
    """A status change the state machine does not allow; nothing was changed."""

    code = "INVALID_TRANSITION"


class TicketClosed(BadUserInput):
    """A change to a closed ticket, which takes comments only."""

    code = "TICKET_CLOSED"


def allowed(
    status: str, resolved_at: datetime | None, now: datetime, reopen_window: timedelta
) -> tuple[str, ...]:
    """The statuses a ticket in ``status`` may move to now."""
    found = TRANSITIONS[status]
    if status == "resolved" and (resolved_at is None or now - resolved_at > reopen_window):
        found = tuple(s for s in found if s != "open")
    return found


@dataclass(frozen=True)
class Change:
    status: str
    resolved_at: datetime | None
    sla: SlaState


def transition(
    status: str,
    resolved_at: datetime | None,
    state: SlaState,
    to: str,
    target: Target,
    now: datetime,
    reopen_window: timedelta,
) -> Change:
    """The ticket after moving from ``status`` to ``to`` at ``now``, or :class:`InvalidTransition` naming the
    statuses it may move to."""
    legal = allowed(status, resolved_at, now, reopen_window)
    if to not in legal:
        late = status == "resolved" and "open" in TRANSITIONS[status] and "open" not in legal
        reason = f" (reopening is possible for {_days(reopen_window)} after resolution)" if late else ""
        names = ", ".join(s.upper() for s in legal) or "none: it is final"
        raise InvalidTransition(
            f"A {status.upper()} ticket cannot move to {to.upper()}{reason}; it can move to: {names}",
            **{"from": status.upper(), "to": to.upper(), "allowed": [s.upper() for s in legal]},
        )
    if to == "pending":
        # Asking the customer something answers them: the first response is met, the resolution clock stops.
        return Change(to, resolved_at, sla.stop(sla.responded(state, now), target, now))
    if to == "resolved":
        return Change(to, now, sla.stop(sla.responded(state, now), target, now))
    if to == "open" and status in ("pending", "resolved"):
        return Change(to, None, sla.resume(state, target, now))
    return Change(to, resolved_at, state)


def _days(window: timedelta) -> str:
    days = window.total_seconds() / 86400
    return (
        f"{days:g} day{'s' if days != 1 else ''}" if days >= 1 else f"{window.total_seconds() / 3600:g} hours"
    )
