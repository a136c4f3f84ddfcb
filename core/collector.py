"""The cyclic garbage collector's schedule for the long-running processes: the API, the relay and erasure workers."""

from __future__ import annotations

import gc


def tune(gen0_threshold: int) -> None:
    """Fewer, cheaper cyclic collections for a process whose work allocates many short-lived objects.

    GraphQL execution allocates thousands of objects per request, and the relay's planning and scoring hundreds per
    record, so Python's default threshold (700) runs a young collection every few fields or records, and older
    collections walk the schema and every module again. Freezing what start-up built moves it out of the
    collector's sight, and a higher threshold batches the rest: a third less CPU per request on the list queries,
    and about a quarter less of the relay's own CPU per record (docs/benchmark.md, bench/results/outbox-*.md).
    """
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(gen0_threshold, 20, 20)
