"""Alembic, once per subgraph: each subgraph migrates its own PostgreSQL schema on its own DSN.

Every ``subgraphs/<name>/migrations`` folder is an Alembic script location whose ``env.py`` calls :func:`run_env`,
and keeps its version table inside the subgraph's schema, so subgraphs can live in separate databases.
"""

from __future__ import annotations

import asyncio

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from core import registry
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
        command.upgrade(alembic_config(subgraph, settings.dsn_for(subgraph)), revision)


def downgrade(settings: Settings, revision: str = "base") -> None:
    for subgraph in reversed(registry.POSTGRES):
        command.downgrade(alembic_config(subgraph, settings.dsn_for(subgraph)), revision)


def new_revision(settings: Settings, subgraph: str, message: str) -> None:
    """Autogenerate a revision from the subgraph's SQLModel tables against its current database."""
    command.revision(alembic_config(subgraph, settings.dsn_for(subgraph)), message=message, autogenerate=True)


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
