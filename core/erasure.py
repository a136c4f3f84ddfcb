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
from collections.abc import Iterable

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
