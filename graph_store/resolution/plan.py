"""The identity plan of one batch: which records create, link or merge which customers, as a pure function.

Given the batch's valid records, what the graph already knows about them (their source records, the customers
their identifiers belong to) and the rules, every record is decided in order (``decide``) against clusters kept
current in memory, so a record sees the customers the records before it created, linked and merged. With the
batch's scored pairs (``candidates``), the probabilistic model weighs each record too: clusters it scores at the
merge threshold join, shared identifiers it weighs against yield, the review band goes to the stewards
(``matching.decide``). No driver, no I/O: the caller reads the graph state and the candidates, and writes the plan
(``ingest``), so the matching can be tested alone.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graph_store.identifiers import Identifier, IdentifierType
from graph_store.resolution.candidates import BatchPairs, explain
from graph_store.resolution.decide import Decision, breach, decide
from graph_store.resolution.matching.decide import SHAREABLE, Clusters, Pair, Reason, Yield
from graph_store.resolution.matching.decide import decide as decide_match
from graph_store.resolution.matching.model import Thresholds
from graph_store.resolution.records import FieldError, ValidRecord
from graph_store.resolution.rules import MatchingRules, SurvivorRule

MERGE_RULE = "shared identifier"
"""The rule an ``IdentityEvent`` of a merge names."""
LINK_RULE = "exact"
"""The rule of a link made because a record carries the identifier."""
LINK_EVENT_RULE = "shared identifier"
"""The rule an ``IdentityEvent`` of a record linked into an existing customer names."""
PROBABILISTIC_RULE = "probabilistic"
"""The rule of a merge or link the matching model decided (the event carries its score and comparisons)."""
REVIEW_RULE = "probabilistic"
"""The rule of a review candidate the decision policy raised; followed by its reason (``matching.decide.Reason``)."""
AGAINST_RULE = "shared identifier, attributes weigh against"
"""The rule of a review candidate raised by a shared identifier the model weighs against."""
DETERMINISTIC = "deterministic"
PROBABILISTIC = "probabilistic"


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
    method: str = DETERMINISTIC
    """``probabilistic`` when the matching model joined the record to a customer no identifier of it named."""


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
    score: float | None = None
    """The match weight of the pair that decided it, when the model scored one."""
    comparisons: tuple[dict[str, Any], ...] = ()
    """That pair's comparisons (field, level, model level, weight)."""


@dataclass(frozen=True)
class Review:
    """A pair for the stewards: the record's customer and a customer the model scored in the review band, or that
    an identifier would have joined though the model weighs the records against."""

    customer: str
    other: str
    record: str
    identifiers: tuple[str, ...]
    comparisons: tuple[dict[str, Any], ...]
    rule: str = AGAINST_RULE
    score: float | None = None


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


@dataclass(frozen=True)
class Matching:
    """The probabilistic side of a batch: its scored pairs and the decision policy."""

    pairs: BatchPairs
    thresholds: Thresholds
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Stored candidates' customers merged away since PostgreSQL recorded them, and their survivors."""
    disputed: Collection[str] = frozenset()
    """Keys of identifiers that yielded before (known to be shared by people): see ``_unsupported``."""


@dataclass(frozen=True)
class Join:
    """A cluster the model weighed against a record, with the pair that decided (or explains) it."""

    cluster: str
    evidence: Pair
    reason: Reason | None = None


@dataclass(frozen=True)
class MatchDecision:
    """The decision policy's answer for one record, in the planner's clusters."""

    joins: tuple[Join, ...] = ()
    """Clusters the model joins the record with, strongest first."""
    reviews: tuple[Join, ...] = ()
    """Clusters for the stewards."""
    yielding: tuple[Join, ...] = ()
    """Clusters whose identifiers shared with the record must not link: the description weighs against them."""

    def yields(self, cluster: str) -> bool:
        return any(y.cluster == cluster for y in self.yielding)


@dataclass
class _Cluster:
    created_at: datetime
    first_system: str | None
    holdings: set[Identifier] = field(default_factory=set)


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
    matching: Matching | None = None,
) -> Plan:
    """Decide every record of ``batch`` in order.

    ``known`` holds the batch's source records already in the graph, by key; ``customers`` every customer that
    holds one of the batch's identifiers, that one of those records resolves to, or that a candidate record of
    ``matching`` resolves to. A record stored before with the same content is ``unchanged``, also when an earlier
    record of the batch stored it, so one batch decides exactly as its records ingested one by one would; a record
    that was resolved before keeps its customer (and may merge it with others). ``new_id`` names new customers
    (random ids unless a caller needs them predictable). Without ``matching`` only identifiers decide.
    """
    customers = list(customers)
    taken: dict[str, set[str]] = {}
    plan, unweighed = _plan(batch, known, customers, rules, new_id, matching, taken)
    for _ in range(TAKE_BACK_PASSES):
        retake = {record: keys for record, keys in unweighed.items() if not keys <= taken.get(record, set())}
        if not retake or matching is None:
            break
        for record, keys in retake.items():
            taken.setdefault(record, set()).update(keys)
        disputed = set(matching.disputed).union(*taken.values())
        plan, unweighed = _plan(
            batch, known, customers, rules, new_id, dataclasses.replace(matching, disputed=disputed), taken
        )
    return plan


TAKE_BACK_PASSES = 3
"""How many times a batch is planned again when values its records linked by turned out to be shared by people
later in it (each pass can only dispute more values, so this bounds work, not the outcome of a usual batch)."""
TAKE_BACK_RULE = "taken back"
"""The rule that starts the reason of a conflict a record got because a value it linked by (nothing else said who
its person is) yielded later in the batch: the link is taken back and the record stands alone."""


def _plan(
    batch: Sequence[ValidRecord],
    known: Mapping[str, KnownRecord],
    customers: list[KnownCustomer],
    rules: MatchingRules,
    new_id: Callable[[], str],
    matching: Matching | None,
    taken: Mapping[str, set[str]],
) -> tuple[Plan, dict[str, set[str]]]:
    """One planning pass of ``plan_batch``; also, by record key, the values a record linked only because they were
    not known to be shared by people yet (``Decision.unweighed``) and that yielded later in the batch. ``taken``
    holds, by record key, those values of a previous pass: their conflicts say the link was taken back."""
    state = _State(rules)
    known = dict(known)  # records decided here count as known to the later records of the batch
    for held in customers:
        state.add(held.id, _Cluster(held.created_at, held.first_system, set(held.holdings)))
        state.split_pairs |= {frozenset((held.id, other)) for other in held.split_from}
    outcomes: list[Outcome] = []
    created: list[NewCustomer] = []
    decided: list[tuple[ValidRecord, str, Decision]] = []
    events: list[Event] = []
    reviews: list[Review] = []
    placed: dict[int, str] = {}
    """The customer each batch record was resolved to (as it was then: follow ``find``)."""
    disputed = set(matching.disputed) if matching is not None else set()
    """Identifiers known to be shared by people: those that yielded before, and in the batch so far."""
    for index, valid in enumerate(batch):
        record = valid.record
        before = known.get(record.key)
        if before is not None and before.content_hash == valid.content_hash and before.customer:
            placed[index] = before.customer
            outcomes.append(
                Outcome(record.key, "unchanged", state.find(before.customer), dropped=list(valid.dropped))
            )
            continue
        separated = state.separated()
        weighed = (
            _weigh(state, matching, index, record.key, before.customer if before else None, placed, separated)
            if matching is not None
            else MatchDecision()
        )
        yielding = {y.cluster: y.evidence.match_weight for y in weighed.yielding}
        undescribed = {y.cluster for y in weighed.yielding if y.reason is Reason.NOTHING_TO_WEIGH}
        why = {y.cluster: y.reason.value for y in weighed.yielding if y.reason in EXPLAINED}
        decision = decide(
            (i for i, _ in valid.identifiers),
            state.owners,
            _Holdings(state.clusters),
            rules,
            separated,
            yielding,
            why,
            disputed,
            undescribed,
        )
        if record.key in taken:
            decision.conflicts = [
                (
                    identifier,
                    _taken_back(identifier, reason) if identifier.key in taken[record.key] else reason,
                )
                for identifier, reason in decision.conflicts
            ]
        disputed.update(identifier.key for identifier, _ in decision.conflicts)
        joined = {state.find(c) for c in decision.customers}
        if before is not None and before.customer:
            joined.add(state.find(before.customer))
        by_model, refused = _model_joins(state, weighed.joins, joined, decision, separated)
        merged: list[str] = []
        pulled = {state.find(c): keys for c, keys in decision.pulled.items()}
        evidence = {j.cluster: j for j in weighed.joins}
        if not joined and not by_model:
            customer = new_id()
            state.add(customer, _Cluster(record.observed_at, record.system))
            created.append(NewCustomer(customer, record.observed_at, record.system))
            status = "created"
        else:
            everyone = joined | set(by_model)
            customer = state.survivor(sorted(everyone))
            merged = sorted(everyone - {customer})
            for loser in merged:
                state.merge(customer, loser)
                events.append(_joined_event("merge", customer, loser, record.key, pulled, evidence))
            status = "merged" if merged else "linked"
            if not merged:
                events.append(_joined_event("link", customer, "", record.key, pulled, evidence, decision))
            elif pulled.get(customer) or customer in evidence:
                # The record joined the survivor too (it bridged them): that side is explained by its own event.
                events.append(_joined_event("link", customer, "", record.key, pulled, evidence))
        for identifier in decision.linked:
            state.link(customer, identifier)
        own = {i.key for i, _ in valid.identifiers}
        for cluster in [*weighed.reviews, *refused]:
            against = weighed.yields(cluster.cluster) and cluster.reason not in EXPLAINED
            shared = tuple(
                sorted(own & {i.key for i in state.clusters.get(state.find(cluster.cluster), _NONE).holdings})
            )
            reviews.append(
                Review(
                    customer,
                    cluster.cluster,
                    record.key,
                    shared,
                    tuple(explain(cluster.evidence)),
                    AGAINST_RULE if against else _review_rule(cluster.reason),
                    cluster.evidence.match_weight,
                )
            )
        events += [
            Event("conflict", customer, identifier.key, record.key, reason, (identifier.key,))
            for identifier, reason in decision.conflicts
        ]
        placed[index] = customer
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
                PROBABILISTIC if set(by_model) - joined else DETERMINISTIC,
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
    parted = state.separated()
    yielded = disputed - set(matching.disputed) if matching is not None else set()
    unweighed = {
        valid.record.key: keys for valid, _, d in decided if (keys := {i.key for i in d.unweighed} & yielded)
    }
    plan = Plan(
        outcomes,
        created,
        records,
        [
            Event(
                e.kind,
                state.find(e.customer),
                e.other,
                e.record,
                e.rule,
                e.identifiers,
                e.score,
                e.comparisons,
            )
            for e in events
        ],
        merges,
        {c: list(links.get(c, {}).values()) for c in sorted(touched)},
        new_links,
        [
            Review(
                state.find(r.customer),
                state.find(r.other),
                r.record,
                r.identifiers,
                r.comparisons,
                r.rule,
                r.score,
            )
            for r in reviews
            if state.find(r.customer) != state.find(r.other)
            and frozenset((state.find(r.customer), state.find(r.other))) not in parted
        ],
    )
    return plan, unweighed


def _taken_back(identifier: Identifier, reason: str) -> str:
    return (
        f"{TAKE_BACK_RULE}: {identifier.key} linked this record, of which nothing says who the person is, before a "
        f"record of another person yielded on it later in the batch (known to be shared by people): {reason}"
    )


_NONE = _Cluster(datetime.min, None)


def _weigh(
    state: _State,
    matching: Matching,
    index: int,
    record: str,
    current: str | None,
    placed: Mapping[int, str],
    separated: set[frozenset[str]],
) -> MatchDecision:
    """The decision policy (``matching.decide``) on batch record ``index`` and its scored pairs, against the
    clusters as the records before it left them; ``current`` is the customer a record sent again already has."""
    stored = matching.pairs.stored
    pairs: list[Pair] = []
    cluster_of: dict[str, str] = {}
    for candidate in matching.pairs.of(index):
        if candidate.batch_index is not None:
            origin = placed.get(candidate.batch_index)
        else:
            customer = stored[candidate.pair.right].customer
            origin = matching.aliases.get(customer, customer)
        if origin is None:
            continue
        cluster = state.find(origin)
        if cluster not in state.clusters:
            continue  # a customer the graph did not return (erased since, say): no evidence
        cluster_of[candidate.pair.right] = cluster
        pairs.append(candidate.pair)
    if not pairs:
        return MatchDecision()
    if current is not None:
        cluster_of[record] = state.find(current)
    thresholds = matching.thresholds
    (decided,) = decide_match([record], pairs, Clusters(cluster_of, separated), thresholds).records
    yielding: dict[str, Join] = {}
    for y in decided.yields:
        cluster = cluster_of[y.other]
        if y.pair.against_person(thresholds) and cluster not in yielding:
            yielding[cluster] = Join(cluster, y.pair, y.reason)
    reviews = {cluster_of[r.other]: Join(cluster_of[r.other], r.pair, r.reason) for r in decided.reviews}
    shares = _shares(decided.yields, cluster_of)
    devices_only = {c for c, keys in shares.items() if all(k.startswith("devices:") for k in keys)}
    for cluster, found in yielding.items():
        if cluster not in devices_only:  # a yielding identifier asks the stewards, unless a shop's tablet
            reviews.setdefault(cluster, found)
    for cluster, found in _unsupported(shares, pairs, cluster_of, thresholds).items():
        if cluster not in yielding:
            yielding[cluster] = found
            if found.evidence.match_weight >= thresholds.review_at:
                reviews.setdefault(cluster, found)
    return MatchDecision(
        tuple(Join(cluster_of[j.other], j.pair) for j in decided.joins),
        tuple(sorted(reviews.values(), key=lambda j: (-j.evidence.match_weight, j.cluster))),
        tuple(sorted(yielding.values(), key=lambda j: j.cluster)),
    )


EXPLAINED = (Reason.NOTHING_TO_WEIGH, Reason.HOUSEHOLD_ONLY)
"""Why a shared value yields, said in the conflict instead of "the records weigh against this record": the pair
is not scored against the person, it is only not enough."""


def _shares(yields: Iterable[Yield], cluster_of: Mapping[str, str]) -> dict[str, set[str]]:
    """The identifiers a record shares with each cluster whose records it yielded to. A cluster it shares only
    device ids with is a shop's tablet: that says nothing about who a person is (the model weighs a shared device
    at about 0), so its yielding is no question for the stewards."""
    shared: dict[str, set[str]] = defaultdict(set)
    for y in yields:
        shared[cluster_of[y.other]].add(y.identifier)
    return shared


def _unsupported(
    shared: Mapping[str, set[str]],
    pairs: Iterable[Pair],
    cluster_of: Mapping[str, str],
    thresholds: Thresholds,
) -> dict[str, Join]:
    """Clusters that a record shares only shareable identifiers with (phones, e-mails, devices), whose records
    the model, places left out, never scores at ``review_at`` against it: nothing but the shared value says they
    are one person. Where no name or birth date was compared to disagree (a record with no name behind it), the
    value then joins them only while it is not known to be shared by people (``NOTHING_TO_WEIGH``:
    ``decide`` links a person's own phone, but not a value that yielded before, as a family phone or a shop's
    tablet does once two people's records met on it, nor a value of a type people share from its first use,
    ``rules.shared``). Where a name or the birth date was compared and disagrees (a surname that agrees and a given
    name that does not: two sisters), the value yields whatever is known of it (``HOUSEHOLD_ONLY``)."""
    evidence: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        cluster = cluster_of.get(pair.right)
        if cluster is not None and cluster in shared:
            evidence[cluster].append(pair)
    found: dict[str, Join] = {}
    for cluster, keys in sorted(shared.items()):
        scored = evidence.get(cluster)
        if not scored or not all(key.startswith(SHAREABLE) for key in keys):
            continue
        best = max(scored, key=lambda p: (p.personal_weight(), p.right))
        if best.personal_weight() >= thresholds.review_at:
            continue
        disagrees = any(p.description_disagrees() for p in scored)
        found[cluster] = Join(cluster, best, Reason.HOUSEHOLD_ONLY if disagrees else Reason.NOTHING_TO_WEIGH)
    return found


def _review_rule(reason: Reason | None) -> str:
    """A review candidate's rule: the policy's reason, or (a join the planner refused) an identifier limit."""
    return (
        f"{REVIEW_RULE}: {reason.value if reason is not None else 'joining would break an identifier limit'}"
    )


def _model_joins(
    state: _State, joins: Sequence[Join], joined: set[str], decision: Decision, separated: set[frozenset[str]]
) -> tuple[list[str], list[Join]]:
    """The clusters the model joins beside those the identifiers joined, strongest first; a join that would merge
    customers a split or a steward parted, or break an identifier limit, is refused (and goes to the stewards).

    A limit the record's own new identifiers break is not a reason to refuse when the model compared that
    identifier and found it agreeing (a national id one edit from the one the customer holds), or when the type is
    written by hand (``rules.written``: its values come with typos, and the model's weight, at the merge threshold,
    counts how the two differ): as with a deterministic link, the record's identifier yields (a conflict naming
    the pair's weight) and the record joins. A limit the clusters' own holdings break, or a system-issued id the
    model found different, still refuses."""
    taken: list[str] = []
    refused: list[Join] = []
    pool = set(decision.linked).union(*(state.clusters[c].holdings for c in joined))
    for join in joins:
        cluster = state.find(join.cluster)
        if cluster in joined or cluster in taken:
            continue
        held = state.clusters[cluster].holdings
        if any(frozenset((cluster, other)) in separated for other in (*joined, *taken)):
            refused.append(Join(join.cluster, join.evidence, Reason.KEPT_APART))
            continue
        broken = breach(pool | held, [pool, held], state.rules.limits)
        if broken is not None:
            broken = _yield_variants(state, decision, pool, held, joined, join.evidence, broken)
            pool = set(decision.linked).union(*(state.clusters[c].holdings for c in (*joined, *taken)))
        if broken is not None:
            refused.append(Join(join.cluster, join.evidence))
            continue
        taken.append(cluster)
        pool |= held
    return taken, refused


COMPARISON_OF = {
    IdentifierType.NATIONAL_ID: "national_id",
    IdentifierType.PHONE: "phone",
    IdentifierType.EMAIL: "email",
    IdentifierType.WECHAT_UNIONID: "wechat",
    IdentifierType.WECHAT_OPENID: "wechat",
    IdentifierType.DEVICE_ID: "device",
    IdentifierType.CRM_ID: "system_id",
    IdentifierType.ECOMMERCE_ID: "system_id",
    IdentifierType.POS_ID: "system_id",
    IdentifierType.SERVICE_DESK_ID: "system_id",
}
"""The model's comparison of each identifier type."""


def _yield_variants(
    state: _State,
    decision: Decision,
    pool: set[Identifier],
    held: Collection[Identifier],
    joined: Collection[str],
    evidence: Pair,
    broken: tuple[IdentifierType, int, int],
) -> tuple[IdentifierType, int, int] | None:
    """Let the record's own new identifiers of the broken limit's type yield, when the model compared that type
    and found it agreeing or the type is written by hand; the limit still broken afterwards (``None``: the join
    may go ahead, ``decision`` has the identifiers moved from its links to its conflicts)."""
    kind, _, limit = broken
    compared = next((c for c in evidence.contributions if c.comparison == COMPARISON_OF.get(kind)), None)
    if compared is None or (compared.weight <= 0 and kind not in state.rules.written):
        return broken
    others = set(held).union(*(state.clusters[c].holdings for c in joined))
    variants = [i for i in decision.linked if i.type is kind and i not in others]
    if not variants:
        return broken
    rest = (pool - set(variants)) | set(held)
    still = breach(rest, [pool - set(variants), held], state.rules.limits)
    if still is not None:
        return still
    for identifier in variants:
        decision.linked.remove(identifier)
        decision.conflicts.append(
            (
                identifier,
                f"the matching model joined the record to a customer holding another {kind.value} (match weight "
                f"{evidence.match_weight:.1f}; {compared.comparison} {compared.level} {compared.weight:+.1f}): "
                f"linking it would exceed the limit of {limit}",
            )
        )
    return None


def _joined_event(
    kind: str,
    customer: str,
    other: str,
    record: str,
    pulled: Mapping[str, list[Identifier]],
    evidence: Mapping[str, Join],
    decision: Decision | None = None,
) -> Event:
    """A merge (``other`` merged away) or a link: named for the identifiers that joined ``other`` (or the customer),
    else for the model's pair, whose score and comparisons it carries either way."""
    subject = other or customer
    identifiers = tuple(i.key for i in pulled.get(subject, ()))
    if not identifiers and decision is not None and subject not in evidence:
        identifiers = tuple(i.key for i in decision.linked)
    found = evidence.get(subject)
    rule = MERGE_RULE if kind == "merge" else LINK_EVENT_RULE
    if found is not None and not pulled.get(subject):
        rule = PROBABILISTIC_RULE
    if found is None:
        return Event(kind, customer, other, record, rule, identifiers)
    return Event(
        kind,
        customer,
        other,
        record,
        rule,
        identifiers,
        found.evidence.match_weight,
        tuple(explain(found.evidence)),
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
