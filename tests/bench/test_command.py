"""The benchmark's own command: ``python -m bench`` takes the documented options, and ``c360/`` never imports
``bench/`` (the product does not depend on its benchmark). No servers."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bench import data
from bench.__main__ import cli
from core.settings import PROJECT_ROOT


def test_python_m_bench_takes_the_documented_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for option in ("--size", "--duration", "--rounds", "--queries", "--steps", "--reseed"):
        assert option in done.stdout


def test_unknown_size_or_query_is_refused_before_anything_starts() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--size", "xl"]).exit_code == 2
    assert runner.invoke(cli, ["--queries", "q1,q9"]).exit_code == 2


def test_c360_imports_nothing_from_bench() -> None:
    found = []
    for path in (PROJECT_ROOT / "c360").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.name}: {n}" for n in names if n == "bench" or n.startswith("bench.")]
    assert found == []


def test_a_sizes_ports_move_with_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C360_BENCH_S_PG_PORT", "54479")
    monkeypatch.delenv("C360_BENCH_S_NEO4J_PORT", raising=False)
    assert data._port("s", "PG", 54379) == 54479
    assert data._port("s", "NEO4J", 17737) == 17737
