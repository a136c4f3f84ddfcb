"""The benchmark's own identity provider: the API runs in the production profile, verifying RS256 tokens against a
JWKS file, as users run it; every request the harness or the load driver sends to it carries a bearer token."""

from __future__ import annotations

import functools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER, AUDIENCE, KID = "https://idp.bench.c360", "c360-bench", "bench-1"


@functools.cache
def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def _jwks_file() -> Path:
    public: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(_key().public_key()))
    path = Path(tempfile.mkdtemp(prefix="c360-bench-idp-")) / "jwks.json"
    path.write_text(json.dumps({"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}))
    return path


def env() -> dict[str, str]:
    """Settings that make the API verify the benchmark's tokens."""
    return {
        "C360_AUTH_JWKS_FILE": str(_jwks_file()),
        "C360_AUTH_ISSUER": ISSUER,
        "C360_AUTH_AUDIENCE": AUDIENCE,
    }


def settings() -> dict[str, object]:
    """The same, as settings fields, for an API made in process."""
    return {"auth_jwks_file": _jwks_file(), "auth_issuer": ISSUER, "auth_audience": AUDIENCE}


@functools.cache
def headers(hours: int = 12) -> dict[str, str]:
    """A token for the whole run, with the administrator's role (nothing masked, nothing scoped)."""
    now = int(time.time())
    claims = {
        "sub": "bench",
        "roles": ["admin"],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + hours * 3600,
    }
    token = jwt.encode(claims, _key(), algorithm="RS256", headers={"kid": KID})
    return {"authorization": f"Bearer {token}"}
