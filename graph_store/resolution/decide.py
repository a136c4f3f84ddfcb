"""The matching decision for one source record, as a pure function of the record and the graph around it.

Identifiers are taken in priority order. Each matching identifier pulls in the customers it already belongs to;
an identifier whose customers would push the merged customer past a per-type limit yields instead: it is recorded
as a conflict and not linked. So a shared family phone or a shop's tablet cannot glue two people who each have
their own CRM id into one blob, while the record still joins the customer its stronger identifiers name. An
identifier whose customers the probabilistic model weighs against the record (``yielding``: their records' own
attributes say another person) yields too, and the pair goes to the stewards.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from graph_store.identifiers import Identifier, IdentifierType
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
    pulled: dict[str, list[Identifier]] = field(default_factory=dict)
    """Each customer of ``customers`` and the identifiers that joined it: what a link or merge event names."""
    reviews: list[tuple[Identifier, str]] = field(default_factory=list)
    """Identifiers that would have joined a customer the model weighs against this record: each with that
    customer, for the stewards' review queue (they yield)."""
    unweighed: list[Identifier] = field(default_factory=list)
    """Identifiers that linked customers the model had nothing to weigh against the record (``undescribed``)
    only because they were not known to be shared by people yet: the links a value that yields later takes back."""


def _counts(identifiers: Iterable[Identifier]) -> Counter[IdentifierType]:
    counts: Counter[IdentifierType] = (
        Counter()
    )  # filled by hand: Counter(iterable) costs an ABC check per call
    for identifier in set(identifiers):
        counts[identifier.type] += 1
    return counts


def breach(
    joined: Collection[Identifier],
    alone: Iterable[Collection[Identifier]],
    limits: Mapping[IdentifierType, int],
) -> tuple[IdentifierType, int, int] | None:
    """The first limit (type, count, limit) that ``joined`` breaks beyond what each part of ``alone`` held on its
    own: a limit exceeded before this record (legacy data) is not this record's doing."""
    baseline: Counter[IdentifierType] = Counter()
    for held in alone:
        baseline |= _counts(held)  # Counter union keeps the larger count of each type
    after = _counts(joined)
    return next(
        (
            (kind, after[kind], limit)
            for kind, limit in limits.items()
            if after[kind] > max(limit, baseline[kind])
        ),
        None,
    )


def decide(
    identifiers: Iterable[Identifier],
    owners: Mapping[str, Collection[str]],
    holdings: Mapping[str, Collection[Identifier]],
    rules: MatchingRules,
    separated: Collection[frozenset[str]] = (),
    yielding: Mapping[str, float] | None = None,
    why: Mapping[str, str] | None = None,
    disputed: Collection[str] = (),
    undescribed: Collection[str] = (),
) -> Decision:
    """Decide how a record with ``identifiers`` joins the graph.

    ``owners`` maps identifier keys to the customers currently linked to them; ``holdings`` maps those customers to
    the identifiers they hold; ``separated`` holds pairs of customers a split or a steward has parted, which never
    merge again. A limit already exceeded before this record (legacy data) is never made worse, but does not block
    the record either. ``yielding`` holds the customers the probabilistic model weighs against the record (with the
    best pair's match weight): an identifier that would join one yields and raises a review instead; among
    identifiers of one priority, those whose customers the model does not weigh against come first. ``why`` says,
    for some of those customers, why the model does not join them when it is not that their records weigh against
    the record (the conflict's reason). For those of ``undescribed`` nothing says who the record's person is (no
    name or birth date compared to disagree): only an identifier known to be shared by people (in ``disputed``: it
    yielded before, to another person or a limit; or of a type people share from its first use, ``rules.shared``)
    yields to them; another links as it would without the model (a person's own phone on a record with no name).
    """
    against = yielding or {}
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
    pool_counts: Counter[IdentifierType] = Counter()
    limits = rules.limits

    def held_already(identifier: Identifier) -> bool:
        held_by = owners.get(identifier.key, ())
        return bool(held_by) and all(c in joined for c in held_by)

    def known_shared(identifier: Identifier) -> bool:
        return identifier.key in disputed or identifier.type in rules.shared

    def contradicted(identifier: Identifier) -> bool:
        shared_by_people = known_shared(identifier)
        return identifier.type in rules.matching and any(
            c in against and (shared_by_people or c not in undescribed)
            for c in owners.get(identifier.key, ())
            if c not in joined
        )

    def in_order() -> Iterator[Identifier]:
        """Priority order; among identifiers of one priority, those the customers joined so far already hold come
        first, then those whose customers the record's attributes do not contradict, so a record's own phone is
        not the one that yields to a shared family phone (alphabetical order only breaks the remaining ties)."""
        for _, same in itertools.groupby(candidates, key=lambda i: rules.rank(i.type)):
            yield from sorted(same, key=lambda i: (not held_already(i), contradicted(i), i.key))

    for identifier in in_order():
        found = owners.get(identifier.key, ()) if identifier.type in rules.matching else ()
        new = [c for c in found if c not in joined]
        if not new:
            # Nothing joins: only this identifier is added to what the record already gathered, and no split
            # pair can appear (the customers joined so far passed that check).
            if identifier in pool:
                decision.linked.append(identifier)
                continue
            kind = identifier.type
            limit = limits.get(kind)
            if limit is not None and pool_counts[kind] >= limit:
                decision.conflicts.append(
                    (
                        identifier,
                        f"linking it would give one customer {pool_counts[kind] + 1} {kind.value}"
                        f" identifiers (limit {limit})",
                    )
                )
                continue
            decision.linked.append(identifier)
            pool.add(identifier)
            pool_counts[kind] += 1
            continue
        trial = joined | set(new)
        helds = [set(holdings.get(customer, ())) for customer in new]
        trial_pool = pool.union({identifier}, *helds)
        broken = breach(trial_pool, [pool, *helds], limits)
        parted = next((pair for pair in separated if pair <= trial), None)
        if parted is not None:
            decision.conflicts.append(
                (
                    identifier,
                    f"linking it would merge customers {' and '.join(sorted(parted))}, which were split or kept apart",
                )
            )
            continue
        shared_by_people = known_shared(identifier)
        disagree = sorted(c for c in new if c in against and (shared_by_people or c not in undescribed))
        explained = [c for c in disagree if why and c in why]
        if explained and why:
            decision.conflicts.append(
                (
                    identifier,
                    "; ".join(f"{why[c]} (customer {c}, match weight {against[c]:.1f})" for c in explained),
                )
            )
            continue
        if disagree:
            weights = ", ".join(f"{against[c]:.1f}" for c in disagree)
            decision.conflicts.append(
                (
                    identifier,
                    f"the records of customer{'s' if len(disagree) > 1 else ''} {' and '.join(disagree)} weigh "
                    f"against this record (match weight {weights}): held for review",
                )
            )
            decision.reviews += [(identifier, c) for c in disagree]
            continue
        if broken is not None:
            kind, count, limit = broken
            merging = f" by merging {len(trial)} customers" if len(trial) > 1 else ""
            decision.conflicts.append(
                (
                    identifier,
                    f"linking it would give one customer {count} {kind.value} identifiers{merging} (limit {limit})",
                )
            )
            continue
        decision.linked.append(identifier)
        if any(c in against and c in undescribed for c in new):
            decision.unweighed.append(identifier)
        for customer in new:
            decision.pulled.setdefault(customer, []).append(identifier)
        joined.update(new)
        pool, pool_counts = trial_pool, _counts(trial_pool)
    decision.customers = sorted(joined)
    return decision
