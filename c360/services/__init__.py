"""Local PostgreSQL and Neo4j servers for machines without configured ones (no Docker needed)."""

from __future__ import annotations

from c360.services import neo4j, postgres
from core.settings import Settings


def ensure(settings: Settings) -> Settings:
    """Start whatever local server a missing connection setting needs, and return settings that point at it."""
    updates: dict[str, object] = {}
    if not settings.services_configured:
        updates["database_url"] = postgres.LocalPostgres(settings).ensure_running()
    if settings.neo4j_uri is None:
        uri, password = neo4j.LocalNeo4j(settings).ensure_running()
        updates |= {"neo4j_uri": uri, "neo4j_password": password, "neo4j_user": "neo4j"}
    return settings.model_copy(update=updates) if updates else settings
