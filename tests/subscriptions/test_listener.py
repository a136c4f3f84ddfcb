"""The change listener on real PostgreSQL: notices in commit order, a bounded buffer per subscriber (a subscriber
that falls behind is ended, the others go on), a lost connection ends every subscriber and is re-established, and
notices carry keys within PostgreSQL's limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from core.events import CHANNEL, Notice
from core.listener import APPLICATION, EventsInterrupted, Notices, SubscriberTooSlow, Subscription
from core.settings import Settings

WAIT = 30.0


@pytest.fixture
async def hub(settings: Settings) -> AsyncIterator[Notices]:
    notices = Notices([settings.dsn_for("tickets")], reconnect_pause=0.1)
    yield notices
    await notices.close()


async def _send(settings: Settings, *kinds: str) -> None:
    conn = await asyncpg.connect(settings.dsn_for("tickets"))
    try:
        async with conn.transaction():  # delivered together, in order, when this commits
            for n, kind in enumerate(kinds):
                notice = Notice("tests", kind, datetime.now(UTC), {"n": n})
                await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, notice.encode())
    finally:
        await conn.close()


async def _take(subscription: Subscription, count: int) -> list[int]:
    seen: list[int] = []
    async with asyncio.timeout(WAIT):
        async for notice in subscription.notices():
            seen.append(notice.keys["n"])
            if len(seen) == count:
                return seen
    return seen


async def test_a_subscriber_that_falls_behind_is_ended_and_the_others_go_on(
    hub: Notices, settings: Settings
) -> None:
    async with (
        hub.subscribe(lambda n: n.kind == "test.many", buffer=3) as slow,
        hub.subscribe(lambda n: n.kind == "test.many", buffer=100) as fast,
        hub.subscribe(lambda n: n.kind == "test.other", buffer=1) as elsewhere,
    ):
        await _send(settings, *["test.many"] * 6)
        assert await _take(fast, 6) == [0, 1, 2, 3, 4, 5]
        with pytest.raises(SubscriberTooSlow):
            await _take(slow, 6)  # its three buffered notices, then the end
        assert hub.subscribers == 2  # the slow one is gone; an unrelated one was never offered anything
        assert not elsewhere.closed


async def test_a_lost_connection_ends_subscribers_and_is_reestablished(
    hub: Notices, settings: Settings
) -> None:
    async with hub.subscribe(lambda n: True, buffer=10) as before:
        admin = await asyncpg.connect(settings.as_owner().dsn_for("tickets"))
        try:
            [pid] = hub.backends.values()
            name = await admin.fetchval("SELECT application_name FROM pg_stat_activity WHERE pid = $1", pid)
            assert name == APPLICATION
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        with pytest.raises(EventsInterrupted):
            await _take(before, 1)
    async with hub.subscribe(
        lambda n: n.kind == "test.back", buffer=10
    ) as after:  # waits for the new connection
        await _send(settings, "test.back")
        assert await _take(after, 1) == [0]


def test_a_notice_too_large_for_postgresql_is_refused() -> None:
    with pytest.raises(ValueError, match="NOTIFY limit"):
        Notice("tests", "test.big", datetime.now(UTC), {"ids": ["x" * 36] * 300}).encode()
    small = Notice("tests", "test.small", datetime(2026, 1, 1, tzinfo=UTC), {"ids": ["x" * 36] * 100})
    assert Notice.decode(small.encode()) == small
