"""Constraints and indexes of the identity graph, created idempotently at start."""

from __future__ import annotations

from typing import LiteralString

from graph_store.driver import GraphStore

STATEMENTS: tuple[LiteralString, ...] = (
    "CREATE CONSTRAINT customer_id IF NOT EXISTS FOR (c:Customer) REQUIRE c.id IS UNIQUE",
    "CREATE CONSTRAINT identifier_key IF NOT EXISTS FOR (i:Identifier) REQUIRE i.key IS UNIQUE",
    "CREATE INDEX identifier_type IF NOT EXISTS FOR (i:Identifier) ON (i.type)",
)


async def ensure_constraints(store: GraphStore) -> None:
    for statement in STATEMENTS:
        await store.write(statement)
