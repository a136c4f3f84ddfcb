"""The import rule of docs/architecture.md: every import points down the layers, never up or sideways."""

from __future__ import annotations

import ast
import subprocess

from core import registry
from core.settings import PROJECT_ROOT

LAYERS: dict[str, set[str]] = {
    # room: the rooms it may import (besides itself)
    "core": set(),
    "graph_store": {"core"},
    "subgraphs.kit": {"core", "graph_store"},
    "subgraphs.<domain>": {"core", "graph_store", "subgraphs.kit"},
    "resolvers": {"core", "graph_store", "subgraphs.kit", "subgraphs.<domain>"},
    "jobs": {"core", "graph_store", "subgraphs.kit", "subgraphs.<domain>"},
    "schema": {"core", "graph_store", "subgraphs.kit", "subgraphs.<domain>", "resolvers"},
    "app": {"core", "graph_store", "subgraphs.kit", "subgraphs.<domain>", "resolvers", "jobs", "schema"},
    "c360": {
        "core",
        "graph_store",
        "subgraphs.kit",
        "subgraphs.<domain>",
        "resolvers",
        "jobs",
        "schema",
        "app",
    },
    "bench": {
        "core",
        "graph_store",
        "subgraphs.kit",
        "subgraphs.<domain>",
        "resolvers",
        "jobs",
        "schema",
        "app",
        "c360",
    },
}
NO_GRAPHQL = {"core", "graph_store"}
"""Rooms that must work without the GraphQL stack (a relay or a migration imports them alone)."""
GRAPHQL_PACKAGES = {"strawberry", "graphql", "fastapi", "starlette"}


def _room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "subgraphs":
        if len(parts) == 1:
            return "subgraphs.kit"  # the package's own docstring module
        return "subgraphs.kit" if parts[1] == "kit" else "subgraphs.<domain>"
    return parts[0] if parts[0] in LAYERS else None


def _module_name(path: str) -> str:
    name = path.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def _imports(path: str, text: str) -> list[tuple[int, str]]:
    """Every module an import names: top-level, inside functions and under ``TYPE_CHECKING`` alike."""
    tree = ast.parse(text, path)
    found: list[tuple[int, str]] = []
    package = _module_name(path).rsplit(".", 0 if path.endswith("__init__.py") else 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                found.append((node.lineno, ".".join(p for p in (base, node.module) if p)))
            elif node.module:
                found.append((node.lineno, node.module))
    return found


def _sources() -> dict[str, str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {
        p: (PROJECT_ROOT / p).read_text()
        for p in listed
        if _room(_module_name(p)) is not None and (PROJECT_ROOT / p).exists()
    }


def violations(sources: dict[str, str]) -> list[str]:
    found: list[str] = []
    for path, text in sources.items():
        module = _module_name(path)
        room = _room(module)
        assert room is not None
        for line, imported in _imports(path, text):
            target = _room(imported)
            top = imported.split(".")[0]
            if room in NO_GRAPHQL and top in GRAPHQL_PACKAGES:
                found.append(f"{path}:{line} {room} imports {imported} (no GraphQL below subgraphs/)")
            if target is None or (target == room and room != "subgraphs.<domain>"):
                continue
            if room == target == "subgraphs.<domain>":
                if imported.split(".")[1] != module.split(".")[1]:
                    found.append(f"{path}:{line} imports the sibling subgraph {imported}")
                continue
            if target not in LAYERS[room]:
                found.append(f"{path}:{line} {room} imports {imported} ({target} is not below it)")
    return found


def test_every_import_points_down_the_layers() -> None:
    assert violations(_sources()) == []


def test_the_rule_catches_an_import_up_the_layers() -> None:
    """The checker itself: a module of core/ importing the schema, and a subgraph importing a sibling."""
    found = violations(
        {
            "core/_layout_probe.py": "from schema import PARTS\nimport strawberry\n",
            "subgraphs/orders/_layout_probe.py": "def f() -> None:\n    from subgraphs.tickets import x\n",
            "graph_store/_layout_probe.py": "from ..subgraphs.kit import context\n",
        }
    )
    assert any("graph_store/_layout_probe.py:1 graph_store imports subgraphs.kit" in v for v in found)
    assert any("core/_layout_probe.py:1 core imports schema" in v for v in found)
    assert any("core/_layout_probe.py:2 core imports strawberry" in v for v in found)
    assert any("subgraphs/orders/_layout_probe.py:2 imports the sibling subgraph" in v for v in found)


def test_every_registered_subgraph_has_a_room() -> None:
    rooms = {p.name for p in (PROJECT_ROOT / "subgraphs").iterdir() if (p / "__init__.py").exists()}
    assert rooms - {"kit"} == set(registry.NAMES)
