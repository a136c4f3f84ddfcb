"""Runtime configuration, read from environment variables (prefix ``C360_``) and an optional ``.env`` file.

Every connection setting is optional: when one is missing, ``c360.services`` provisions a local server and fills
it in, so a configured DSN or URI always wins over local provisioning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
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
    """``C360_<NAME>_DSN`` and ``C360_<NAME>_MIGRATION_DSN`` for each PostgreSQL subgraph of the registry, from the
    ``.env`` file and the environment.

    The variables follow the registry, so adding a subgraph adds its setting without another list of names.
    """

    def __init__(self, settings_cls: type[BaseSettings], *sources: EnvSettingsSource) -> None:
        super().__init__(settings_cls)
        self.sources = sources

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, dict[str, str]] = {}
        for source in self.sources:  # later sources win: the environment over the .env file
            for name in registry.POSTGRES:
                for field_name, variable in (
                    ("subgraph_dsns", f"c360_{name}_dsn"),
                    ("subgraph_migration_dsns", f"c360_{name}_migration_dsn"),
                ):
                    value = source.env_vars.get(variable)
                    if value:
                        found.setdefault(field_name, {})[name] = value
        return dict(found)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="C360_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, description="Default PostgreSQL DSN for every subgraph without a DSN of its own."
    )
    subgraph_dsns: dict[str, str] = Field(
        default_factory=dict,
        description="A subgraph's own DSN by subgraph name (set as `C360_<NAME>_DSN`), else `database_url`.",
    )
    migration_database_url: str | None = Field(
        default=None,
        description="PostgreSQL DSN of the schemas' owner, for migrations and seeding; else `database_url`.",
    )
    subgraph_migration_dsns: dict[str, str] = Field(
        default_factory=dict,
        description="A subgraph's own owner DSN (set as `C360_<NAME>_MIGRATION_DSN`); else its `C360_<NAME>_DSN` "
        "when it has one, else `migration_database_url`.",
    )
    app_db_role: str | None = Field(
        default=None,
        description="The PostgreSQL role the API connects as: every migration run grants it the use of the "
        "subgraphs' schemas, tables and sequences, and nothing else. Unset: no grants are made.",
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
    matching_config: Path = PROJECT_ROOT / "config" / "matching" / "matching.toml"
    """The probabilistic matching model in use and its thresholds (``config/matching/matching.toml``)."""
    sla_policy: Path = PROJECT_ROOT / "config" / "sla.toml"
    """Service levels of tickets: first-response and resolution targets, business hours, the reopen window."""
    max_page_size: int = 100
    max_query_depth: int = 10
    """Fields above an operation's deepest field, introspection not counted (``schema/limits.py``)."""
    max_query_tokens: int = 2000
    max_aliases: int = 30
    max_query_cost: int = 100_000
    """Estimated fields an operation resolves, each list counted at its page size (``schema/limits.py``)."""
    max_fields: int = 500
    """Fields an operation selects once its fragments are expanded."""
    max_fragment_spreads: int = 100
    """Fragment spreads an operation holds once its fragments are expanded."""
    max_directives: int = 50
    """Directives an operation holds once its fragments are expanded."""
    query_cost_list_size: int = 10
    """Items the cost estimate counts for a list without a ``first`` argument."""
    max_body_bytes: int = 256 * 1024
    """Largest request body, except the bulk writes below."""
    max_bulk_body_bytes: int = 2 * 1024 * 1024
    """Largest body of a request whose every root field is a bulk write (``ingestSourceRecords``,
    ``ingestOrders``): 1,000 realistic source records take about 400 KB, and the API documents batches of 1,000."""
    max_input_depth: int = 32
    """Deepest nesting of lists and objects accepted in a request's variables and extensions."""
    max_string_length: int = 20_000
    """Longest string accepted in variables (and, by the validation rule, in a document's string literals)."""
    profile: Literal["development", "production"] = "production"
    """``production`` (the default; ``c360 demo`` and the tests use ``development``): no GraphiQL, no
    introspection, no field suggestions, subgraph endpoints only with the gateway's token, ``/readyz`` and
    ``/metrics`` only with the operations token."""
    graphiql: bool | None = None
    """Serve GraphiQL; unset: only in the development profile."""
    console: bool | None = None
    """Serve the service console page at ``/console``; unset: only in the development profile."""
    introspection: bool | None = None
    """Answer introspection queries to everyone; unset: only in the development profile."""
    introspection_roles: list[str] = Field(default_factory=lambda: ["developer", "admin"])
    """Roles that may introspect where introspection is not open to everyone (production)."""
    cors_origins: list[str] = Field(default_factory=list)
    """Browser origins allowed to call the API (JSON list, e.g. ``["https://console.example.cn"]``); none by default."""
    gateway_token: SecretStr | None = None
    """Bearer token a federation gateway sends to the subgraph endpoints (production profile)."""
    policy_file: Path = PROJECT_ROOT / "config" / "policy.toml"
    """Roles and which of them may call each root field and mutation."""
    auth_jwks_file: Path | None = None
    """JWKS of the identity provider, as a file (RS256/ES256 keys)."""
    auth_jwks_url: str | None = None
    """JWKS of the identity provider, fetched at start-up and every ``auth_jwks_refresh_seconds``."""
    auth_jwks_refresh_seconds: float = 600.0
    auth_issuer: str | None = None
    """Required ``iss`` of tokens (production: must be set; development default ``c360-dev``)."""
    auth_audience: str | None = None
    """Required ``aud`` of tokens (production: must be set; development default ``c360``)."""
    auth_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    auth_leeway_seconds: int = 30
    auth_cache_seconds: float = 60.0
    auth_dev_secret: SecretStr | None = None
    """HS256 secret of development tokens; unset: generated into the state directory. Ignored in production."""
    auth_claim_subject: str = "sub"
    auth_claim_roles: str = "roles"
    auth_claim_scopes: str = "scope"
    auth_claim_accounts: str = "c360_accounts"
    auth_claim_business_units: str = "c360_business_units"
    ops_token: SecretStr | None = None
    """Bearer token for ``/readyz`` and ``/metrics`` (production profile); unset, they answer 401 to everyone."""
    gc_gen0_threshold: int = 20_000
    """Allocations between young-generation collections; 0 keeps Python's defaults (see ``core.collector``)."""
    mask_errors: bool = True
    lean_http: bool = True
    """Answer repeated POSTed queries from the ASGI messages, without strawberry's view and per-request extension
    objects (``web/lean.py``); off, every request goes through strawberry's view."""
    planned_execution: bool = True
    """Run queries from cached plans, level by level in batches (``schema/execution``); off, graphql-core runs
    every operation (the reference the differential tests compare with)."""
    compiled_sql: bool = True
    """Run a planned query whose fields all read PostgreSQL rows of one database as one statement that builds its
    JSON in PostgreSQL (``schema/execution/compiled.py``); off, its plan runs the batch resolvers."""

    # The outbox and its relay (core/outbox.py, core/relay.py).
    ingest_wait: float = 2.0
    """Seconds ``ingestSourceRecords`` (and ``unmergeCustomer``) wait for the relay's outcome before answering
    ``ACCEPTED``; the records are durable in PostgreSQL either way."""
    relay_in_process: bool = True
    """Run a relay inside each API process (several may run: one applies at a time); off when ``c360 relay``
    workers do it alone."""
    relay_poll_interval: float = 1.0
    """Seconds between the relay's looks at the outbox when no ``NOTIFY`` woke it (a safety net)."""
    relay_batch_records: int = 2000
    """Source records the relay applies in one Neo4j transaction (at least one whole event)."""
    relay_pipeline: int = 4
    """Neo4j transactions one claim of the relay pipelines: the PostgreSQL write-back of one overlaps the graph
    transaction of the next, and the claim commits them together (``relay_batch_records`` × this per claim)."""
    relay_max_attempts: int = 10
    """Attempts after which an event that fails alone, other than by an outage, is set aside."""
    relay_transaction_timeout: float = 60.0
    """Neo4j transaction timeout (seconds) of the relay's writes."""
    outbox_degraded_after: float = 30.0
    """Age (seconds) of the oldest pending event past which ``/readyz`` says ``degraded``."""
    outbox_retention_days: float = 7.0
    """Days an applied outbox event (its payload and result) is kept before it is deleted; events set aside after
    repeated failures are kept ``outbox_failed_retention_days``. 0 turns the retention off."""
    outbox_failed_retention_days: float = 30.0
    rejected_retention_days: float = 30.0
    """Days a rejected source record is kept for review before it is deleted; 0 turns the retention off."""
    retention_interval: float = 3600.0
    """Seconds between two runs of the retention (in every process that runs a relay)."""

    # Erasure of data subjects (jobs/erasure.py, subgraphs/*/erasure.py).
    erasure_secret: SecretStr | None = None
    """Key of the keyed hashes (HMAC-SHA256) an erasure keeps of the identifiers it erased (its tombstones) and of
    rejected records' identifiers. Required in production; in development generated into the state directory.
    Changing it makes earlier tombstones unrecognisable."""
    erasure_in_process: bool = False
    """Run the erasure worker inside each API process. Off by default: its audit step rewrites the append-only
    audit, which only the schemas' owner may do, and the API connects as a role that may not; run
    ``c360 erase`` with the owner's credentials instead (``c360 demo`` turns it on: it holds them anyway)."""

    # Subscriptions (graphql-transport-ws on the GraphQL endpoints), fed by change notices (core/listener.py).
    subscription_buffer: int = 100
    """Events one subscriber may have waiting; past it the subscription ends (``SUBSCRIBER_TOO_SLOW``)."""
    max_subscriptions_per_connection: int = 20
    """Subscriptions one WebSocket connection may hold at once."""

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

    def migration_dsn_for(self, subgraph: str) -> str:
        """The DSN that migrates and seeds a subgraph: the owner of its schema, in the database the API reads."""
        own = self.subgraph_migration_dsns.get(subgraph)
        if own:
            return own
        if subgraph in self.subgraph_dsns:
            return self.subgraph_dsns[subgraph]
        return self.migration_database_url or self.dsn_for(subgraph)

    def as_owner(self) -> Settings:
        """These settings with every subgraph's DSN replaced by its owner DSN (for seeding and maintenance)."""
        return self.model_copy(
            update={
                "database_url": self.migration_database_url or self.database_url,
                "subgraph_dsns": {
                    name: self.migration_dsn_for(name)
                    for name in registry.POSTGRES
                    if name in self.subgraph_dsns or name in self.subgraph_migration_dsns
                },
            }
        )

    @property
    def development(self) -> bool:
        return self.profile == "development"

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.development

    @property
    def console_enabled(self) -> bool:
        return self.console if self.console is not None else self.development

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else self.development

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
