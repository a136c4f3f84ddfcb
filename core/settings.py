"""Runtime configuration, read from environment variables (prefix ``C360_``) and an optional ``.env`` file.

Every connection setting is optional: when one is missing, ``c360.services`` provisions a local server and fills
it in, so a configured DSN or URI always wins over local provisioning.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUBGRAPHS = ("profiles", "orders", "tickets", "interactions")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="C360_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, description="Default PostgreSQL DSN for every subgraph without a DSN of its own."
    )
    profiles_dsn: str | None = None
    orders_dsn: str | None = None
    tickets_dsn: str | None = None
    interactions_dsn: str | None = None
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

    def dsn_for(self, subgraph: str) -> str:
        """The DSN a subgraph reads from: its own setting, else the shared default."""
        own: str | None = getattr(self, f"{subgraph}_dsn")
        dsn = own or self.database_url
        if dsn is None:
            raise RuntimeError(
                f"No PostgreSQL DSN for subgraph {subgraph!r}: set C360_DATABASE_URL or C360_{subgraph.upper()}_DSN, "
                "or run `c360 services up`."
            )
        return dsn

    @property
    def services_configured(self) -> bool:
        return self.database_url is not None or all(getattr(self, f"{s}_dsn") for s in SUBGRAPHS)
