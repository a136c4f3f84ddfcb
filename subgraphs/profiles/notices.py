"""Change notices of identity resolution: which customers' golden records changed, which were merged into which,
and which a split produced, sent from the relay's claim transaction, so they arrive when its write-back commits
(``core.events``; subscribers of ``customerEvents`` read the customers afresh). Keys only, in chunks that stay far
below PostgreSQL's 8,000-byte limit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import asyncpg

from core import events
from subgraphs.profiles.events import SCHEMA

CHANGED = "identity.changed"
SPLIT = "identity.split"
CHUNK = 100
"""Ids per notice: 100 UUIDs and their JSON stay under 4 KB."""


async def changed(
    conn: asyncpg.Connection, customers: Sequence[str], merged: Mapping[str, str], at: datetime
) -> None:
    """Customers whose golden record was rewritten; each merged-away id with its survivor."""
    pairs = [[loser, survivor] for loser, survivor in sorted(merged.items())]
    ids = sorted(customers)
    for n in range(0, len(pairs), CHUNK // 2):
        chunk = pairs[n : n + CHUNK // 2]
        keys = {"customers": sorted({s for _, s in chunk}), "merged": chunk}
        await events.notify(conn, events.Notice(SCHEMA, CHANGED, at, keys))
    for n in range(0, len(ids), CHUNK):
        await events.notify(
            conn, events.Notice(SCHEMA, CHANGED, at, {"customers": ids[n : n + CHUNK], "merged": []})
        )


async def split(conn: asyncpg.Connection, customers: Sequence[str], at: datetime) -> None:
    """The customers a split left (the first keeps the split customer's id)."""
    ids = sorted(customers)
    for n in range(0, len(ids), CHUNK):
        await events.notify(conn, events.Notice(SCHEMA, SPLIT, at, {"customers": ids[n : n + CHUNK]}))
