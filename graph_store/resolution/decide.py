"""The matching decision for one source record, as a pure function of the record and the graph around it.

Identifiers are taken in priority order. Each matching identifier pulls in the customers it already belongs to;
an identifier whose customers would push the merged customer past a per-type limit yields instead: it is recorded
as a conflict and not linked. So a shared family phone or a shop's tablet cannot glue two people who each have
their own CRM id into one blob, while the record still joins the customer its stronger identifiers name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from graph_store.identifiers import Identifier
from graph_store.resolution.rules import MatchingRules


@dataclass
class Decision:
    linked: list[Identifier] = field(default_factory=list)
    """Identifiers to link, highest priority first."""
    blocked: list[tuple[Identifier, str]] = field(default_factory=list)
    """Identifiers ignored as junk, with the pattern that blocked them."""
    conflicts: list[tuple[Identifier, str]] = field(default_factory=list)
    """Identifiers that yielded to a limit, with the reason."""
    customers: list[str] = field(default_factory=list)
    """Existing customers the record belongs to, in id order: none (a new customer), one, or several to merge."""


def _counts(identifiers: Iterable[Identifier]) -> Counter[str]:
    counts: Counter[str] = Counter()  # filled by hand: Counter(iterable) costs an ABC check per call
    for identifier in set(identifiers):
        counts[identifier.type.value] += 1
    return counts


def decide(
    identifiers: Iterable[Identifier],
    owners: Mapping[str, Collection[str]],
    holdings: Mapping[str, Collection[Identifier]],
    rules: MatchingRules,
    separated: Collection[frozenset[str]] = (),
) -> Decision:
    """Decide how a record with ``identifiers`` joins the graph.

    ``owners`` maps identifier keys to the customers currently linked to them; ``holdings`` maps those customers to
    the identifiers they hold; ``separated`` holds pairs of customers a split has parted, which never merge again. A limit already exceeded before this record (legacy data) is never made worse, but
    does not block the record either.
    """
    decision = Decision()
    unique = {i.key: i for i in identifiers}.values()
    candidates: list[Identifier] = []
    for identifier in unique:
        pattern = rules.is_blocked(identifier)
        if pattern is not None:
            decision.blocked.append((identifier, pattern.pattern))
        else:
            candidates.append(identifier)
    candidates.sort(key=lambda i: (rules.rank(i.type), i.key))

    joined: set[str] = set()
    pool: set[Identifier] = set()
    for identifier in candidates:
        found = set(owners.get(identifier.key, ())) if identifier.type in rules.matching else set()
        trial = joined | found
        trial_pool = pool | {identifier}
        # What each part already holds on its own: a limit exceeded before this record is not this record's doing.
        baseline = _counts(pool)
        for customer in found - joined:
            held = set(holdings.get(customer, ()))
            trial_pool |= held
            baseline |= _counts(held)  # Counter union keeps the larger count of each type
        after = _counts(trial_pool)
        breach = next(
            (
                (kind, after[kind.value], limit)
                for kind, limit in rules.limits.items()
                if after[kind.value] > max(limit, baseline[kind.value])
            ),
            None,
        )
        parted = next((pair for pair in separated if pair <= trial), None)
        if parted is not None:
            decision.conflicts.append(
                (
                    identifier,
                    f"linking it would merge customers {' and '.join(sorted(parted))}, which were split",
                )
            )
            continue
        if breach is not None:
            kind, count, limit = breach
            merging = f" by merging {len(trial)} customers" if len(trial) > 1 else ""
            decision.conflicts.append(
                (
                    identifier,
                    f"linking it would give one customer {count} {kind.value} identifiers{merging} (limit {limit})",
                )
            )
            continue
        decision.linked.append(identifier)
        joined, pool = trial, trial_pool
    decision.customers = sorted(joined)
    return decision
