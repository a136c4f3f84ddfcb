#!/usr/bin/env bash
# The whole test suite against real PostgreSQL and Neo4j (local test servers on ports 54339/17697, or the ones
# C360_TEST_DATABASE_URL / C360_TEST_NEO4J_URI / C360_TEST_NEO4J_PASSWORD point at, with the schemas' owner in
# C360_TEST_MIGRATION_DATABASE_URL and the API's role in C360_TEST_APP_DB_ROLE), plus lint and type checks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
uv() { bash scripts/uv.sh "$@"; }
uv sync --frozen --quiet
uv run --frozen ruff check .
uv run --frozen ruff format --check .
uv run --frozen mypy .
uv run --frozen pytest "$@"
