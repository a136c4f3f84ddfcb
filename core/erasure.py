"""Keyed hashes of erased values: what an erasure keeps so that it can recognise a value again without keeping it.

A tombstone holds ``HMAC-SHA256(secret, kind + ":" + value)`` of each identifier key (``phone:+8613800138000``) and
each customer id an erasure removed, never the value. Without the secret (``C360_ERASURE_SECRET``) the hashes cannot
be tested against guessed values, which a plain hash of a phone number could. The same hash of a rejected record's
identifiers lets an erasure find the rejections that carried them once their values are masked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Collection, Iterable
from typing import Any

import asyncpg

from core import outbox
from core.settings import Settings

IDENTIFIER = "identifier"
CUSTOMER = "customer"


class MissingSecret(RuntimeError):
    """Production needs ``C360_ERASURE_SECRET``: tombstones keyed by a generated secret would not survive a move."""


def secret(settings: Settings) -> bytes:
    """The erasure secret: configured, or (development only) generated once into the state directory (0600)."""
    if settings.erasure_secret is not None:
        return settings.erasure_secret.get_secret_value().encode()
    if not settings.development:
        raise MissingSecret("Set C360_ERASURE_SECRET: erasure and rejected records need it in production")
    path = settings.state_dir / "erasure-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


class Keyring:
    """Keyed hashes under one secret."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def of(cls, settings: Settings) -> Keyring:
        return cls(secret(settings))

    def hash(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def identifiers(self, keys: Iterable[str]) -> dict[str, str]:
        """Each identifier key (``type:value``, normalised) and its hash."""
        return {key: self.hash(IDENTIFIER, key) for key in keys}

    def customer(self, customer_id: str) -> str:
        return self.hash(CUSTOMER, str(customer_id))


def keyring_or_none(settings: Settings) -> Keyring | None:
    """The keyring, or ``None`` in production without ``C360_ERASURE_SECRET`` (no erasure can be requested then)."""
    try:
        return Keyring.of(settings)
    except MissingSecret:
        return None


def replacing(ids: Collection[str], pseudonym: str) -> Callable[[Any], Any]:
    """A walk over a JSON value that replaces every string equal to one of ``ids`` by ``pseudonym``."""
    erased = set(ids)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return pseudonym if value in erased else value
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk


def like_any(values: Collection[str]) -> list[str]:
    """``LIKE`` patterns that find any of ``values`` inside a text (a JSON document's)."""
    return ["%" + v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for v in values]


async def pseudonymise_outbox(
    conn: asyncpg.Connection, schema: str, customers: Collection[str], pseudonym: str
) -> int:
    """Every event of ``schema``'s outbox naming one of ``customers`` (in its payload or result) names the pseudonym
    instead; the number of events rewritten."""
    if not customers:
        return 0
    table = outbox.qualified(schema)
    rows = await conn.fetch(
        f"SELECT id, payload, result FROM {table} WHERE payload::text LIKE ANY($1::text[])"
        " OR coalesce(result::text, '') LIKE ANY($1::text[]) FOR UPDATE",
        like_any(customers),
    )
    walk = replacing(customers, pseudonym)
    for row in rows:
        await conn.execute(
            f"UPDATE {table} SET payload = $2, result = $3 WHERE id = $1",
            row["id"],
            walk(row["payload"]),
            walk(row["result"]),
        )
    return len(rows)


async def receipt(conn: asyncpg.Connection, schema: str, job: str, step: str) -> dict[str, int] | None:
    """What step ``step`` of ``job`` changed in ``schema``, if it committed there already (``None``: not yet)."""
    found = await conn.fetchval(
        f"SELECT payload FROM {outbox.qualified(schema)} WHERE kind = $1 AND payload->>'job' = $2"
        " AND payload->>'step' = $3",
        outbox.ERASED,
        job,
        step,
    )
    return dict(found["counts"]) if found is not None else None


async def confirm(
    conn: asyncpg.Connection, schema: str, job: str, step: str, pseudonym: str, counts: dict[str, int]
) -> None:
    """The step's receipt, in the step's own transaction: a ``customer.erased`` event for downstream consumers
    (marked applied: no consumer of this deployment reads it), which a rerun of the step finds."""
    await conn.execute(
        f"INSERT INTO {outbox.qualified(schema)} (kind, aggregate, payload, applied_at) VALUES ($1, 'erasure', $2,"
        " now())",
        outbox.ERASED,
        {"job": job, "step": step, "pseudonym": pseudonym, "counts": counts},
    )
