"""Tokens for the tests: development HS256 tokens (the secret the test settings carry) and an RS256/ES256 identity
provider of the tests' own, with its JWKS file, for the production profile."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import SecretStr

from core.auth import mint_dev_token
from core.settings import Settings

SECRET = SecretStr("c360-test-development-secret-0123456789")
ISSUER, AUDIENCE = "https://idp.test.c360", "c360-api"


def dev_token(roles: tuple[str, ...] = ("admin",), subject: str = "test-admin", **claims: Any) -> str:
    return mint_dev_token(
        Settings(_env_file=None, auth_dev_secret=SECRET), subject, list(roles), extra=claims
    )


def headers(
    roles: tuple[str, ...] = ("admin",), subject: str = "test-admin", **claims: Any
) -> dict[str, str]:
    return {"authorization": f"Bearer {dev_token(roles, subject, **claims)}"}


class IdentityProvider:
    """An RSA and an EC signing key, published as a JWKS file the API is configured with."""

    def __init__(self, directory: Path) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        keys = []
        for kid, key, alg in (("rsa-1", self.rsa, "RS256"), ("ec-1", self.ec, "ES256")):
            public: dict[str, Any] = json.loads(
                jwt.algorithms.get_default_algorithms()[alg].to_jwk(key.public_key())
            )
            keys.append({**public, "kid": kid, "alg": alg, "use": "sig"})
        self.jwks_file = directory / "jwks.json"
        self.jwks_file.write_text(json.dumps({"keys": keys}))

    def settings(self, base: Settings) -> Settings:
        return base.model_copy(
            update={"auth_jwks_file": self.jwks_file, "auth_issuer": ISSUER, "auth_audience": AUDIENCE}
        )

    def token(self, alg: str = "RS256", roles: tuple[str, ...] = ("admin",), **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": "idp-user",
            "roles": list(roles),
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            **overrides,
        }
        key, kid = (self.rsa, "rsa-1") if alg.startswith("RS") else (self.ec, "ec-1")
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})
