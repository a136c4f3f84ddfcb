"""The ``c360`` command: run the demo, serve the API, manage local services, seed data, print schemas."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import sqlalchemy.exc
import typer

from core import registry
from core.settings import PROJECT_ROOT, Settings

cli = typer.Typer(
    help="Customer 360: one GraphQL API over every system that knows your customers.",
    no_args_is_help=True,
    add_completion=False,
)
services_cli = typer.Typer(
    help="Local PostgreSQL and Neo4j servers (used when no DSN/URI is configured).", no_args_is_help=True
)
cli.add_typer(services_cli, name="services")
federation_cli = typer.Typer(
    help="Federation: compose the subgraphs into a supergraph.", no_args_is_help=True
)
cli.add_typer(federation_cli, name="federation")
matching_cli = typer.Typer(
    help="The probabilistic matching model: train it with Splink, show the one in use.", no_args_is_help=True
)
cli.add_typer(matching_cli, name="matching")

Host = Annotated[str, typer.Option(help="Interface to bind.")]
Port = Annotated[int, typer.Option(help="TCP port.")]


def _ready_settings() -> Settings:
    from c360 import services

    return services.ensure(Settings())


def _migrate(settings: Settings) -> None:
    from core import migrations

    migrations.upgrade(settings)


def _serve(settings: Settings, host: str, port: int, subgraph: str | None = None) -> None:
    import uvicorn

    from app import create_app
    from core import logs
    from web.server import uvicorn_options

    app = create_app(settings, subgraph)
    if subgraph is None:
        ide = " (GraphiQL)" if settings.graphiql_enabled else ""
        typer.echo(
            f"Customer 360 is up: http://{host}:{port}/graphql{ide}, profile {settings.profile}", err=True
        )
    if subgraph is None and settings.console_enabled:
        typer.echo(f"  service console: http://{host}:{port}/console", err=True)
    for name in registry.NAMES if subgraph is None else (subgraph,):
        typer.echo(f"  subgraph {name}: http://{host}:{port}/subgraphs/{name}/graphql", err=True)
    if settings.development:
        from core.auth import mint_dev_token

        bearer = mint_dev_token(settings, "demo-agent", ["agent"])
        typer.echo(
            "Every operation needs a bearer token. A development token (role agent, 8 hours) for GraphiQL's "
            f'Headers tab:\n  {{"Authorization": "Bearer {bearer}"}}\n'
            "Others: uv run c360 token --role <role> (roles: config/policy.toml)",
            err=True,
        )
    logs.configure("WARNING")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        log_config=None,
        loop="uvloop",
        **uvicorn_options(settings),
    )


@cli.command()
def demo(
    customers: Annotated[int, typer.Option(help="Customers to generate (100 to 100,000).")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 360,
    reseed: Annotated[
        bool, typer.Option(help="Regenerate data even if a data set of this size is loaded.")
    ] = False,
    host: Host = "127.0.0.1",
    port: Port = 8000,
) -> None:
    """Provision services, migrate, seed demo data and serve the API with GraphiQL."""
    from c360.seed.loader import customer_count

    # The demo is for exploring: GraphiQL, introspection and open subgraph endpoints (the development profile).
    # It runs the erasure worker in its process too: it holds the owner's credentials (local services) anyway.
    settings = _ready_settings().model_copy(update={"profile": "development", "erasure_in_process": True})
    _migrate(settings)
    if reseed or asyncio.run(customer_count(settings)) != customers:
        _seed(settings, customers, seed)
    else:
        typer.echo(f"Demo data already loaded ({customers} customers); --reseed regenerates it.", err=True)
    _serve(settings, host, port)


@cli.command()
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    subgraph: Annotated[
        str | None,
        typer.Option(help="Serve only this subgraph (a federated deployment runs one per process)."),
    ] = None,
) -> None:
    """Serve the API on the configured (or local) services, migrating them first when they answer."""
    settings = _ready_settings()
    try:
        _migrate(settings)
    except (OSError, sqlalchemy.exc.DBAPIError) as exc:
        # A store that is down must not keep the API from starting: /readyz names it, its fields say so, and the
        # pools connect when it returns. Run `c360 migrate` then if this deployment was never migrated.
        typer.echo(
            f"PostgreSQL is unreachable, migrations not applied ({type(exc).__name__}); serving anyway",
            err=True,
        )
    _serve(settings, host, port, subgraph)


@cli.command()
def migrate() -> None:
    """Apply every subgraph's database migrations."""
    _migrate(_ready_settings())
    typer.echo("migrations applied", err=True)


def _seed(settings: Settings, customers: int, seed_value: int) -> None:
    from c360.seed.loader import seed as run_seed

    # The demo's customers come with their source records, ingested through the identity stream (provenance and
    # history); the benchmark's data sets (bench/data.py) load in bulk only.
    report = asyncio.run(run_seed(settings, customers, seed_value, source_records=True))
    typer.echo(
        f"seeded {report.customers} customers, {report.rows} rows, {report.links} identity links "
        f"and {report.relationships} relationships "
        f"in {report.seconds:.1f}s",
        err=True,
    )


@cli.command()
def seed(
    customers: Annotated[
        int, typer.Option(help="Customers to generate (100 to 100,000).", min=100, max=100_000)
    ] = 2000,
    seed_value: Annotated[int, typer.Option("--seed", help="Random seed.")] = 360,
) -> None:
    """Replace all data with a deterministic generated data set."""
    settings = _ready_settings()
    _migrate(settings)
    _seed(settings, customers, seed_value)


@cli.command()
def ingest(
    file: Annotated[
        Path, typer.Argument(help="A .csv or .jsonl file of source records.", exists=True, dir_okay=False)
    ],
    system: Annotated[
        str, typer.Option(help="Source system of the records (a `system` column or key overrides).")
    ],
    batch: Annotated[int, typer.Option(help="Records per transaction.", min=1, max=1000)] = 500,
) -> None:
    """Ingest source records from a file into the identity graph and golden records, with a summary at the end."""
    from c360.ingest_file import ingest_file

    settings = _ready_settings()
    _migrate(settings)
    summary = asyncio.run(ingest_file(settings, file, system, batch))
    typer.echo(summary.describe(), err=True)
    if summary.counts.get("rejected"):
        typer.echo("rejected records are kept for review: query `rejectedRecords` in GraphiQL", err=True)


@cli.command()
def relay(
    drain: Annotated[
        bool, typer.Option(help="Apply what is pending, then exit (instead of running on).")
    ] = False,
) -> None:
    """Run the outbox relay as a worker: apply PostgreSQL's outbox events to the identity graph, in order."""
    from c360.relay import run

    settings = _ready_settings()
    applied = asyncio.run(run(settings, drain))
    if drain:
        typer.echo(f"applied {applied} events", err=True)


@cli.command()
def erase(
    drain: Annotated[
        bool, typer.Option(help="Run the pending erasure steps, then exit (instead of running on).")
    ] = False,
) -> None:
    """Run the erasure worker: the steps of erasure jobs (``eraseCustomer``), as the schemas' owner."""
    from c360.erase import run

    settings = _ready_settings()
    steps = asyncio.run(run(settings, drain))
    if drain:
        typer.echo(f"ran {steps} erasure steps", err=True)


@cli.command()
def reconcile(
    dry_run: Annotated[bool, typer.Option(help="Report the drift without repairing it.")] = False,
    adopt_graph: Annotated[
        bool,
        typer.Option(
            help="Once, on upgrading a deployment whose identity data were written to the graph only: copy the "
            "graph's source records and links into PostgreSQL first (refused if PostgreSQL holds any)."
        ),
    ] = False,
) -> None:
    """Compare PostgreSQL (the system of record) with the identity graph and repair the graph from it."""
    from subgraphs.profiles import reconcile as job

    settings = _ready_settings()
    if adopt_graph:
        copied = asyncio.run(job.adopt_graph(settings))
        typer.echo(
            ", ".join(f"{n} {what}" for what, n in copied.items()) + " copied from the graph", err=True
        )
    drift = asyncio.run(job.reconcile(settings, repair=not dry_run))
    typer.echo(drift.describe())


@cli.command()
def schema(
    subgraph: Annotated[
        str | None, typer.Option(help="Print this subgraph's federation SDL instead.")
    ] = None,
    write: Annotated[
        bool, typer.Option(help="Write schema.graphql and schema/sdl/<subgraph>.graphql from the code.")
    ] = False,
) -> None:
    """Print the unified GraphQL SDL, or one subgraph's federation SDL; or refresh the committed SDL files."""
    from schema import sdl

    settings = Settings(_env_file=None)
    if write:
        for path in sdl.write_files():
            typer.echo(f"wrote {path.relative_to(PROJECT_ROOT)}", err=True)
        return
    if subgraph is None:
        typer.echo(sdl.unified_sdl(settings), nl=False)
        return
    if subgraph not in registry.NAMES:
        raise typer.BadParameter(f"unknown subgraph {subgraph!r}; choose from {', '.join(registry.NAMES)}")
    typer.echo(sdl.subgraph_sdl(subgraph, settings), nl=False)


@cli.command()
def token(
    role: Annotated[list[str], typer.Option("--role", help="Role of the caller (repeat for several).")] = [],  # noqa: B006
    subject: Annotated[str, typer.Option(help="Who the token names (the `sub` claim).")] = "dev-user",
    account: Annotated[
        list[str],
        typer.Option("--account", help="Limit the caller to contacts of this account (repeatable)."),
    ] = [],  # noqa: B006
    business_unit: Annotated[
        list[str],
        typer.Option("--business-unit", help="Limit the caller to this business unit (repeatable)."),
    ] = [],  # noqa: B006
    hours: Annotated[float, typer.Option(help="Hours until the token expires.")] = 8.0,
) -> None:
    """Mint a development token (HS256 with the local secret; only the development profile accepts it)."""
    from core.auth import mint_dev_token

    settings = Settings()
    extra: dict[str, object] = {}
    if account:
        extra[settings.auth_claim_accounts] = account
    if business_unit:
        extra[settings.auth_claim_business_units] = business_unit
    typer.echo(
        mint_dev_token(settings, subject, role or ["agent"], ttl_seconds=int(hours * 3600), extra=extra)
    )


@services_cli.command("up")
def services_up() -> None:
    """Start local services (idempotent) and print how to reach them."""
    from c360.services import postgres

    settings = _ready_settings()
    if settings.app_db_role is not None:
        local = postgres.LocalPostgres(settings)
        typer.echo(
            f"C360_DATABASE_URL={_masked(settings.database_url)}  # password in {local.app_password_file}"
        )
        typer.echo(
            f"C360_MIGRATION_DATABASE_URL={_masked(settings.migration_database_url)}"
            f"  # password in {local.owner_password_file}"
        )
        typer.echo(f"C360_APP_DB_ROLE={settings.app_db_role}")
    else:
        typer.echo(f"C360_DATABASE_URL={_masked(settings.database_url)}")
    typer.echo(f"C360_NEO4J_URI={settings.neo4j_uri}")


def _masked(dsn: str | None) -> str:
    """A DSN without its password, fit to print."""
    if dsn is None or "@" not in dsn or "://" not in dsn:
        return str(dsn)
    scheme, rest = dsn.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}" if ":" in credentials else dsn


@services_cli.command("down")
def services_down() -> None:
    """Stop local services."""
    from c360.services import neo4j, postgres

    settings = Settings()
    neo4j.LocalNeo4j(settings).stop()
    postgres.LocalPostgres(settings).stop()
    typer.echo("local services stopped", err=True)


@services_cli.command("status")
def services_status() -> None:
    """Show whether local services exist and run."""
    from c360.services import neo4j, postgres

    settings = Settings()
    typer.echo(postgres.LocalPostgres(settings).status())
    typer.echo(neo4j.LocalNeo4j(settings).status())


@federation_cli.command("compose")
def federation_compose(
    out: Annotated[
        Path, typer.Option(help="Directory for supergraph.graphql and the subgraph SDLs.")
    ] = PROJECT_ROOT / "var" / "federation",
    url_base: Annotated[
        str, typer.Option(help="Where gateways reach the subgraphs: <url-base>/subgraphs/<name>/graphql.")
    ] = "http://127.0.0.1:8000",
    url: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=URL of a subgraph served by its own process (repeatable); overrides --url-base."
        ),
    ] = None,
) -> None:
    """Compose every subgraph with both composers; fail on any error; write the supergraph for gateways."""
    from c360 import federation

    settings = Settings()
    urls = dict(item.split("=", 1) for item in url or ())
    result = federation.compose(settings, url_base, urls=urls)
    for composer, errors in (
        ("@theguild/federation-composition", result.guild_errors),
        ("@apollo/composition", result.apollo_errors),
    ):
        for error in errors:
            typer.echo(f"{composer}: {error}", err=True)
    for hint in result.apollo_hints:
        typer.echo(f"hint: {hint}", err=True)
    if not result.ok or result.supergraph_sdl is None:
        raise typer.Exit(1)
    out.mkdir(parents=True, exist_ok=True)
    for name, sdl in federation.subgraph_sdls(settings).items():
        (out / f"{name}.graphql").write_text(sdl)
    (out / "supergraph.graphql").write_text(result.supergraph_sdl)
    same = result.api_schema_sdl == federation.unified_sdl(settings)
    typer.echo(f"composed {out / 'supergraph.graphql'}; API schema equals /graphql: {same}", err=True)
    if not same:
        raise typer.Exit(1)


@matching_cli.command("train")
def matching_train(
    input: Annotated[
        list[Path],
        typer.Option(
            help="JSON lines of records (attribute and identifier names as the model reads them); "
            "one file to deduplicate, two to link the first to the second"
        ),
    ],
    out: Annotated[Path, typer.Option(help="the artefact to write, e.g. config/matching/model-v2.json")],
    version: Annotated[int, typer.Option(help="the artefact's version number")],
    seed: Annotated[int, typer.Option(help="seed of Splink's random pairs")] = 1,
    description: Annotated[str, typer.Option(help="what the sample is, kept in the artefact")] = "",
) -> None:
    """Train the model with Splink (needs the ``train`` dependency group) and write a versioned artefact."""
    import orjson

    from c360.matching.train import train

    if len(input) not in (1, 2):
        raise typer.BadParameter("give one file to deduplicate or two to link", param_hint="--input")
    datasets = [
        [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()] for path in input
    ]
    model = train(
        datasets,
        version=version,
        link_type="dedupe_only" if len(datasets) == 1 else "link_only",
        seed=seed,
        description=description,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(model.to_json() + b"\n")
    typer.echo(f"model v{version} from {sum(len(d) for d in datasets):,} records written to {out}", err=True)


@matching_cli.command("show")
def matching_show(
    config: Annotated[Path, typer.Option(help="matching configuration")] = PROJECT_ROOT
    / "config"
    / "matching"
    / "matching.toml",
) -> None:
    """The model in use, its thresholds and every level's match weight."""
    from graph_store.resolution.matching import COMPARISONS, load_config

    loaded = load_config(config)
    model = loaded.model
    typer.echo(f"model v{model.version} ({loaded.model_path}), trained {model.trained.get('at', '?')}")
    typer.echo(
        f"merge at match weight {loaded.thresholds.merge_at}, review from {loaded.thresholds.review_at}; "
        f"prior weight {model.prior_weight:.2f}"
    )
    for comparison, levels in zip(COMPARISONS, model.levels, strict=True):
        weights = ", ".join(f"{level.label} {level.weight:+.2f}" for level in levels[1:])
        typer.echo(f"  {comparison.name}: {weights}")


def main() -> None:
    cli()
