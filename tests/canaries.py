"""Canary personal data: one customer whose every value is a unique marker, and a watch over every response the
tests' in-process clients receive.

A marker may appear in a response only when the caller's roles may read its data class unmasked (the policy file's
``allow``); anywhere else, masked values included, it is a leak. The session fails if any response leaked, and the
canary's markers are also log canaries (``tests/conftest.py``).
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import jwt

from core.policy import Decision, Policy
from core.settings import PROJECT_ROOT, Settings
from graph_store.identifiers import IdentifierType, normalize
from tests import fixtures, recorded

CANARY = "0a1b2c3d-0000-4000-8000-0000000000c1"
CANARY_ORDER, CANARY_TICKET, CANARY_INTERACTION = 900901, 800901, 700901
T0 = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)

PHONE = "13702468135"
EMAIL = "zhuque.canary.q7@example.net"
UNIONID = "o6_ZhuqueCanaryUnion"
OPENID = "oXZhuqueCanaryOpen"
NATIONAL_ID = "11010519491231002X"
DEVICE = "zq7-canary-device-5e1f"
GIVEN, FAMILY = "Zhuqueq", "Canaryx"
FULL_NAME = f"{GIVEN} {FAMILY}"

MARKERS: dict[str, str] = {
    PHONE: "contact_pii",
    EMAIL: "contact_pii",
    UNIONID: "contact_pii",
    OPENID: "contact_pii",
    GIVEN: "contact_pii",
    FAMILY: "contact_pii",
    NATIONAL_ID: "sensitive_pi",
    DEVICE: "internal",
}
"""Marker → the data class of the fields that hold it."""

JSON_TYPES = ("application/json", "application/graphql-response+json")


async def load(settings: Settings) -> None:
    """The canary customer, with an order, a ticket and an interaction, beside the other fixtures."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(
            "INSERT INTO profiles.customers (id, given_name, family_name, full_name, gender, city, region,"
            " country_code, loyalty_tier, loyalty_points, status, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, 'female', 'Suzhou', 'Jiangsu', 'CN', 'silver', 77, 'active', $5, $5)",
            uuid.UUID(CANARY),
            GIVEN,
            FAMILY,
            FULL_NAME,
            T0,
        )
        await conn.execute(
            "INSERT INTO orders.orders (id, customer_id, channel, store_code, status, currency, subtotal, discount,"
            " shipping, total, placed_at, business_unit)"
            " VALUES ($1, $2, 'online', NULL, 'paid', 'CNY', 42, 0, 0, 42, $3, 'ecommerce')",
            CANARY_ORDER,
            uuid.UUID(CANARY),
            T0,
        )
        await conn.execute(
            "INSERT INTO tickets.tickets (id, customer_id, subject, description, status, priority, channel,"
            " assignee, created_at, updated_at, resolved_at, sla_due_at, business_unit)"
            " VALUES ($1, $2, 'Parcel missing', 'details', 'open', 'normal', 'phone', 'agent.wu', $3, $3, NULL, $3,"
            " 'service')",
            CANARY_TICKET,
            uuid.UUID(CANARY),
            T0,
        )
        await conn.execute(
            "INSERT INTO interactions.interactions (id, customer_id, kind, channel, occurred_at, summary, payload,"
            " business_unit) VALUES ($1, $2, 'call', 'test', $3, 'Asked about a parcel', '{}'::jsonb, 'service')",
            CANARY_INTERACTION,
            uuid.UUID(CANARY),
            T0,
        )
    finally:
        await conn.close()
    entries = [
        (IdentifierType.PHONE, PHONE, None),
        (IdentifierType.EMAIL, EMAIL, None),
        (IdentifierType.WECHAT_UNIONID, UNIONID, None),
        (IdentifierType.WECHAT_OPENID, OPENID, "wxAPP1"),
        (IdentifierType.NATIONAL_ID, NATIONAL_ID, None),
        (IdentifierType.DEVICE_ID, DEVICE, None),
    ]
    links = []
    for kind, raw, app_id in entries:
        ident = normalize(kind, raw, app_id=app_id)
        links.append(
            {
                "customer": CANARY,
                "type": kind.value,
                "value": ident.value,
                "key": ident.key,
                "raw": raw,
                "source": "crm",
                "observedAt": T0,
            }
        )
    await fixtures.load_identity_links(settings, links)


def _roles(authorization: str | None) -> frozenset[str]:
    """The roles a request's token claims (the API verified it; the watch only needs to know who asked)."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return frozenset()
    try:
        claims: dict[str, Any] = jwt.decode(authorization[7:], options={"verify_signature": False})
    except jwt.PyJWTError:
        return frozenset()
    roles = claims.get("roles") or []
    return frozenset(roles.split() if isinstance(roles, str) else roles)


class Watch:
    """Every JSON response body the tests receive, checked for markers the caller may not read."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.responses = 0
        self.shown: Counter[str] = Counter()
        """Marker → responses that rightly showed it (the watch is not vacuous)."""
        self.leaks: list[str] = []

    def inspect(self, authorization: str | None, path: str, body: bytes) -> None:
        self.responses += 1
        text = body.decode("utf-8", "replace")
        roles = _roles(authorization)
        for marker, data_class in MARKERS.items():
            if marker not in text:
                continue
            if self.policy.decide(roles, data_class) is Decision.ALLOW:
                self.shown[marker] += 1
            else:
                self.leaks.append(f"{path}: {data_class} marker shown to roles {sorted(roles)}")


WATCH = Watch(Policy.load(PROJECT_ROOT / "config" / "policy.toml"))


class Watched(httpx.AsyncBaseTransport):
    """A transport that hands every JSON response to the session's :data:`WATCH`, and keeps every GraphQL request
    it carries in :data:`tests.recorded.REQUESTS` (the differential tests replay the queries among them)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, record: bool = True) -> None:
        self.inner = inner
        self.record = record

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.record:
            recorded.keep(request)
        response = await self.inner.handle_async_request(request)
        if response.headers.get("content-type", "").startswith(JSON_TYPES):
            body = await response.aread()
            WATCH.inspect(request.headers.get("authorization"), request.url.path, body)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def transport(app: Any, record: bool = True) -> Watched:
    """An in-process transport to ``app``, watched (and recorded, unless it is a replay)."""
    return Watched(httpx.ASGITransport(app=app), record)
