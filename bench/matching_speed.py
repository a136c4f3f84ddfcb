"""Microbenchmark of in-process matching: records resolved per second on one core, each against its candidates.

    uv run --group bench python -m bench.matching_speed [--records 20000] [--candidates 10] [--batch 1000]

New records (from a synthetic set of other people than the candidates', the normalisers' caches emptied) are
prepared (names, dates, places and identifiers normalised), given their
blocking keys, and scored against ``--candidates`` candidates each, drawn from prepared records as the online
planner would hold them (their true matches first, then records sharing a key, then any), with the repository's
model; the thresholds then decide each pair. The figure is new records per second of CPU time of the one thread
that does all of it (rapidfuzz with one worker), best of ``--rounds``: CPU time, not wall-clock time, so that other
work on a shared machine does not count; the wall-clock time is printed beside it. It also reports each phase on its own, and Splink's own
scoring of the same pairs through DuckDB for comparison (``score_pairs`` on one batch).
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections import defaultdict

import numpy as np

from bench.identity_sets import matching_record, synthetic
from graph_store.resolution.matching import Prepared, Scorer, blocking_keys, load_config, prepare
from graph_store.resolution.matching.dates import _parse_text
from graph_store.resolution.matching.names import _part
from graph_store.resolution.matching.places import address, place
from graph_store.resolution.matching.text import fold, pinyin
from graph_store.resolution.rules import load_rules

CACHED = (fold, pinyin, _part, _parse_text, place, address)


def main() -> None:
    parser = argparse.ArgumentParser(description="In-process matching speed on one core.")
    parser.add_argument("--records", type=int, default=20_000, help="new records to resolve")
    parser.add_argument("--candidates", type=int, default=10, help="candidates scored per new record")
    parser.add_argument("--batch", type=int, default=1000, help="new records per scoring call")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--splink", action="store_true", help="also time Splink's score_pairs on one batch")
    args = parser.parse_args()

    config = load_config()
    rules = load_rules()
    data = synthetic(max(1000, args.records // 2), seed=23)
    records = [matching_record(item, rules) for item in data.records]
    rng = random.Random(1)
    # New records come from other people (another seed): their names, dates and places are spelled anew, as
    # a live batch's are, and the normalisers' caches are emptied before each round.
    fresh = [matching_record(item, rules) for item in synthetic(args.records // 2 + 1, seed=29).records]
    new = [fresh[n % len(fresh)] for n in range(args.records)]
    pool_rows = [prepare(r) for r in records]
    pool = Prepared.of(pool_rows)
    index: dict[str, list[int]] = defaultdict(list)
    for n, row in enumerate(pool_rows):
        for key in blocking_keys(row):
            index[key].append(n)
    scorer = Scorer(config.model)

    def candidates_of(keys: frozenset[str]) -> list[int]:
        found: list[int] = []
        for key in keys:
            found.extend(index[key][: args.candidates])
        while len(found) < args.candidates:
            found.append(rng.randrange(len(pool_rows)))
        return found[: args.candidates]

    best = best_wall = float("inf")
    phases: dict[str, float] = {}
    pairs_scored = 0
    for _ in range(args.rounds):
        timings = {"prepare": 0.0, "keys and candidates": 0.0, "score and decide": 0.0}
        for cached in CACHED:
            cached.cache_clear()
        started = time.thread_time()
        wall = time.perf_counter()
        pairs_scored = 0
        for start in range(0, len(new), args.batch):
            chunk = new[start : start + args.batch]
            t0 = time.thread_time()
            rows = [prepare(r) for r in chunk]
            prepared = Prepared.of(rows)
            t1 = time.thread_time()
            left: list[int] = []
            right: list[int] = []
            for n, row in enumerate(rows):
                found = candidates_of(blocking_keys(row))
                left.extend([n] * len(found))
                right.extend(found)
            t2 = time.thread_time()
            scores = scorer.score(
                prepared, pool, np.array(left, dtype=np.intp), np.array(right, dtype=np.intp)
            )
            config.thresholds.decide(scores.match_weight)
            t3 = time.thread_time()
            timings["prepare"] += t1 - t0
            timings["keys and candidates"] += t2 - t1
            timings["score and decide"] += t3 - t2
            pairs_scored += len(left)
        elapsed = time.thread_time() - started
        if elapsed < best:
            best, phases, best_wall = elapsed, timings, time.perf_counter() - wall
    load = os.getloadavg()
    print(
        f"records {len(new):,}, candidates {args.candidates} each ({pairs_scored:,} pairs), batch {args.batch}, "
        f"model v{config.model.version}, best of {args.rounds}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"wall-clock time of the best round: {best_wall:.3f} s")
    print("| phase | CPU seconds | new records/s | pairs/s |")
    print("|---|---|---|---|")
    for name, seconds in phases.items():
        print(f"| {name} | {seconds:.3f} | {len(new) / seconds:,.0f} | {pairs_scored / seconds:,.0f} |")
    print(f"| **all** | {best:.3f} | **{len(new) / best:,.0f}** | {pairs_scored / best:,.0f} |")
    if args.splink:
        from c360.matching.train import splink_scores

        left_records = new[: max(1, args.batch // args.candidates)]
        right_records = records[: args.candidates]
        t0 = time.perf_counter()
        splink_scores(config.model, left_records, right_records)
        seconds = time.perf_counter() - t0  # DuckDB works in threads of its own: wall-clock time
        count = len(left_records) * len(right_records)
        print(
            f"Splink score_pairs (DuckDB), {len(left_records)} records x {len(right_records)} candidates: "
            f"{seconds:.3f} s, {len(left_records) / seconds:,.0f} records/s, {count / seconds:,.0f} pairs/s"
        )


if __name__ == "__main__":
    main()
