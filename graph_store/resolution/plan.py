"""The identity plan of one batch: which records create, link or merge which customers, as a pure function.

Given the batch's valid records, what the graph already knows about them (their source records, the customers
their identifiers belong to) and the rules, every record is decided in order (``decide``) against clusters kept
current in memory, so a record sees the customers the records before it created, linked and merged. No driver,
no I/O: the caller reads the graph state, and writes the plan (``ingest``), so the matching can be tested alone.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graph_store.identifiers import Identifier
from graph_store.resolution.decide import Decision, decide
from graph_store.resolution.evidence import Comparison, Profile
from graph_store.resolution.records import FieldError, ValidRecord
from graph_store.resolution.rules import MatchingRules, SurvivorRule

MERGE_RULE = "shared identifier"
"""The rule an ``IdentityEvent`` of a merge names."""
LINK_RULE = "exact"
"""The rule of a link made because a record carries the identifier."""
LINK_EVENT_RULE = "shared identifier"
"""The rule an ``IdentityEvent`` of a record linked into an existing customer names."""


@dataclass(frozen=True)
class KnownRecord:
    """A source record the graph already holds: the hash of its content and the customer it resolves to."""

    content_hash: str
    customer: str | None


@dataclass(frozen=True)
class Link:
    """A customer's link to an identifier (``HAS_IDENTIFIER``): where and when it was first seen, by which rule."""

    identifier: Identifier
    source: str
    observed_at: datetime
    rule: str


@dataclass(frozen=True)
class KnownCustomer:
    """A customer the batch may touch, as the graph holds it before the batch."""

    id: str
    created_at: datetime
    first_system: str | None
    holdings: frozenset[Identifier] = frozenset()
    split_from: frozenset[str] = frozenset()
    """Customers a split parted from this one: never merged with it again."""
    links: tuple[Link, ...] = ()
    """The links behind ``holdings`` with their properties, when the caller needs the plan's ``links``."""
    attributes: tuple[Mapping[str, Any], ...] = ()
    """The attributes of its source records: the evidence a deterministic link is weighed against."""


@dataclass
class Outcome:
    key: str
    status: str
    """``created``, ``linked``, ``merged`` or ``unchanged``."""
    customer_id: str
    merged: list[str] = field(default_factory=list)
    conflicts: list[tuple[Identifier, str]] = field(default_factory=list)
    blocked: list[tuple[Identifier, str]] = field(default_factory=list)
    dropped: list[FieldError] = field(default_factory=list)
    """Identifiers that could not be normalised (the record was ingested without them)."""


@dataclass(frozen=True)
class NewCustomer:
    id: str
    created_at: datetime
    first_system: str


@dataclass(frozen=True)
class RecordPlan:
    """A record to store (new or changed), the customer it resolves to and what it claims."""

    valid: ValidRecord
    customer: str
    """The customer at the end of the batch (after later records' merges)."""
    origin: str
    """The customer the record was first resolved to; a split gives it back this id."""
    linked: list[Identifier]
    conflicts: list[tuple[Identifier, str]]
    blocked: list[tuple[Identifier, str]]


@dataclass(frozen=True)
class Event:
    """An ``IdentityEvent``: a merge (``other`` is the merged-away id), a link of a record into an existing
    customer, or a conflict (``other`` is the identifier key), with the identifiers that decided it."""

    kind: str
    customer: str
    other: str
    record: str
    rule: str
    identifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Review:
    """A pair for the stewards: the record's customer and a customer an identifier would have joined, whose
    records' attributes clearly disagree with the record's."""

    customer: str
    other: str
    record: str
    identifiers: tuple[str, ...]
    comparisons: tuple[Comparison, ...]


@dataclass(frozen=True)
class Plan:
    outcomes: list[Outcome]
    """One per record, in batch order."""
    created: list[NewCustomer]
    records: list[RecordPlan]
    events: list[Event]
    merges: dict[str, str]
    """Each merged-away customer id and the id that survived it at the end of the batch."""
    links: dict[str, list[Link]] = field(default_factory=dict)
    """Every link of each customer whose records changed, after the batch (from the known customers' ``links``,
    the merges and the records' new links): what the projection of current identifiers keeps."""
    new_links: list[tuple[str, Link, str]] = field(default_factory=list)
    """The links the batch creates, ``(customer, link, raw value)``: the customer did not hold the identifier."""
    reviews: list[Review] = field(default_factory=list)
    """Pairs for the stewards' review queue (customers as they are at the end of the batch)."""


@dataclass
class _Cluster:
    created_at: datetime
    first_system: str | None
    holdings: set[Identifier] = field(default_factory=set)
    profile: Profile = field(default_factory=Profile)


class _Holdings(Mapping[str, Collection[Identifier]]):
    """What each cluster holds, read live (no copy per record)."""

    def __init__(self, clusters: dict[str, _Cluster]) -> None:
        self._clusters = clusters

    def __getitem__(self, customer: str) -> Collection[Identifier]:
        return self._clusters[customer].holdings

    def __iter__(self) -> Iterator[str]:
        return iter(self._clusters)

    def __len__(self) -> int:
        return len(self._clusters)


class _Profiles(Mapping[str, Profile]):
    """What each cluster's records say about the person, read live."""

    def __init__(self, clusters: dict[str, _Cluster]) -> None:
        self._clusters = clusters

    def __getitem__(self, customer: str) -> Profile:
        return self._clusters[customer].profile

    def __iter__(self) -> Iterator[str]:
        return iter(self._clusters)

    def __len__(self) -> int:
        return len(self._clusters)


class _State:
    """The clusters a batch touches, kept current in memory while its records are decided in order."""

    def __init__(self, rules: MatchingRules) -> None:
        self.rules = rules
        self.owners: dict[str, set[str]] = defaultdict(set)
        self.clusters: dict[str, _Cluster] = {}
        self.parent: dict[str, str] = {}
        self.split_pairs: set[frozenset[str]] = set()

    def separated(self) -> set[frozenset[str]]:
        """Pairs of current customers that a split parted."""
        pairs = {frozenset(self.find(c) for c in pair) for pair in self.split_pairs}
        return {pair for pair in pairs if len(pair) == 2}

    def add(self, customer: str, cluster: _Cluster) -> None:
        self.clusters[customer] = cluster
        for identifier in cluster.holdings:
            self.owners[identifier.key].add(customer)

    def find(self, customer: str) -> str:
        while customer in self.parent:
            customer = self.parent[customer]
        return customer

    def survivor(self, customers: list[str]) -> str:
        """The customer that keeps its id in a merge: by the configured rule, then the oldest, then the id."""

        def rank(customer: str) -> tuple[Any, ...]:
            cluster = self.clusters[customer]
            if self.rules.survivor is SurvivorRule.SOURCE_PRIORITY:
                return (self.rules.source_rank(cluster.first_system or ""), cluster.created_at, customer)
            return (cluster.created_at, customer)

        return min(customers, key=rank)

    def merge(self, survivor: str, loser: str) -> None:
        self.parent[loser] = survivor
        kept, gone = self.clusters[survivor], self.clusters.pop(loser)
        kept.holdings |= gone.holdings
        kept.profile.absorb(gone.profile)
        kept.created_at = min(kept.created_at, gone.created_at)
        for identifier in gone.holdings:
            owners = self.owners[identifier.key]
            owners.discard(loser)
            owners.add(survivor)

    def link(self, customer: str, identifier: Identifier) -> None:
        self.clusters[customer].holdings.add(identifier)
        self.owners[identifier.key].add(customer)


def _new_id() -> str:
    return str(uuid.uuid4())


def plan_batch(
    batch: Sequence[ValidRecord],
    known: Mapping[str, KnownRecord],
    customers: Iterable[KnownCustomer],
    rules: MatchingRules,
    new_id: Callable[[], str] = _new_id,
) -> Plan:
    """Decide every record of ``batch`` in order.

    ``known`` holds the batch's source records already in the graph, by key; ``customers`` every customer that
    holds one of the batch's identifiers or that one of those records resolves to. A record stored before with
    the same content is ``unchanged``, also when an earlier record of the batch stored it, so one batch decides
    exactly as its records ingested one by one would; a record that was resolved before keeps its customer (and
    may merge it with others). ``new_id`` names new customers (random ids unless a caller needs them predictable).
    """
    customers = list(customers)
    state = _State(rules)
    known = dict(known)  # records decided here count as known to the later records of the batch
    for held in customers:
        state.add(
            held.id,
            _Cluster(held.created_at, held.first_system, set(held.holdings), Profile.of(held.attributes)),
        )
        state.split_pairs |= {frozenset((held.id, other)) for other in held.split_from}
    outcomes: list[Outcome] = []
    created: list[NewCustomer] = []
    decided: list[tuple[ValidRecord, str, Decision]] = []
    events: list[Event] = []
    reviews: list[Review] = []
    profiles = _Profiles(state.clusters)
    for valid in batch:
        record = valid.record
        before = known.get(record.key)
        if before is not None and before.content_hash == valid.content_hash and before.customer:
            outcomes.append(
                Outcome(record.key, "unchanged", state.find(before.customer), dropped=list(valid.dropped))
            )
            continue
        decision = decide(
            (i for i, _ in valid.identifiers),
            state.owners,
            _Holdings(state.clusters),
            rules,
            state.separated(),
            valid.attributes,
            profiles,
        )
        joined = {state.find(c) for c in decision.customers}
        if before is not None and before.customer:
            joined.add(state.find(before.customer))
        merged: list[str] = []
        if not joined:
            customer = new_id()
            state.add(customer, _Cluster(record.observed_at, record.system))
            created.append(NewCustomer(customer, record.observed_at, record.system))
            status = "created"
        else:
            customer = state.survivor(sorted(joined))
            merged = sorted(joined - {customer})
            pulled = {state.find(c): keys for c, keys in decision.pulled.items()}
            for loser in merged:
                state.merge(customer, loser)
                events.append(
                    Event(
                        "merge",
                        customer,
                        loser,
                        record.key,
                        MERGE_RULE,
                        tuple(i.key for i in pulled.get(loser, ())),
                    )
                )
            status = "merged" if merged else "linked"
            if not merged:
                identifiers = tuple(i.key for i in pulled.get(customer, ())) or tuple(
                    i.key for i in decision.linked
                )
                events.append(Event("link", customer, "", record.key, LINK_EVENT_RULE, identifiers))
        for identifier in decision.linked:
            state.link(customer, identifier)
        state.clusters[customer].profile.add(valid.attributes)
        reviews += [
            Review(customer, other, record.key, (identifier.key,), tuple(found))
            for identifier, other, found in decision.reviews
        ]
        events += [
            Event("conflict", customer, identifier.key, record.key, reason, (identifier.key,))
            for identifier, reason in decision.conflicts
        ]
        decided.append((valid, customer, decision))
        outcomes.append(
            Outcome(
                record.key,
                status,
                customer,
                merged,
                decision.conflicts,
                decision.blocked,
                list(valid.dropped),
            )
        )
        known[record.key] = KnownRecord(valid.content_hash, customer)
    # Later records may merge earlier survivors: point everything at the final survivor.
    for outcome in outcomes:
        outcome.customer_id = state.find(outcome.customer_id)
    records = [
        RecordPlan(valid, state.find(origin), origin, d.linked, d.conflicts, d.blocked)
        for valid, origin, d in decided
    ]
    merges = {loser: state.find(loser) for loser in state.parent}
    links, new_links = _links(customers, merges, records)
    touched = {o.customer_id for o in outcomes if o.status != "unchanged"}
    return Plan(
        outcomes,
        created,
        records,
        [Event(e.kind, state.find(e.customer), e.other, e.record, e.rule, e.identifiers) for e in events],
        merges,
        {c: list(links.get(c, {}).values()) for c in sorted(touched)},
        new_links,
        [
            Review(state.find(r.customer), state.find(r.other), r.record, r.identifiers, r.comparisons)
            for r in reviews
            if state.find(r.customer) != state.find(r.other)
        ],
    )


def _links(
    customers: Iterable[KnownCustomer], merges: Mapping[str, str], records: Sequence[RecordPlan]
) -> tuple[dict[str, dict[str, Link]], list[tuple[str, Link, str]]]:
    """Each customer's links after the batch, as the graph's writes leave them: every merged-away customer's links
    move to its survivor in merge order (a link the survivor already has keeps its properties), then each record's
    identifiers link to its customer where it holds none yet."""
    links: dict[str, dict[str, Link]] = {c.id: {k.identifier.key: k for k in c.links} for c in customers}
    for loser, survivor in merges.items():
        kept = links.setdefault(survivor, {})
        for key, link in links.pop(loser, {}).items():
            kept.setdefault(key, link)
    new: list[tuple[str, Link, str]] = []
    for r in records:
        held = links.setdefault(r.customer, {})
        record = r.valid.record
        raw_of = {i.key: raw for i, raw in r.valid.identifiers}
        for identifier in r.linked:
            if identifier.key not in held:
                link = Link(identifier, record.system, record.observed_at, LINK_RULE)
                held[identifier.key] = link
                new.append((r.customer, link, raw_of[identifier.key]))
    return links, new
