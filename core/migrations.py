"""Alembic, once per subgraph: each subgraph migrates its own PostgreSQL schema on its own DSN.

Every ``subgraphs/<name>/migrations`` folder is an Alembic script location whose ``env.py`` calls :func:`run_env`,
and keeps its version table inside the subgraph's schema, so subgraphs can live in separate databases.

Migrations run on each subgraph's owner DSN (``Settings.migration_dsn_for``). When ``C360_APP_DB_ROLE`` names the
role the API connects as, every upgrade ends by granting that role the use of each subgraph's schema, the reading
and writing of its tables (only inserting into the audit's) and the use of its sequences, and nothing else
(:func:`grant_app_role`).
"""

from __future__ import annotations

import asyncio

import asyncpg
from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from core import audit, registry
from core.settings import PROJECT_ROOT, Settings


def sqlalchemy_url(dsn: str) -> str:
    scheme, rest = dsn.split("://", 1)
    return f"postgresql+asyncpg://{rest}" if scheme in ("postgres", "postgresql") else dsn


def alembic_config(subgraph: str, dsn: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "subgraphs" / subgraph / "migrations"))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(dsn).replace("%", "%%"))
    return cfg


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring every subgraph's schema to ``revision``; blocking, so call it outside a running event loop."""
    for subgraph in registry.POSTGRES:
        command.upgrade(alembic_config(subgraph, settings.migration_dsn_for(subgraph)), revision)
    grant_app_role(settings)


def downgrade(settings: Settings, revision: str = "base") -> None:
    for subgraph in reversed(registry.POSTGRES):
        command.downgrade(alembic_config(subgraph, settings.migration_dsn_for(subgraph)), revision)


def new_revision(settings: Settings, subgraph: str, message: str) -> None:
    """Autogenerate a revision from the subgraph's SQLModel tables against its current database."""
    command.revision(
        alembic_config(subgraph, settings.migration_dsn_for(subgraph)), message=message, autogenerate=True
    )


def app_grants(schema: str, role: str) -> list[str]:
    """The statements that let ``role`` use ``schema``'s tables and sequences, now and after later migrations.

    Only data: no ``CREATE`` on the schema, no ``TRUNCATE``, no writes to Alembic's version table, and only
    ``INSERT`` and ``SELECT`` on append-only tables (the audit). The default privileges apply to objects the
    migrating role creates later, so every new table is covered.
    """
    s, r = _ident(schema), _ident(role)
    append_only = [
        f"REVOKE UPDATE, DELETE ON {s}.{_ident(table.split('.', 1)[1])} FROM {r}"
        for table in audit.APPEND_ONLY
        if table.split(".", 1)[0] == schema
    ]
    return [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"REVOKE INSERT, UPDATE, DELETE ON {s}.alembic_version FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
        *append_only,
    ]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_app_role(settings: Settings) -> None:
    """Grant ``settings.app_db_role`` the use of every subgraph's schema (idempotent; nothing when unset)."""
    role = settings.app_db_role
    if not role:
        return

    async def grant(subgraph: str) -> None:
        conn = await asyncpg.connect(settings.migration_dsn_for(subgraph))
        try:
            found = await conn.fetchrow("SELECT rolsuper FROM pg_roles WHERE rolname = $1", role)
            if found is None:
                raise RuntimeError(
                    f"C360_APP_DB_ROLE names role {role!r}, which does not exist: create it (LOGIN, with a password)"
                )
            if found["rolsuper"]:
                raise RuntimeError(
                    f"C360_APP_DB_ROLE names role {role!r}, a superuser: use a role of its own"
                )
            if role == await conn.fetchval("SELECT current_user"):
                return  # the API migrates as itself: it owns the schema already
            async with conn.transaction():
                # Processes that start together (one per subgraph) would otherwise race on the same catalog rows.
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('c360:grant_app_role'))")
                for statement in app_grants(subgraph, role):
                    await conn.execute(statement)
        finally:
            await conn.close()

    async def main() -> None:
        for subgraph in registry.POSTGRES:
            await grant(subgraph)

    asyncio.run(main())


def run_env(metadata: MetaData, schema: str) -> None:
    """Body of each subgraph's ``env.py``."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None

    def include_name(name: str | None, type_: str, parent_names: object) -> bool:
        return name == schema if type_ == "schema" else True

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=include_name,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await conn.commit()
            await conn.run_sync(run)
            await conn.commit()
        await engine.dispose()

    asyncio.run(main())
