"""Every operation needs a verified bearer token: RS256/ES256 against the JWKS in production, HS256 only in
development; expired, early, foreign, forged and unsigned tokens are refused with a clear 401."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from core.settings import Settings
from tests import auth
from tests.auth import AUDIENCE, ISSUER, IdentityProvider
from tests.servers import in_process

QUERY = {"query": "{ customers(first: 1) { totalCount } }"}


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> IdentityProvider:
    return IdentityProvider(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="module")
async def production(settings: Settings, idp: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(
        idp.settings(settings).model_copy(update={"profile": "production"}), headers={}
    ) as http:
        yield http


async def _status(http: httpx.AsyncClient, token: str | None) -> tuple[int, str]:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    response = await http.post("/graphql", json=QUERY, headers=headers)
    if response.status_code == 200:
        assert "errors" not in response.json(), response.json()
        return 200, ""
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"] == "Bearer"
    return response.status_code, error["message"]


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_tokens_of_the_identity_provider_are_accepted(
    production: httpx.AsyncClient, idp: IdentityProvider, alg: str
) -> None:
    assert await _status(production, idp.token(alg)) == (200, "")


def _signed(key: object, kid: str, **claims: object) -> str:
    now = int(time.time())
    body = {"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 600, **claims}
    return jwt.encode(body, key, "RS256", headers={"kid": kid})  # type: ignore[arg-type]


def _cases(idp: IdentityProvider) -> dict[str, tuple[str | None, str]]:
    now = int(time.time())
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unsigned = jwt.encode({"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 600}, None, "none")  # type: ignore[arg-type]
    return {
        "no token": (None, "Authentication required"),
        "not a JWT": ("abc.def", "not a JWT"),
        "expired": (idp.token(exp=now - 120), "expired"),
        "not yet valid": (idp.token(nbf=now + 600), "not valid yet"),
        "wrong issuer": (idp.token(iss="https://evil.example"), "issuer"),
        "wrong audience": (idp.token(aud="another-api"), "audience"),
        "bad signature": (_signed(stranger, "rsa-1"), "signature"),
        "alg none": (unsigned, "'none' are not accepted"),
        "HS256 in production": (
            auth.dev_token(),
            "HS256 tokens are accepted only in the development profile",
        ),
        "unknown key": (_signed(idp.rsa, "rotated-away"), "signing key"),
        "no subject": (idp.token(sub=""), "sub"),
    }


CASES = ["no token", "not a JWT", "expired", "not yet valid", "wrong issuer", "wrong audience", "bad signature",
         "alg none", "HS256 in production", "unknown key", "no subject"]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
async def test_bad_tokens_are_refused_with_a_clear_error(
    production: httpx.AsyncClient, idp: IdentityProvider, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    token, reason = _cases(idp)[case]
    caplog.set_level(logging.DEBUG)
    status, message = await _status(production, token)
    assert status == 401
    assert reason in message
    if token:
        assert token not in caplog.text  # a refused token is never logged


async def test_the_development_profile_takes_its_own_hs256_tokens(client: httpx.AsyncClient) -> None:
    assert await _status(client, auth.dev_token(("agent",))) == (200, "")
    claims = {"sub": "x", "iss": "c360-dev", "aud": "c360", "exp": int(time.time()) + 60}
    wrong = jwt.encode(claims, "a-guessed-secret-that-is-long-enough-for-hs256", "HS256")
    status, message = await _status(client, wrong)
    assert status == 401
    assert "signature" in message


async def test_only_health_and_the_graphiql_page_answer_without_a_token(client: httpx.AsyncClient) -> None:
    anonymous = {"authorization": ""}
    assert (await client.get("/healthz", headers=anonymous)).status_code == 200
    page = await client.get("/graphql", headers={**anonymous, "accept": "text/html"})
    assert page.status_code == 200
    assert "GraphiQL" in page.text
    for path in ("/graphql", "/subgraphs/orders/graphql", "/subgraphs/profiles/graphql"):
        response = await client.post(path, json={"query": "{ __typename }"}, headers=anonymous)
        assert response.status_code == 401, path
