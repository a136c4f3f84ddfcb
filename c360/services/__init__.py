"""Local PostgreSQL and Neo4j servers for machines without configured ones (no Docker needed)."""

from __future__ import annotations

from c360.services import neo4j, postgres
from core.settings import Settings


def ensure(settings: Settings) -> Settings:
    """Start whatever local server a missing connection setting needs, and return settings that point at it.

    The local PostgreSQL gives the API its own role (``database_url``) and migrations the schemas' owner
    (``migration_database_url``), with ``app_db_role`` naming the role that migrations grant.
    """
    updates: dict[str, object] = {}
    if not settings.services_configured:
        app_dsn, owner_dsn = postgres.LocalPostgres(settings).ensure_running()
        updates |= {
            "database_url": app_dsn,
            "migration_database_url": owner_dsn,
            "app_db_role": postgres.APP_ROLE,
        }
    if settings.neo4j_uri is None:
        uri, password = neo4j.LocalNeo4j(settings).ensure_running()
        updates |= {"neo4j_uri": uri, "neo4j_password": password, "neo4j_user": "neo4j"}
    return settings.model_copy(update=updates) if updates else settings
