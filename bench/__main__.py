"""``python -m bench``: the benchmark's own command, so the product's ``c360`` command never imports ``bench``."""

from __future__ import annotations

import shlex
import sys
from typing import Annotated

import typer

cli = typer.Typer(add_completion=False)


@cli.command()
def bench(
    size: Annotated[str, typer.Option(help="s (10,000 customers) or m (100,000 customers).")] = "m",
    duration: Annotated[float, typer.Option(help="Seconds per measured run.")] = 10.0,
    warmup: Annotated[float, typer.Option(help="Seconds of unrecorded load per system and query.")] = 5.0,
    connections: Annotated[int, typer.Option(help="Concurrent connections of the load generator.")] = 16,
    rounds: Annotated[int, typer.Option(help="Interleaved rounds per mode; the report takes medians.")] = 2,
    queries: Annotated[str, typer.Option(help="Comma-separated subset of q1..q5.")] = "q1,q2,q3,q4,q5",
    steps: Annotated[bool, typer.Option(help="Also run API variants that each undo one speed step.")] = False,
    step: Annotated[
        list[str] | None,
        typer.Option(help="Run only this step variant (repeatable; implies --steps), e.g. api-no-policies."),
    ] = None,
    reseed: Annotated[bool, typer.Option(help="Regenerate the benchmark data set.")] = False,
) -> None:
    """Benchmark the API against PostGraphile v5 and a raw-asyncpg floor; report under bench/results/."""
    from bench import harness, report
    from bench.data import SIZES
    from bench.harness import STEPS
    from bench.workload import QUERIES

    chosen = tuple(q.strip().lower() for q in queries.split(",") if q.strip())
    only = tuple(step or ())
    unknown = [q for q in chosen if q not in QUERIES] + ([size] if size not in SIZES else [])
    unknown += [name for name in only if name not in STEPS]
    if unknown:
        raise typer.BadParameter(f"unknown: {', '.join(unknown)}")
    options = harness.Options(
        size=size,
        duration=duration,
        warmup=warmup,
        connections=connections,
        rounds=rounds,
        queries=chosen,
        steps=steps or bool(only),
        only_steps=only,
        reseed=reseed,
        command=shlex.join(["python", "-m", "bench", *sys.argv[1:]]),
    )
    outcome = harness.run(options)
    markdown, data = report.write(outcome)
    typer.echo(markdown.read_text())
    typer.echo(f"report: {markdown}\ndata:   {data}", err=True)
    if not all(v.equal for v in outcome.verdicts):
        raise typer.Exit(1)


if __name__ == "__main__":
    cli(prog_name="python -m bench")
