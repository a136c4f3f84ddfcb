"""Service levels of tickets: the targets of the SLA policy file, working time on a calendar, and a ticket's SLA state.

Everything here is pure: the caller passes the clock's time. A write turns the ticket's state into the next one
(:func:`start`, :func:`responded`, :func:`stop`, :func:`resume`, :func:`retarget`) and stores the due times it
returns; a read compares them with the current time (:func:`read`). A due time changes only when the ticket
changes, so it is stored, and the queues can filter and sort on it in SQL; whether it has passed depends only on the
clock, so it is worked out on every read and no job has to run for a ticket to breach.

The resolution clock stops while the ticket waits on the customer and while it is resolved, and runs on from
where it stopped when the ticket opens again. A target missed before the clock stops stays missed.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITIES = ("low", "normal", "high", "urgent")
MAX_DAYS = 3660
"""Days a calendar walks before it gives up (a calendar with no working time in ten years is a mistake)."""
_DURATION = re.compile(r"(\d+)([dhms])")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """``"30m"``, ``"4h"``, ``"1h30m"``, ``"2d"``: a positive duration."""
    compact = text.replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + unit for n, unit in parts) != compact:
        raise ValueError(f"not a duration: {text!r} (write e.g. 30m, 4h, 1h30m, 2d)")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in parts)
    if seconds <= 0:
        raise ValueError(f"a duration must be positive: {text!r}")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Calendar:
    """When a target's clock runs: around the clock (``start`` is None), or on working days between two local
    times, holidays excluded."""

    zone: ZoneInfo
    days: frozenset[int] = frozenset(range(7))
    start: time | None = None
    end: time | None = None
    holidays: frozenset[date] = frozenset()

    @property
    def always(self) -> bool:
        return self.start is None

    def _windows(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working windows in order, from the one that holds ``since`` (cut at it) or the next one."""
        assert self.start is not None
        assert self.end is not None
        day = since.astimezone(self.zone).date()
        for _ in range(MAX_DAYS):
            if day.weekday() in self.days and day not in self.holidays:
                opens = datetime.combine(day, self.start, self.zone)
                closes = datetime.combine(day, self.end, self.zone)
                if closes > since:
                    yield max(opens, since), closes
            day += timedelta(days=1)
        raise ValueError(f"no working time within {MAX_DAYS} days of {since.isoformat()}")

    def add(self, at: datetime, seconds: float) -> datetime:
        """The instant ``seconds`` of this calendar's time after ``at``."""
        if self.always:
            return (at + timedelta(seconds=seconds)).astimezone(UTC)
        if seconds <= 0:
            return at.astimezone(UTC)
        left = seconds
        for opens, closes in self._windows(at):
            span = (closes - opens).total_seconds()
            if left <= span:
                return (opens + timedelta(seconds=left)).astimezone(UTC)
            left -= span
        raise AssertionError("unreachable: _windows raises first")

    def between(self, a: datetime, b: datetime) -> float:
        """Seconds of this calendar's time from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        if b < a:
            return -self.between(b, a)
        if self.always:
            return (b - a).total_seconds()
        total = 0.0
        for opens, closes in self._windows(a):
            if opens >= b:
                break
            total += (min(closes, b) - opens).total_seconds()
        return total


@dataclass(frozen=True)
class Target:
    first_response: timedelta
    resolution: timedelta
    calendar: Calendar


@dataclass(frozen=True)
class SlaPolicy:
    targets: Mapping[str, Target]
    """By priority."""
    channels: Mapping[tuple[str, str], Target]
    """By (channel, priority), where the policy file says something for the channel."""
    reopen_window: timedelta
    zone: ZoneInfo

    def target(self, priority: str, channel: str) -> Target:
        found = self.channels.get((channel, priority)) or self.targets.get(priority)
        if found is None:
            raise ValueError(f"the SLA policy has no target for priority {priority!r}")
        return found

    @classmethod
    def load(cls, path: Path) -> SlaPolicy:
        return cls.parse(tomllib.loads(path.read_text()), str(path))

    @classmethod
    def parse(cls, document: Mapping[str, Any], where: str = "SLA policy") -> SlaPolicy:
        try:
            zone = ZoneInfo(document.get("timezone", "UTC"))
            business = _business_calendar(zone, document.get("business_hours"))
            always = Calendar(zone)
            targets: dict[str, Target] = {}
            for priority in PRIORITIES:
                spec = document.get("targets", {}).get(priority)
                if spec is None:
                    raise ValueError(f"no [targets.{priority}]")
                targets[priority] = _target(spec, None, business, always, f"targets.{priority}")
            by_channel: Mapping[str, Mapping[str, Any]] = document.get("channels", {})
            stray = {p for by_priority in by_channel.values() for p in by_priority} - set(PRIORITIES)
            if stray:
                raise ValueError(f"unknown priorities under [channels]: {', '.join(sorted(stray))}")
            channels = {
                (channel, priority): _target(
                    spec, targets[priority], business, always, f"channels.{channel}.{priority}"
                )
                for channel, by_priority in by_channel.items()
                for priority, spec in by_priority.items()
            }
            reopen = parse_duration(document.get("reopen_window", "7d"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from exc
        return cls(targets, channels, reopen, zone)


def _business_calendar(zone: ZoneInfo, spec: Mapping[str, Any] | None) -> Calendar | None:
    if spec is None:
        return None
    days = frozenset(DAYS.index(d.lower()[:3]) for d in spec.get("days", DAYS[:5]))
    start, end = time.fromisoformat(spec["start"]), time.fromisoformat(spec["end"])
    if not days or end <= start:
        raise ValueError("[business_hours] needs at least one day and an end after its start")
    holidays = frozenset(date.fromisoformat(d) for d in spec.get("holidays", []))
    return Calendar(zone, days, start, end, holidays)


def _target(
    spec: Mapping[str, Any], base: Target | None, business: Calendar | None, always: Calendar, where: str
) -> Target:
    unknown = set(spec) - {"first_response", "resolution", "business_hours"}
    if unknown:
        raise ValueError(f"[{where}]: unknown keys {', '.join(sorted(unknown))}")

    def duration(name: str) -> timedelta:
        if name in spec:
            return parse_duration(spec[name])
        if base is None:
            raise ValueError(f"[{where}] needs {name}")
        return getattr(base, name)  # type: ignore[no-any-return]

    calendar = base.calendar if base is not None else always
    if "business_hours" in spec:
        if spec["business_hours"] and business is None:
            raise ValueError(f"[{where}] counts business hours, but there is no [business_hours] table")
        calendar = business if spec["business_hours"] and business is not None else always
    return Target(duration("first_response"), duration("resolution"), calendar)


@functools.cache
def policy_at(path: Path) -> SlaPolicy:
    """The policy file at ``path``, read once per process."""
    return SlaPolicy.load(path)


@dataclass(frozen=True)
class SlaState:
    """What a ticket stores of its service level."""

    created_at: datetime
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    """``None`` while the clock is stopped (unless the target was missed before it stopped)."""
    first_responded_at: datetime | None = None
    stopped_at: datetime | None = None
    """When the resolution clock stopped (pending on the customer, or resolved); ``None`` while it runs."""
    remaining_seconds: float | None = None
    """Resolution time left when the clock stopped."""
    pauses: tuple[tuple[datetime, datetime], ...] = ()
    """Earlier stops, each (from, to): time the clock did not count."""


def start(target: Target, at: datetime) -> SlaState:
    """A new ticket's state: both clocks start at ``at``."""
    cal = target.calendar
    return SlaState(
        at, cal.add(at, target.first_response.total_seconds()), cal.add(at, target.resolution.total_seconds())
    )


def responded(state: SlaState, at: datetime) -> SlaState:
    """An agent answered the customer (a customer-visible comment, or asking them something)."""
    return state if state.first_responded_at is not None else replace(state, first_responded_at=at)


def stop(state: SlaState, target: Target, at: datetime) -> SlaState:
    """The resolution clock stops: the ticket waits on the customer, or is resolved. A target already missed stays
    missed (the clock does not stop for it)."""
    due = state.resolution_due_at
    if state.stopped_at is not None or due is None or due <= at:
        return state
    left = target.calendar.between(at, due)
    return replace(state, resolution_due_at=None, stopped_at=at, remaining_seconds=left)


def resume(state: SlaState, target: Target, at: datetime) -> SlaState:
    """The clock runs on from where it stopped (the customer answered, or the ticket was reopened)."""
    if state.stopped_at is None or state.remaining_seconds is None:
        return state
    return replace(
        state,
        resolution_due_at=target.calendar.add(at, state.remaining_seconds),
        stopped_at=None,
        remaining_seconds=None,
        pauses=(*state.pauses, (state.stopped_at, at)),
    )


def _worked(target: Target, state: SlaState, until: datetime) -> float:
    """Calendar seconds the resolution clock ran from the ticket's creation to ``until``, stops excluded."""
    cal = target.calendar
    counted = cal.between(state.created_at, until)
    for begins, ends in state.pauses:
        counted -= cal.between(max(begins, state.created_at), min(ends, until)) if begins < until else 0.0
    return counted


def retarget(state: SlaState, target: Target, at: datetime) -> SlaState:
    """The ticket's priority (so its target) changed: both due times are worked out again from its creation, under
    the new target and its calendar, with the time it was stopped still not counted."""
    cal = target.calendar
    first = state.first_response_due_at
    if state.first_responded_at is None and first is not None:  # tickets from before the target keep none
        first = cal.add(state.created_at, target.first_response.total_seconds())
    total = target.resolution.total_seconds()
    if state.stopped_at is not None:
        return replace(
            state,
            first_response_due_at=first,
            remaining_seconds=total - _worked(target, state, state.stopped_at),
        )
    # The instant the clock, running from the creation and skipping the stops, reaches the new target.
    counted, cursor = 0.0, state.created_at
    for begins, ends in sorted(state.pauses):
        chunk = cal.between(cursor, begins) if begins > cursor else 0.0
        if counted + chunk >= total:
            break
        counted += chunk
        cursor = max(cursor, ends)
    return replace(state, first_response_due_at=first, resolution_due_at=cal.add(cursor, total - counted))


@dataclass(frozen=True)
class SlaReading:
    """A ticket's service level at one instant."""

    first_response_due_at: datetime | None
    first_responded_at: datetime | None
    first_response_breached_at: datetime | None
    first_response_remaining_seconds: float | None
    """Calendar seconds left to answer (negative: overdue by that much); ``None`` once answered or without target."""
    resolution_due_at: datetime | None
    """When the ticket must be resolved; ``None`` while the clock is stopped."""
    resolution_breached_at: datetime | None
    remaining_seconds: float | None
    """Calendar seconds left to resolve (negative: overdue); frozen while stopped; ``None`` once resolved."""
    paused: bool
    """The clock is stopped while the ticket waits on the customer."""
    projected_due_at: datetime | None
    """The due time if the clock ran on from now (while paused), the due time it had when it was resolved on time,
    or the due time itself."""

    @property
    def first_response_breached(self) -> bool:
        return self.first_response_breached_at is not None

    @property
    def resolution_breached(self) -> bool:
        return self.resolution_breached_at is not None

    @property
    def breached(self) -> bool:
        return self.first_response_breached or self.resolution_breached

    @property
    def breached_at(self) -> datetime | None:
        found = [t for t in (self.first_response_breached_at, self.resolution_breached_at) if t is not None]
        return min(found) if found else None


def read(state: SlaState, target: Target, resolved_at: datetime | None, now: datetime) -> SlaReading:
    """The service level of a ticket in ``state`` (resolved at ``resolved_at``, if it is) as of ``now``."""
    cal = target.calendar
    first_due, answered = state.first_response_due_at, state.first_responded_at
    first_breach = first_due if first_due is not None and (answered or now) > first_due else None
    first_left = cal.between(now, first_due) if first_due is not None and answered is None else None
    due = state.resolution_due_at
    stopped = state.stopped_at
    if due is not None:
        breach = due if (resolved_at or now) > due else None
        left = cal.between(now, due) if resolved_at is None else None
        projected: datetime | None = due
    else:
        breach = None
        left = state.remaining_seconds if resolved_at is None else None
        if stopped is not None and state.remaining_seconds is not None:
            projected = cal.add(
                stopped if resolved_at is not None else max(now, stopped), state.remaining_seconds
            )
        else:
            projected = None
    return SlaReading(
        first_response_due_at=first_due,
        first_responded_at=answered,
        first_response_breached_at=first_breach,
        first_response_remaining_seconds=first_left,
        resolution_due_at=due,
        resolution_breached_at=breach,
        remaining_seconds=left,
        paused=stopped is not None and resolved_at is None,
        projected_due_at=projected,
    )


def shown_due_at(state: SlaState, target: Target, resolved_at: datetime | None, now: datetime) -> datetime:
    """``Ticket.slaDueAt``: the due time as :func:`read` projects it, or the creation for a ticket without one."""
    return read(state, target, resolved_at, now).projected_due_at or state.created_at


def pauses_to_json(pauses: Sequence[tuple[datetime, datetime]]) -> list[list[str]]:
    return [[begins.isoformat(), ends.isoformat()] for begins, ends in pauses]


def pauses_from_json(value: Sequence[Sequence[str]] | None) -> tuple[tuple[datetime, datetime], ...]:
    return tuple((datetime.fromisoformat(b), datetime.fromisoformat(e)) for b, e in value or ())


def state_of(row: Mapping[str, Any]) -> SlaState:
    """The SLA state stored on a ticket row (``repository.TICKET_COLUMNS``)."""
    return SlaState(
        created_at=row["created_at"],
        first_response_due_at=row["first_response_due_at"],
        resolution_due_at=row["sla_due_at"],
        first_responded_at=row["first_responded_at"],
        stopped_at=row["sla_stopped_at"],
        remaining_seconds=row["sla_remaining_seconds"],
        pauses=pauses_from_json(row["sla_pauses"]),
    )
