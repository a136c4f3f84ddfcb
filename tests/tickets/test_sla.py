"""SLA arithmetic on fixed instants: targets by priority and channel, business hours and holidays, the clock
stopped while pending, breaches and their times, priority changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.settings import PROJECT_ROOT
from subgraphs.tickets import sla
from subgraphs.tickets.sla import SlaPolicy, parse_duration

SHANGHAI = ZoneInfo("Asia/Shanghai")
DOCUMENT: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "reopen_window": "3d",
    "business_hours": {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "09:00",
        "end": "18:00",
        "holidays": ["2026-12-07"],  # a Monday
    },
    "targets": {
        "urgent": {"first_response": "30m", "resolution": "4h", "business_hours": False},
        "high": {"first_response": "1h", "resolution": "8h", "business_hours": False},
        "normal": {"first_response": "2h", "resolution": "18h", "business_hours": True},
        "low": {"first_response": "1d", "resolution": "5d", "business_hours": True},
    },
    "channels": {"wechat": {"urgent": {"first_response": "10m"}}},
}
POLICY = SlaPolicy.parse(DOCUMENT)


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc, arg-type]


def test_durations() -> None:
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("2d") == timedelta(days=2)
    for bad in ("", "4", "h", "1x", "0m", "-1h"):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)


def test_the_shipped_policy_loads() -> None:
    policy = SlaPolicy.load(PROJECT_ROOT / "config" / "sla.toml")
    assert set(policy.targets) == {"low", "normal", "high", "urgent"}
    assert policy.target("urgent", "wechat").first_response < policy.target("urgent", "phone").first_response


def test_targets_by_priority_with_channel_overrides() -> None:
    assert POLICY.target("urgent", "phone").first_response == timedelta(minutes=30)
    wechat = POLICY.target("urgent", "wechat")
    assert wechat.first_response == timedelta(minutes=10)
    assert wechat.resolution == timedelta(hours=4)  # not overridden: the priority's
    assert wechat.calendar.always
    assert not POLICY.target("normal", "wechat").calendar.always
    assert POLICY.reopen_window == timedelta(days=3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["targets"].pop("low"), r"no \[targets.low\]"),
        (lambda d: d.pop("business_hours"), "no \\[business_hours\\] table"),
        (lambda d: d["targets"]["high"].update(respond="1h"), "unknown keys respond"),
        (lambda d: d["channels"]["wechat"].update(critical={"first_response": "1m"}), "unknown priorities"),
        (lambda d: d["business_hours"].update(end="08:00"), "end after its start"),
    ],
)
def test_a_policy_that_cannot_work_is_refused(change: Any, message: str) -> None:
    import copy

    document = copy.deepcopy(DOCUMENT)
    change(document)
    with pytest.raises(ValueError, match=message):
        SlaPolicy.parse(document)


def test_business_hours_skip_nights_weekends_and_holidays() -> None:
    calendar = POLICY.target("normal", "phone").calendar
    friday_evening = local(2026, 12, 4, 17, 30)
    # 30 minutes left on Friday; the weekend and the Monday holiday do not count; Tuesday opens at 09:00.
    assert calendar.add(friday_evening, 2 * 3600) == local(2026, 12, 8, 10, 30)
    assert calendar.between(friday_evening, local(2026, 12, 8, 10, 30)) == 2 * 3600
    assert calendar.between(local(2026, 12, 5, 10), local(2026, 12, 7, 17)) == 0  # Saturday to the holiday
    # Out of hours, the clock starts at the next opening.
    assert calendar.add(local(2026, 12, 3, 22, 0), 60) == local(2026, 12, 4, 9, 1)
    assert calendar.between(local(2026, 12, 8, 12), local(2026, 12, 8, 11)) == -3600


def test_a_new_ticket_is_due_by_its_targets() -> None:
    created = local(2026, 12, 4, 17, 0)  # Friday, one business hour left
    state = sla.start(POLICY.target("normal", "email"), created)
    assert state.first_response_due_at == local(2026, 12, 8, 10, 0)
    # 18 business hours: 1 on Friday, 9 on Tuesday, 8 on Wednesday.
    assert state.resolution_due_at == local(2026, 12, 9, 17, 0)
    urgent = sla.start(POLICY.target("urgent", "wechat"), created)
    assert urgent.first_response_due_at == created + timedelta(minutes=10)
    assert urgent.resolution_due_at == created + timedelta(hours=4)


def test_breaches_are_read_from_the_clock_without_any_write() -> None:
    target = POLICY.target("high", "phone")
    created = local(2026, 12, 1, 10, 0)
    state = sla.start(target, created)
    before = sla.read(state, target, None, created + timedelta(minutes=59))
    assert not before.breached
    assert before.breached_at is None
    assert before.first_response_remaining_seconds == 60
    assert before.remaining_seconds == 7 * 3600 + 60
    late = sla.read(state, target, None, created + timedelta(minutes=61))
    assert late.first_response_breached
    assert not late.resolution_breached
    assert late.breached_at == created + timedelta(hours=1)
    assert late.first_response_remaining_seconds == -60
    answered = sla.responded(state, created + timedelta(minutes=20))
    on_time = sla.read(answered, target, None, created + timedelta(hours=3))
    assert not on_time.first_response_breached
    assert on_time.first_response_remaining_seconds is None
    overdue = sla.read(answered, target, None, created + timedelta(hours=9))
    assert overdue.resolution_breached
    assert overdue.breached_at == created + timedelta(hours=8)
    assert overdue.remaining_seconds == -3600
    resolved_late = sla.read(answered, target, created + timedelta(hours=9), created + timedelta(days=5))
    assert resolved_late.resolution_breached
    assert resolved_late.remaining_seconds is None
    # A second answer does not move the first.
    assert (
        sla.responded(answered, created + timedelta(hours=2)).first_responded_at
        == answered.first_responded_at
    )


def test_pending_stops_the_resolution_clock() -> None:
    target = POLICY.target("high", "phone")
    created = local(2026, 12, 1, 10, 0)
    state = sla.responded(sla.start(target, created), created)
    waiting = sla.stop(state, target, created + timedelta(hours=2))
    assert waiting.resolution_due_at is None
    assert waiting.remaining_seconds == 6 * 3600
    for later in (timedelta(hours=5), timedelta(days=3)):
        reading = sla.read(waiting, target, None, created + later)
        assert reading.paused
        assert not reading.breached
        assert reading.remaining_seconds == 6 * 3600  # frozen
        assert reading.projected_due_at == created + later + timedelta(hours=6)
    back = sla.resume(waiting, target, created + timedelta(days=1, hours=2))
    assert back.resolution_due_at == created + timedelta(days=1, hours=8)  # a day later than without the wait
    assert back.pauses == ((created + timedelta(hours=2), created + timedelta(days=1, hours=2)),)
    assert not sla.read(back, target, None, created + timedelta(days=1, hours=7)).breached
    assert sla.read(back, target, None, created + timedelta(days=1, hours=9)).resolution_breached
    assert sla.resume(back, target, created + timedelta(days=2)) == back  # not stopped: nothing to resume


def test_pending_on_business_hours_counts_only_the_working_time_left() -> None:
    target = POLICY.target("normal", "phone")
    created = local(2026, 12, 1, 9, 0)  # Tuesday
    state = sla.start(target, created)
    assert state.resolution_due_at == local(2026, 12, 2, 18, 0)  # 18 business hours: two working days
    waiting = sla.stop(state, target, local(2026, 12, 1, 17, 0))  # 8 hours used
    assert waiting.remaining_seconds == 10 * 3600
    back = sla.resume(waiting, target, local(2026, 12, 4, 20, 0))  # Friday evening, after hours
    # 10 business hours from Friday 20:00: none left on Friday, Monday is a holiday: Tuesday 09:00-18:00 and 1 h.
    assert back.resolution_due_at == local(2026, 12, 9, 10, 0)


def test_a_target_missed_before_the_clock_stops_stays_missed() -> None:
    target = POLICY.target("urgent", "phone")
    created = local(2026, 12, 1, 10, 0)
    state = sla.start(target, created)
    stopped_late = sla.stop(state, target, created + timedelta(hours=5))
    assert stopped_late == state  # the clock did not stop
    reading = sla.read(stopped_late, target, None, created + timedelta(hours=6))
    assert reading.resolution_breached
    assert reading.breached_at == created + timedelta(minutes=30)
    assert reading.first_response_breached_at == created + timedelta(minutes=30)
    assert not reading.paused


def test_resolving_in_time_stops_the_clock_and_reopening_runs_it_on() -> None:
    target = POLICY.target("high", "phone")
    created = local(2026, 12, 1, 10, 0)
    state = sla.responded(sla.start(target, created), created)
    resolved_at = created + timedelta(hours=3)
    resolved = sla.stop(state, target, resolved_at)
    reading = sla.read(resolved, target, resolved_at, created + timedelta(days=10))
    assert not reading.breached
    assert not reading.paused
    assert reading.remaining_seconds is None
    assert reading.projected_due_at == created + timedelta(hours=8)  # the due time it had when it stopped
    reopened = sla.resume(resolved, target, created + timedelta(days=1))
    assert reopened.resolution_due_at == created + timedelta(days=1, hours=5)


def test_a_priority_change_works_the_due_times_out_again() -> None:
    created = local(2026, 12, 1, 10, 0)
    normal = POLICY.target("normal", "phone")
    urgent = POLICY.target("urgent", "phone")
    state = sla.start(normal, created)
    raised = sla.retarget(state, urgent, created + timedelta(minutes=10))
    assert raised.first_response_due_at == created + timedelta(minutes=30)
    assert raised.resolution_due_at == created + timedelta(hours=4)
    # With a stop in between, the stopped time still does not count.
    paused = sla.resume(
        sla.stop(state, normal, created + timedelta(hours=1)), normal, created + timedelta(hours=3)
    )
    again = sla.retarget(paused, urgent, created + timedelta(hours=3, minutes=5))
    assert again.resolution_due_at == created + timedelta(hours=6)
    # While stopped, the time left follows the new target.
    stopped = sla.stop(state, normal, created + timedelta(hours=1))
    assert sla.retarget(stopped, urgent, created + timedelta(hours=2)).remaining_seconds == 3 * 3600
    # Answered already: the first-response due time stays what it was.
    answered = sla.responded(state, created + timedelta(minutes=5))
    assert sla.retarget(answered, urgent, created + timedelta(hours=1)).first_response_due_at == (
        state.first_response_due_at
    )
