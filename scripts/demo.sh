#!/usr/bin/env bash
# One command to a running demo: installs prerequisites, starts local PostgreSQL and Neo4j unless C360_DATABASE_URL /
# C360_NEO4J_URI are set, migrates, seeds 2,000 customers and serves GraphiQL at http://127.0.0.1:8000/graphql.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec bash scripts/uv.sh run --frozen c360 demo "$@"
