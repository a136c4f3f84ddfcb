"""The committed SDL is the code's schema, and no commit breaks clients without saying so in schema.breaking."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT
from schema import sdl

FILES = sdl.expected_files()


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout


def _previous_version(path: Path) -> str | None:
    """The newest committed version of ``path`` that differs from the file as it is now (None: no history)."""
    relative = str(path.relative_to(PROJECT_ROOT))
    current = path.read_text()
    for commit in _git("log", "--format=%H", "--", relative).split():
        text = _git("show", f"{commit}:{relative}")
        if text != current:
            return text
    return None


@pytest.mark.parametrize("path", list(FILES), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_committed_sdl_equals_the_code(path: Path) -> None:
    assert path.exists(), f"{path.name} is missing: run `uv run c360 schema --write`"
    assert path.read_text() == FILES[path], (
        f"{path.name} differs from the code: run `uv run c360 schema --write`"
    )


@pytest.mark.parametrize("path", list(FILES), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_no_breaking_change_unless_accepted(path: Path) -> None:
    previous = _previous_version(path)
    if previous is None:
        return  # the file's first version: nothing to break
    relative = path.relative_to(PROJECT_ROOT)
    accepted = sdl.accepted_changes()
    unaccepted = [
        f"{relative}: {change}"
        for change in sdl.breaking_changes(previous, path.read_text())
        if f"{relative}: {change}" not in accepted
    ]
    assert unaccepted == [], "breaking changes; list them in schema.breaking if they are meant"


def test_the_check_finds_removed_fields_and_narrowed_arguments() -> None:
    old = "type Query { a(first: Int): Int  b: String }"
    new = "type Query { a(first: Int!): Int }"
    assert sorted(sdl.breaking_changes(old, new)) == [
        "Argument Query.a(first:) has changed type from Int to Int!.",
        "Field Query.b was removed.",
    ]
    assert sdl.breaking_changes(new, old) == []  # additions and relaxed arguments break nobody


def test_accepted_changes_are_read_without_comments(tmp_path: Path) -> None:
    listed = tmp_path / "schema.breaking"
    listed.write_text("# accepted\nschema.graphql: Field Query.b was removed.  # renamed to c\n\n")
    assert sdl.accepted_changes(listed) == {"schema.graphql: Field Query.b was removed."}
