"""The committed SDL files: the unified schema (``schema.graphql``) and each subgraph's federation SDL
(``schema/sdl/<name>.graphql``), and the breaking-change check that compares two versions of one.

Clients and gateways read these files; a change to the schema shows as a diff in review, and CI fails when the
code's schema differs from them (``c360 schema --write`` refreshes them) or when a change would break clients that
``schema.breaking`` does not accept.
"""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLSchema, build_schema, find_breaking_changes

from core import registry
from core.settings import PROJECT_ROOT, Settings
from schema.factory import subgraph_schema, unified_schema

UNIFIED_FILE = PROJECT_ROOT / "schema.graphql"
SUBGRAPH_DIR = PROJECT_ROOT / "schema" / "sdl"
ACCEPTED_FILE = PROJECT_ROOT / "schema.breaking"
"""Breaking changes a commit accepts, one per line as ``<file>: <description>``; ``#`` starts a comment."""


def unified_sdl(settings: Settings) -> str:
    return unified_schema(settings).as_str() + "\n"


def subgraph_sdl(name: str, settings: Settings) -> str:
    """The federation SDL a gateway fetches from ``_service`` (strawberry prints the same text there): with
    ``@key``, ``@external``, ``@link``…"""
    return str(subgraph_schema(name, settings)).rstrip("\n") + "\n"


def expected_files(settings: Settings | None = None) -> dict[Path, str]:
    """Every SDL file with the text the code's schemas print; independent of the environment's settings."""
    settings = settings or Settings(_env_file=None)
    files = {UNIFIED_FILE: unified_sdl(settings)}
    for name in registry.NAMES:
        files[SUBGRAPH_DIR / f"{name}.graphql"] = subgraph_sdl(name, settings)
    return files


def write_files() -> list[Path]:
    """Refresh the committed files; returns those whose text changed."""
    changed = []
    for path, text in expected_files().items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed


def build(sdl: str) -> GraphQLSchema:
    """A schema from committed SDL. Federation SDL applies directives it does not define (``@key``…), so SDL
    validation is skipped: the types, fields and arguments clients depend on are what the check compares."""
    return build_schema(sdl, assume_valid_sdl=True)


def breaking_changes(old_sdl: str, new_sdl: str) -> list[str]:
    return [change.description for change in find_breaking_changes(build(old_sdl), build(new_sdl))]


def accepted_changes(path: Path = ACCEPTED_FILE) -> set[str]:
    if not path.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {line for line in lines if line}
