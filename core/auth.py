"""Who is calling: a principal from a verified bearer JWT, built once per request.

Production verifies RS256/ES256 tokens against the keys of a JWKS (a file, or a URL fetched at start-up and
refreshed off the event loop, because PyJWT's ``PyJWKClient`` fetches with blocking urllib), checking issuer,
audience, expiry and not-before. The development profile also accepts HS256 tokens signed with a local secret, which
``c360 token`` mints; production refuses HS256 whatever the key. Claim names are settings, so any identity
provider's tokens map onto the same principal. A verified token is cached until it expires (at most
``auth_cache_seconds``), so a client's repeated requests cost one dictionary look-up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from core.errors import Unauthenticated
from core.settings import Settings

log = logging.getLogger("c360.auth")

ASYMMETRIC = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
DEV_ISSUER = "c360-dev"
DEV_AUDIENCE = "c360"


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    scopes: frozenset[str] = frozenset()
    accounts: frozenset[str] | None = None
    """Accounts whose contacts the caller may see; ``None``: not limited by account."""
    business_units: frozenset[str] | None = None
    """Business units whose records the caller may see; ``None``: not limited by business unit."""


def _claim_set(claims: dict[str, Any], name: str) -> frozenset[str] | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    raise Unauthenticated(f"Claim {name!r} must be a string or a list of strings")


def principal_from_claims(claims: dict[str, Any], settings: Settings) -> Principal:
    subject = claims.get(settings.auth_claim_subject)
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated(f"The token has no {settings.auth_claim_subject!r} claim")
    return Principal(
        subject=subject,
        roles=_claim_set(claims, settings.auth_claim_roles) or frozenset(),
        scopes=_claim_set(claims, settings.auth_claim_scopes) or frozenset(),
        accounts=_claim_set(claims, settings.auth_claim_accounts),
        business_units=_claim_set(claims, settings.auth_claim_business_units),
    )


def dev_secret(settings: Settings) -> str:
    """The development profile's HS256 secret: configured, or generated once into the state directory (0600)."""
    if settings.auth_dev_secret is not None:
        return settings.auth_dev_secret.get_secret_value()
    path = settings.state_dir / "dev-token-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def mint_dev_token(
    settings: Settings,
    subject: str,
    roles: list[str],
    *,
    ttl_seconds: int = 8 * 3600,
    extra: dict[str, Any] | None = None,
) -> str:
    """An HS256 token the development profile accepts (never production)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        settings.auth_claim_subject: subject,
        settings.auth_claim_roles: roles,
        "iss": settings.auth_issuer or DEV_ISSUER,
        "aud": settings.auth_audience or DEV_AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        **(extra or {}),
    }
    return jwt.encode(claims, dev_secret(settings), algorithm="HS256")


@dataclass
class _Keys:
    by_kid: dict[str, jwt.PyJWK] = field(default_factory=dict)

    def load(self, document: dict[str, Any]) -> None:
        keys = jwt.PyJWKSet.from_dict(document).keys
        self.by_kid = {key.key_id or "": key for key in keys}


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._keys = _Keys()
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._secret = dev_secret(settings) if settings.development else None
        if settings.auth_jwks_file is not None:
            self._keys.load(json.loads(Path(settings.auth_jwks_file).read_text()))
        if not settings.development and settings.auth_jwks_file is None and settings.auth_jwks_url is None:
            log.warning(
                "no JWKS configured (C360_AUTH_JWKS_FILE or C360_AUTH_JWKS_URL): every request is refused"
            )

    async def refresh(self) -> None:
        """Fetch the JWKS URL in a thread: the event loop never waits on the identity provider."""
        url = self.settings.auth_jwks_url
        if url is None:
            return

        def fetch() -> dict[str, Any]:
            with urllib.request.urlopen(url, timeout=5) as response:
                document: dict[str, Any] = json.loads(response.read())
                return document

        self._keys.load(await asyncio.to_thread(fetch))

    async def keep_fresh(self) -> None:
        while True:
            try:
                await self.refresh()
            except (OSError, ValueError, jwt.PyJWTError) as exc:
                log.warning("JWKS refresh failed: %s", type(exc).__name__)
            await asyncio.sleep(self.settings.auth_jwks_refresh_seconds)

    def principal(self, authorization: str | None) -> Principal:
        """The caller of a request with this ``Authorization`` header, or :class:`Unauthenticated`."""
        if not authorization:
            raise Unauthenticated("Authentication required: send a bearer token (Authorization: Bearer …)")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("The Authorization header must be `Bearer <token>`")
        cached = self._cache.get(token)
        now = time.time()
        if cached is not None and cached[1] > now:
            return cached[0]
        principal, expires = self._verify(token)
        self._cache[token] = (principal, min(expires, now + self.settings.auth_cache_seconds))
        if len(self._cache) > 10_000:
            self._cache.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        s = self.settings
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise Unauthenticated("The bearer token is not a JWT") from None
        algorithm = header.get("alg")
        issuer: str | None
        audience: str | None
        if algorithm == "HS256" and self._secret is not None:
            key: Any = self._secret
            issuer, audience = s.auth_issuer or DEV_ISSUER, s.auth_audience or DEV_AUDIENCE
        elif algorithm in ASYMMETRIC and algorithm in s.auth_algorithms:
            found = self._keys.by_kid.get(header.get("kid") or "")
            if found is None:
                raise Unauthenticated("The token's signing key is not one of the configured keys")
            key, issuer, audience = found.key, s.auth_issuer, s.auth_audience
            if issuer is None or audience is None:
                raise Unauthenticated("The API has no token issuer and audience configured")
        elif algorithm == "HS256":
            raise Unauthenticated("HS256 tokens are accepted only in the development profile")
        else:
            raise Unauthenticated(f"Tokens signed with {str(algorithm)[:16]!r} are not accepted")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=issuer,
                audience=audience,
                leeway=s.auth_leeway_seconds,
                options={"require": ["exp", s.auth_claim_subject]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("The token has expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("The token is not valid yet") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("The token's issuer is not accepted") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("The token's audience is not this API") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("The token's signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"The token is invalid: {type(exc).__name__}") from None
        return principal_from_claims(claims, s), float(claims["exp"])
