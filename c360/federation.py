"""Composition of the subgraphs into a supergraph, with the composers gateways themselves use.

Both ``@theguild/federation-composition`` (Hive Gateway, Cosmo) and ``@apollo/composition`` (Apollo Router) run in
Node; ``scripts/federation`` pins them with a lock file and ``npm ci`` installs them on first use.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from graphql import lexicographic_sort_schema, print_schema

from core import registry
from core.settings import PROJECT_ROOT, Settings

TOOLS = PROJECT_ROOT / "scripts" / "federation"


class FederationToolError(RuntimeError):
    pass


@dataclass
class Composition:
    guild_errors: list[str]
    apollo_errors: list[str]
    apollo_hints: list[str] = field(default_factory=list)
    supergraph_sdl: str | None = None
    api_schema_sdl: str | None = None
    """The composed API schema (federation plumbing removed), printed sorted."""

    @property
    def ok(self) -> bool:
        return not self.guild_errors and not self.apollo_errors and self.supergraph_sdl is not None


def node_tools(directory: Path = TOOLS, ignore_scripts: bool = False) -> Path:
    """A Node tools directory with its npm packages installed (``npm ci`` once, from the lock file)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise FederationToolError(
            "Node.js 20+ and npm are needed for federation tooling (apt install nodejs npm)"
        )
    marker = directory / "node_modules" / ".package-lock.json"
    lock = directory / "package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        if ignore_scripts:
            command.append("--ignore-scripts")
        result = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise FederationToolError(f"npm ci failed in {directory}:\n{result.stderr}")
    return directory


def subgraph_sdls(settings: Settings) -> dict[str, str]:
    from schema import subgraph_schema

    sdls = {}
    for name in registry.NAMES:
        result = subgraph_schema(name, settings).execute_sync("{ _service { sdl } }")
        assert result.data is not None, result.errors
        sdls[name] = result.data["_service"]["sdl"]
    return sdls


def unified_sdl(settings: Settings) -> str:
    """The unified schema printed sorted, comparable with :attr:`Composition.api_schema_sdl`."""
    from schema import unified_schema

    return print_schema(lexicographic_sort_schema(unified_schema(settings)._schema))


def compose(
    settings: Settings,
    url_base: str = "http://127.0.0.1:8000",
    sdls: dict[str, str] | None = None,
    urls: dict[str, str] | None = None,
) -> Composition:
    """Compose every subgraph's SDL (or the given ones).

    Gateways find subgraph ``name`` at ``urls[name]`` when given (one process per subgraph), else at
    ``<url_base>/subgraphs/<name>/graphql`` (one process serving them all).
    """
    tools = node_tools()
    urls = urls or {}
    subgraphs = [
        {"name": name, "url": urls.get(name, f"{url_base.rstrip('/')}/subgraphs/{name}/graphql"), "sdl": sdl}
        for name, sdl in (sdls if sdls is not None else subgraph_sdls(settings)).items()
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(subgraphs, handle)
    try:
        result = subprocess.run(
            ["node", str(tools / "compose.mjs"), handle.name], capture_output=True, text=True, check=False
        )
    finally:
        Path(handle.name).unlink()
    if result.returncode != 0:
        raise FederationToolError(f"composition failed to run:\n{result.stderr}")
    report = json.loads(result.stdout)
    return Composition(
        guild_errors=report["guild"]["errors"],
        apollo_errors=report["apollo"]["errors"],
        apollo_hints=report["apollo"]["hints"],
        supergraph_sdl=report["supergraphSdl"],
        api_schema_sdl=report["apiSchemaSdl"],
    )
