"""Runtime configuration, read from environment variables (prefix ``C360_``) and an optional ``.env`` file.

Every connection setting is optional: when one is missing, ``c360.services`` provisions a local server and fills
it in, so a configured DSN or URI always wins over local provisioning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from core import registry

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SubgraphDsns(PydanticBaseSettingsSource):
    """``C360_<NAME>_DSN`` for each PostgreSQL subgraph of the registry, from the ``.env`` file and the environment.

    The variables follow the registry, so adding a subgraph adds its setting without another list of names.
    """

    def __init__(self, settings_cls: type[BaseSettings], *sources: EnvSettingsSource) -> None:
        super().__init__(settings_cls)
        self.sources = sources

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        dsns: dict[str, str] = {}
        for source in self.sources:  # later sources win: the environment over the .env file
            for name in registry.POSTGRES:
                value = source.env_vars.get(f"c360_{name}_dsn")
                if value:
                    dsns[name] = value
        return {"subgraph_dsns": dsns} if dsns else {}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="C360_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, description="Default PostgreSQL DSN for every subgraph without a DSN of its own."
    )
    subgraph_dsns: dict[str, str] = Field(
        default_factory=dict,
        description="A subgraph's own DSN by subgraph name (set as `C360_<NAME>_DSN`), else `database_url`.",
    )
    pg_pool_min: int = 1
    pg_pool_max: int = 10
    pg_command_timeout: float = 10.0
    pg_connect_timeout: float = 3.0

    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    neo4j_acquisition_timeout: float = 2.0
    neo4j_max_retry_time: float = 3.0

    state_dir: Path = PROJECT_ROOT / "var"
    local_pg_port: int = 54329
    local_neo4j_bolt_port: int = 17687

    default_phone_region: str = "CN"
    identity_rules: Path = PROJECT_ROOT / "config" / "identity_rules.toml"
    """Identity resolution rules (matching types, blocked values, limits, priorities, survivorship)."""
    max_page_size: int = 100
    max_query_depth: int = 10
    max_query_tokens: int = 2000
    max_aliases: int = 30
    max_body_bytes: int = 256 * 1024
    graphiql: bool = True
    gc_gen0_threshold: int = 20_000
    """Allocations between young-generation collections; 0 keeps Python's defaults (see ``app.tune_gc``)."""
    mask_errors: bool = True

    # Overload protection (web/): shed, rate-limit, and bound every request in time.
    max_in_flight: int = 16
    """GraphQL requests one process works on at once; more are answered 503 at once instead of queueing."""
    shed_retry_after: int = 1
    """Seconds a shed client is told to wait (``Retry-After`` of a 503)."""
    shed_loop_lag: float = 0.005
    """Event-loop lag (seconds) past which the in-flight bound shrinks, so refusals stay fast; 0 keeps it fixed."""
    request_timeout: float = 10.0
    """Deadline of a GraphQL request: its execution is cancelled then, and it answers 504 DEADLINE_EXCEEDED."""
    pg_statement_timeout: float = 8.0
    """PostgreSQL ``statement_timeout`` (seconds) on every pooled connection: below the request deadline."""
    neo4j_transaction_timeout: float = 8.0
    """Neo4j transaction timeout (seconds) of every query: below the request deadline."""
    body_timeout: float = 5.0
    """Seconds a request body may take to arrive in full before the request is answered 408."""
    header_timeout: float = 10.0
    """Seconds a connection may take to send a request's headers before it is closed."""
    keep_alive_timeout: float = 5.0
    """Seconds an idle keep-alive connection is kept open."""
    rate_limit_per_second: int = 0
    """Cost units (1 per request until cost estimates land) a client may spend per second; 0 turns it off."""
    rate_limit_burst: int = 0
    """Cost units a client may spend at once; 0 means ``2 × rate_limit_per_second``."""
    rate_limit_storage: str = "async+memory://"
    """Where budgets are counted (a ``limits`` storage URI); ``async+redis://host:6379`` shares them between processes."""

    def dsn_for(self, subgraph: str) -> str:
        """The DSN a subgraph reads from: its own setting, else the shared default."""
        dsn = self.subgraph_dsns.get(subgraph) or self.database_url
        if dsn is None:
            raise RuntimeError(
                f"No PostgreSQL DSN for subgraph {subgraph!r}: set C360_DATABASE_URL or C360_{subgraph.upper()}_DSN, "
                "or run `c360 services up`."
            )
        return dsn

    @property
    def services_configured(self) -> bool:
        return self.database_url is not None or all(s in self.subgraph_dsns for s in registry.POSTGRES)

    def shares_database(self, a: str, b: str) -> bool:
        """Whether two subgraphs read the same database, so one statement may join their tables."""
        return self.dsn_for(a) == self.dsn_for(b)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        env_sources = [s for s in (dotenv_settings, env_settings) if isinstance(s, EnvSettingsSource)]
        dsns = SubgraphDsns(settings_cls, *env_sources)
        return init_settings, dsns, env_settings, dotenv_settings, file_secret_settings
