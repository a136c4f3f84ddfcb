"""Both federation composers accept the five subgraphs, and the composed API is exactly the unified schema."""

from __future__ import annotations

import difflib

import pytest

from c360 import federation
from core import registry
from core.settings import Settings


@pytest.fixture(scope="module")
def composition() -> federation.Composition:
    return federation.compose(Settings(_env_file=None))


def test_both_composers_accept_every_subgraph(composition: federation.Composition) -> None:
    assert composition.guild_errors == []
    assert composition.apollo_errors == []
    assert composition.apollo_hints == []
    assert composition.supergraph_sdl is not None
    for name in registry.NAMES:
        assert f'@join__graph(name: "{name}", url: "http://127.0.0.1:8000/subgraphs/{name}/graphql")' in (
            composition.supergraph_sdl
        )


def test_composed_api_schema_equals_the_unified_schema(composition: federation.Composition) -> None:
    unified = federation.unified_sdl(Settings(_env_file=None))
    composed = composition.api_schema_sdl or ""
    drift = "\n".join(
        difflib.unified_diff(
            unified.splitlines(), composed.splitlines(), "unified", "supergraph", lineterm=""
        )
    )
    assert drift == "", drift
    assert "rollupCustomerIds" not in composed  # @inaccessible plumbing stays out of the API
    assert "_entities" not in composed


def test_a_broken_subgraph_fails_composition() -> None:
    """The check can fail: a PageInfo that is not shareable is rejected by both composers."""
    settings = Settings(_env_file=None)
    sdls = federation.subgraph_sdls(settings)
    sdls["orders"] = sdls["orders"].replace("type PageInfo @shareable", "type PageInfo")
    result = federation.compose(settings, sdls=sdls)
    assert not result.ok
    assert any("PageInfo" in e for e in result.guild_errors)
    assert any("PageInfo" in e for e in result.apollo_errors)
