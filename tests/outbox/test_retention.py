"""Retention: applied outbox events leave every subgraph's outbox after ``outbox_retention_days``, events set aside
after ``outbox_failed_retention_days``, rejected records after ``rejected_retention_days``; pending events never."""

from __future__ import annotations

import asyncpg

from core import registry, retention
from core.settings import Settings


async def test_retention_deletes_what_has_served_its_purpose_and_keeps_the_rest(
    settings: Settings, pg: asyncpg.Connection
) -> None:
    kept = {}
    for name in registry.POSTGRES:
        rows = await pg.fetch(
            f"""INSERT INTO "{name}".outbox (kind, aggregate, payload, created_at, applied_at, failed_at) VALUES
            ('test.retention', 'test', '{{}}', now() - interval '9 days', now() - interval '8 days', NULL),
            ('test.retention', 'test', '{{}}', now() - interval '2 days', now() - interval '1 day', NULL),
            ('test.retention', 'test', '{{}}', now() - interval '40 days', NULL, NULL),
            ('test.retention', 'test', '{{}}', now() - interval '40 days', NULL, now() - interval '31 days'),
            ('test.retention', 'test', '{{}}', now() - interval '12 days', NULL, now() - interval '10 days')
            RETURNING id"""
        )
        ids = [r["id"] for r in rows]
        kept[name] = {ids[1], ids[2], ids[4]}  # the applied 8 days ago and the set aside 31 days ago go
    rejected = await pg.fetch(
        "INSERT INTO profiles.rejected_records (system, external_id, errors, payload, received_at) VALUES"
        " ('retention', 'old', '[]', '{}', now() - interval '31 days'),"
        " ('retention', 'new', '[]', '{}', now() - interval '29 days') RETURNING id, external_id"
    )
    try:
        # (The API processes of the session run the same pass at start and hourly: whichever pass meets these rows,
        # the outcome is the same.)
        await retention.prune(settings)
        for name in registry.POSTGRES:
            left = {
                r["id"]
                for r in await pg.fetch(f"""SELECT id FROM "{name}".outbox WHERE kind = 'test.retention'""")
            }
            assert left == kept[name], name
        assert [r["external_id"] for r in await pg.fetch(
            "SELECT external_id FROM profiles.rejected_records WHERE system = 'retention'"
        )] == ["new"]  # fmt: skip
        off = settings.model_copy(update={"outbox_retention_days": 0, "outbox_failed_retention_days": 0,
                                          "rejected_retention_days": 0})  # fmt: skip
        assert not any((await retention.prune(off)).values())
    finally:
        for name in registry.POSTGRES:
            await pg.execute(f"""DELETE FROM "{name}".outbox WHERE kind = 'test.retention'""")
        await pg.execute("DELETE FROM profiles.rejected_records WHERE system = 'retention'")
    assert len(rejected) == 2
