"""What the executor did, for ``/metrics`` and the tests: queries planned or handed to graphql-core (with the
reason), and whether a compiled query's statement was built or reused."""

from __future__ import annotations

from collections import Counter

from core.metrics import COMPILED_STATEMENTS, QUERY_EXECUTIONS

EXECUTIONS: Counter[str] = Counter()
"""``planned`` or ``graphql-core: <reason>`` (read by the tests)."""


def count(executor: str, reason: str = "") -> None:
    EXECUTIONS[f"{executor}: {reason}" if reason else executor] += 1
    QUERY_EXECUTIONS.labels(executor, reason).inc()


STATEMENTS: Counter[str] = Counter()
"""Compiled statements ``built`` or ``reused`` (read by the tests)."""


def count_statement(how: str) -> None:
    STATEMENTS[how] += 1
    COMPILED_STATEMENTS.labels(how).inc()
