"""Idempotency keys of writes: a write sent again under the same key answers what the first one did and changes
nothing.

Each PostgreSQL subgraph that takes such writes keeps a ``<schema>.idempotency_keys`` table in its own database, so a
key commits (or vanishes) with the rows of its write. A key belongs to its caller (the principal's subject): two
callers never share one. The first write inserts the key at the start of its transaction; a second write with the
same key waits on that row's lock until the first commits, then reads the stored result. A key reused for a
different operation or different input is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from core.errors import BadUserInput

TABLE = "idempotency_keys"
MAX_KEY_LENGTH = 200


def table(metadata: sa.MetaData) -> sa.Table:
    """The keys table in a subgraph's schema (its ``models`` declare it, so migrations know it)."""
    return sa.Table(
        TABLE,
        metadata,
        sa.Column("actor", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("operation", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("result", JSONB, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
    )


class IdempotencyKeyReused(BadUserInput):
    """The key was used before for another operation or with other input."""

    code = "IDEMPOTENCY_KEY_REUSED"


@dataclass(frozen=True)
class Claim:
    """A key taken for a write: ``replayed`` holds the first write's result when this is a repeat."""

    schema: str
    actor: str
    key: str | None
    replayed: Any = None

    @property
    def is_replay(self) -> bool:
        return self.replayed is not None


def fingerprint(operation: str, arguments: Any) -> str:
    """What identifies a write's input: the same key with another input is refused, not replayed."""
    return hashlib.sha256(orjson.dumps([operation, arguments], option=orjson.OPT_SORT_KEYS)).hexdigest()


def check_key(key: str | None) -> None:
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise BadUserInput(f"An idempotency key has 1 to {MAX_KEY_LENGTH} characters")


async def claim(
    conn: asyncpg.Connection, schema: str, actor: str, key: str | None, operation: str, arguments: Any
) -> Claim:
    """Take ``key`` for this write inside the caller's transaction (no key: nothing to take)."""
    if key is None:
        return Claim(schema, actor, None)
    check_key(key)
    digest = fingerprint(operation, arguments)
    taken = await conn.fetchval(
        f'INSERT INTO "{schema}".{TABLE} (actor, key, operation, fingerprint) VALUES ($1, $2, $3, $4)'
        " ON CONFLICT DO NOTHING RETURNING true",
        actor,
        key,
        operation,
        digest,
    )
    if taken:
        return Claim(schema, actor, key)
    first = await conn.fetchrow(
        f'SELECT operation, fingerprint, result FROM "{schema}".{TABLE} WHERE actor = $1 AND key = $2',
        actor,
        key,
    )
    assert first is not None  # a key is never deleted while a transaction could see it
    if first["operation"] != operation or first["fingerprint"] != digest:
        raise IdempotencyKeyReused(
            f"The idempotency key was used before for {'another operation' if first['operation'] != operation else 'other input'}",
            operation=first["operation"],
        )
    return Claim(schema, actor, key, first["result"])


async def remember(conn: asyncpg.Connection, claim: Claim, result: Any) -> None:
    """Keep the write's result under its key (same transaction), for the repeats to answer."""
    if claim.key is None:
        return
    await conn.execute(
        f'UPDATE "{claim.schema}".{TABLE} SET result = $3 WHERE actor = $1 AND key = $2',
        claim.actor,
        claim.key,
        result,
    )
