"""The one list of subgraphs, read by settings, migrations, the schema factory, the seed loader and every job.

It holds plain data (no GraphQL), so a process that is not the API (a relay, an erasure job, a migration run) can
ask which subgraphs exist and where each keeps its data without importing the schema.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subgraph:
    name: str
    """Also the package under ``subgraphs/``, the URL segment ``/subgraphs/<name>/graphql`` and, for PostgreSQL
    subgraphs, the PostgreSQL schema and the ``C360_<NAME>_DSN`` setting."""
    postgres: bool = True
    """Whether it keeps its data in PostgreSQL (its own schema, DSN, migrations and readiness check)."""
    description: str = ""


SUBGRAPHS: tuple[Subgraph, ...] = (
    Subgraph("profiles", description="golden records, identifiers, ingestion of source records"),
    Subgraph("orders", description="orders and their items"),
    Subgraph("tickets", description="service-desk tickets and comments"),
    Subgraph("interactions", description="touchpoints: calls, messages, visits"),
    Subgraph("relationships", postgres=False, description="households, accounts, referrals (Neo4j)"),
)
NAMES: tuple[str, ...] = tuple(s.name for s in SUBGRAPHS)
POSTGRES: tuple[str, ...] = tuple(s.name for s in SUBGRAPHS if s.postgres)
"""Subgraphs with a PostgreSQL schema, in migration order."""


def get(name: str) -> Subgraph:
    for subgraph in SUBGRAPHS:
        if subgraph.name == name:
            return subgraph
    raise KeyError(f"unknown subgraph {name!r}; choose from {', '.join(NAMES)}")
