"""Constraints and indexes of the identity and relationship graph, created idempotently at start."""

from __future__ import annotations

import asyncio
from typing import LiteralString

from core.errors import SourceUnavailable
from graph_store.driver import GraphStore

STATEMENTS: tuple[LiteralString, ...] = (
    "CREATE CONSTRAINT customer_id IF NOT EXISTS FOR (c:Customer) REQUIRE c.id IS UNIQUE",
    "CREATE CONSTRAINT identifier_key IF NOT EXISTS FOR (i:Identifier) REQUIRE i.key IS UNIQUE",
    "CREATE INDEX identifier_type IF NOT EXISTS FOR (i:Identifier) ON (i.type)",
    "CREATE CONSTRAINT household_id IF NOT EXISTS FOR (h:Household) REQUIRE h.id IS UNIQUE",
    "CREATE CONSTRAINT account_id IF NOT EXISTS FOR (a:Account) REQUIRE a.id IS UNIQUE",
    "CREATE INDEX account_name IF NOT EXISTS FOR (a:Account) ON (a.nameKey, a.id)",
    "CREATE TEXT INDEX account_name_text IF NOT EXISTS FOR (a:Account) ON (a.nameKey)",
    "CREATE CONSTRAINT source_record_key IF NOT EXISTS FOR (s:SourceRecord) REQUIRE s.key IS UNIQUE",
    "CREATE CONSTRAINT graph_lock_name IF NOT EXISTS FOR (l:GraphLock) REQUIRE l.name IS UNIQUE",
    "CREATE CONSTRAINT applied_event_key IF NOT EXISTS FOR (a:AppliedEvent) REQUIRE a.key IS UNIQUE",
    "CREATE INDEX applied_event_stream IF NOT EXISTS FOR (a:AppliedEvent) ON (a.stream, a.event)",
    # An erasure finds what other customers' records and history say of the subject's ids (graph_store/erasure.py).
    "CREATE INDEX source_record_origin IF NOT EXISTS FOR (s:SourceRecord) ON (s.origin)",
    "CREATE INDEX identity_event_other IF NOT EXISTS FOR (e:IdentityEvent) ON (e.other)",
)


async def ensure_constraints(store: GraphStore) -> None:
    for statement in STATEMENTS:
        await store.write(statement)


async def ensure_when_reachable(store: GraphStore, retry_every: float = 5.0) -> None:
    """Create the constraints as soon as Neo4j answers: the API starts while the graph is down and heals by itself."""
    while True:
        try:
            await ensure_constraints(store)
            return
        except SourceUnavailable:
            await asyncio.sleep(retry_every)
