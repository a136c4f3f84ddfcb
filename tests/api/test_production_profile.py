"""The production profile: no GraphiQL, introspection or suggestions; subgraphs and operations behind tokens; CORS
only for listed origins."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from core.settings import Settings
from tests.auth import IdentityProvider
from tests.servers import in_process

GATEWAY, OPS = "gateway-secret-1", "ops-secret-2"
CONSOLE = "https://console.example.cn"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> IdentityProvider:
    return IdentityProvider(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="module")
async def production(settings: Settings, idp: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    prod = idp.settings(settings).model_copy(
        update={
            "profile": "production",
            "gateway_token": SecretStr(GATEWAY),
            "ops_token": SecretStr(OPS),
            "cors_origins": [CONSOLE],
        }
    )
    async with in_process(prod, headers={"authorization": f"Bearer {idp.token(roles=('agent',))}"}) as http:
        yield http


async def test_no_graphiql(production: httpx.AsyncClient) -> None:
    response = await production.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert (
        await production.get("/graphiql/assets/react@18.2.0/umd/react.production.min.js")
    ).status_code == 404


async def test_no_introspection_and_no_suggestions(production: httpx.AsyncClient) -> None:
    body = (await production.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
    assert body["data"] is None
    assert "introspection" in body["errors"][0]["message"].lower()
    body = (await production.post("/graphql", json={"query": "{ customr(id: 1) { id } }"})).json()
    assert body["errors"][0]["message"] == "Cannot query field 'customr' on type 'Query'."
    answered = (await production.post("/graphql", json={"query": "{ __typename }"})).json()
    assert answered == {"data": {"__typename": "Query"}}


async def test_developers_may_introspect_in_production(
    production: httpx.AsyncClient, idp: IdentityProvider
) -> None:
    query = {"query": "{ __schema { queryType { name } } }"}
    for role, allowed in (("developer", True), ("admin", True), ("agent", False), ("steward", False)):
        headers = {"authorization": f"Bearer {idp.token(roles=(role,))}"}
        body = (await production.post("/graphql", json=query, headers=headers)).json()
        assert (body.get("data") == {"__schema": {"queryType": {"name": "Query"}}}) == allowed, (role, body)


async def test_subgraph_endpoints_need_the_gateway_token(production: httpx.AsyncClient) -> None:
    query = {"query": "{ _service { sdl } }"}
    for headers in ({}, {"x-gateway-token": "wrong"}, {"authorization": f"Bearer {GATEWAY}"}):
        response = await production.post("/subgraphs/orders/graphql", json=query, headers=headers)
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    response = await production.post(
        "/subgraphs/orders/graphql", json=query, headers={"x-gateway-token": GATEWAY}
    )
    assert response.status_code == 200
    assert "type Order" in response.json()["data"]["_service"]["sdl"]


@pytest.mark.parametrize("path", ["/readyz", "/metrics"])
async def test_operations_endpoints_need_the_ops_token(production: httpx.AsyncClient, path: str) -> None:
    refused = await production.get(path)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert (await production.get(path, headers={"authorization": f"Bearer {GATEWAY}"})).status_code == 401
    assert (await production.get(path, headers={"authorization": f"Bearer {OPS}"})).status_code == 200
    assert (await production.get("/healthz")).status_code == 200


async def test_cors_preflight_for_listed_origins_only(production: httpx.AsyncClient) -> None:
    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    allowed = await production.options("/graphql", headers={"origin": CONSOLE, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == CONSOLE
    refused = await production.options("/graphql", headers={"origin": "https://evil.example", **preflight})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    simple = await production.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": CONSOLE})
    assert simple.headers["access-control-allow-origin"] == CONSOLE


async def test_default_settings_allow_no_origin() -> None:
    assert Settings(_env_file=None).cors_origins == []
    assert Settings(_env_file=None).profile == "production"
