"""Ingestion of validated source records into the identity graph, one batch per transaction.

Per batch: read the customers the batch's identifiers already belong to (one call), decide every record in order
in memory (``decide``), then write the outcome with a few ``UNWIND`` statements. Writes to the identity graph are
serialised by one lock node, so concurrent ingesters cannot interleave a read and a write of the same cluster, and
every batch sees the graph the previous one left.

The graph keeps the evidence append-only: each source record, what it claimed (``CLAIMS``), what yielded to a limit
(``CONFLICTS``), each merge (``MERGED_INTO``) and an ``IdentityEvent`` for every merge and conflict. The
``HAS_IDENTIFIER`` links and ``RESOLVES_TO`` assignments are the current clustering derived from it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from neo4j import AsyncManagedTransaction

from graph_store.driver import GraphStore
from graph_store.identifiers import Identifier, IdentifierType
from graph_store.locks import lock
from graph_store.resolution.decide import decide
from graph_store.resolution.records import ValidRecord
from graph_store.resolution.rules import MatchingRules, SurvivorRule
from graph_store.resolution.survivorship import Evidence

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Outcome:
    key: str
    status: str
    """``created``, ``linked``, ``merged`` or ``unchanged``."""
    customer_id: str
    merged: list[str] = field(default_factory=list)
    conflicts: list[tuple[Identifier, str]] = field(default_factory=list)
    blocked: list[tuple[Identifier, str]] = field(default_factory=list)


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    merges: dict[str, str]
    """Each merged-away customer id and the id that survived it."""
    evidence: dict[str, list[Evidence]]
    """Source records of every customer the batch touched (survivors), for the golden record."""
    revived: list[str] = field(default_factory=list)
    """Merged-away ids a split brought back: they stop being aliases."""


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


async def _read(
    tx: AsyncManagedTransaction, batch: list[ValidRecord], rules: MatchingRules
) -> tuple[dict[str, Any], _State]:
    records = await (
        await tx.run(
            """
            UNWIND $keys AS key
            MATCH (sr:SourceRecord {key: key})
            OPTIONAL MATCH (sr)-[:RESOLVES_TO]->(c:Customer)
            RETURN key, sr.hash AS hash, c.id AS customer
            """,
            keys=[v.record.key for v in batch],
        )
    ).data()
    existing = {r["key"]: r for r in records}
    keys = sorted({i.key for v in batch for i, _ in v.identifiers})
    current = sorted({r["customer"] for r in records if r["customer"]})
    clusters = await (
        await tx.run(
            """
            CALL () {
              UNWIND $keys AS key
              MATCH (:Identifier {key: key})<-[:HAS_IDENTIFIER]-(c:Customer)
              RETURN c
              UNION
              UNWIND $customers AS id
              MATCH (c:Customer {id: id})
              RETURN c
            }
            WITH DISTINCT c
            RETURN c.id AS id, c.createdAt AS createdAt, c.firstSystem AS firstSystem,
                   [(c)-[:HAS_IDENTIFIER]->(i:Identifier) | [i.type, i.value]] AS holdings,
                   [(c)-[:SPLIT_FROM]-(o:Customer) | o.id] AS splitFrom
            """,
            keys=keys,
            customers=current,
        )
    ).data()
    state = _State(rules)
    for row in clusters:
        created = row["createdAt"].to_native() if row["createdAt"] is not None else EPOCH
        holdings = {Identifier(IdentifierType(t), v) for t, v in row["holdings"]}
        state.add(row["id"], _Cluster(created, row["firstSystem"], holdings))
        state.split_pairs |= {frozenset((row["id"], other)) for other in row["splitFrom"]}
    return existing, state


def _plan(
    batch: list[ValidRecord], existing: dict[str, Any], state: _State, at: str
) -> tuple[list[Outcome], dict[str, Any]]:
    outcomes: list[Outcome] = []
    created: list[dict[str, Any]] = []
    writes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for valid in batch:
        record = valid.record
        known = existing.get(record.key)
        if known is not None and known["hash"] == valid.content_hash and known["customer"]:
            outcomes.append(Outcome(record.key, "unchanged", state.find(known["customer"])))
            continue
        raw_of = {i.key: raw for i, raw in valid.identifiers}
        decision = decide(
            (i for i, _ in valid.identifiers),
            state.owners,
            _Holdings(state.clusters),
            state.rules,
            state.separated(),
        )
        customers = {state.find(c) for c in decision.customers}
        if known is not None and known["customer"]:
            customers.add(state.find(known["customer"]))
        merged: list[str] = []
        if not customers:
            customer = str(uuid.uuid4())
            state.add(customer, _Cluster(record.observed_at, record.system))
            created.append(
                {"id": customer, "createdAt": record.observed_at.isoformat(), "firstSystem": record.system}
            )
            status = "created"
        else:
            customer = state.survivor(sorted(customers))
            merged = sorted(customers - {customer})
            for loser in merged:
                state.merge(customer, loser)
                events.append(
                    {
                        "kind": "merge",
                        "customer": customer,
                        "other": loser,
                        "record": record.key,
                        "rule": "shared identifier",
                        "at": at,
                    }
                )
            status = "merged" if merged else "linked"
        for identifier in decision.linked:
            state.link(customer, identifier)
        for identifier, reason in decision.conflicts:
            events.append(
                {
                    "kind": "conflict",
                    "customer": customer,
                    "other": identifier.key,
                    "record": record.key,
                    "rule": reason,
                    "at": at,
                }
            )
        writes.append(
            {
                "key": record.key,
                "system": record.system,
                "externalId": record.external_id,
                "observedAt": record.observed_at.isoformat(),
                "hash": valid.content_hash,
                "attributes": orjson.dumps(
                    {k: str(v) if not isinstance(v, int) else v for k, v in valid.attributes.items()}
                ).decode(),
                "blocked": [f"{i.key} ({pattern})" for i, pattern in decision.blocked],
                "customer": customer,
                "origin": customer,
                "claims": [
                    {
                        "key": i.key,
                        "type": i.type.value,
                        "value": i.value,
                        "raw": raw_of[i.key],
                        "rule": "exact",
                    }
                    for i in decision.linked
                ],
                "conflicts": [
                    {
                        "key": i.key,
                        "type": i.type.value,
                        "value": i.value,
                        "raw": raw_of[i.key],
                        "reason": reason,
                    }
                    for i, reason in decision.conflicts
                ],
            }
        )
        outcomes.append(Outcome(record.key, status, customer, merged, decision.conflicts, decision.blocked))
    # Later records may merge earlier survivors: point everything at the final survivor.
    for write in writes:
        write["customer"] = state.find(write["customer"])
    for outcome in outcomes:
        outcome.customer_id = state.find(outcome.customer_id)
    for event in events:
        event["customer"] = state.find(event["customer"])
    merges = [{"loser": loser, "survivor": state.find(loser), "at": at} for loser in state.parent]
    return outcomes, {"created": created, "writes": writes, "events": events, "merges": merges}


async def _write(tx: AsyncManagedTransaction, plan: dict[str, Any]) -> None:
    if plan["created"]:
        await tx.run(
            """
            UNWIND $created AS n
            CREATE (:Customer {id: n.id, createdAt: datetime(n.createdAt), firstSystem: n.firstSystem})
            """,
            created=plan["created"],
        )
    if plan["merges"]:
        await tx.run(
            """
            UNWIND $merges AS m
            MATCH (l:Customer {id: m.loser}), (s:Customer {id: m.survivor})
            CALL (l, s) {
              MATCH (l)-[r:HAS_IDENTIFIER]->(i:Identifier)
              MERGE (s)-[k:HAS_IDENTIFIER]->(i)
                ON CREATE SET k = properties(r)
              DELETE r
            }
            CALL (l, s) {
              MATCH (sr:SourceRecord)-[r:RESOLVES_TO]->(l)
              CREATE (sr)-[:RESOLVES_TO]->(s)
              DELETE r
            }
            CALL (l, s) {
              MATCH (l)-[r:WORKS_AT]->(a:Account)
              MERGE (s)-[k:WORKS_AT]->(a) ON CREATE SET k = properties(r)
              DELETE r
            }
            CALL (l, s) {
              MATCH (l)-[r:MEMBER_OF]->(h:Household)
              WITH r, h WHERE NOT EXISTS { (s)-[:MEMBER_OF]->() }
              CREATE (s)-[k:MEMBER_OF]->(h) SET k = properties(r)
            }
            CALL (l, s) {
              MATCH (l)-[r:REFERRED]->(d:Customer) WHERE d <> s
              MERGE (s)-[k:REFERRED]->(d) ON CREATE SET k = properties(r)
            }
            CALL (l, s) {
              MATCH (x:Customer)-[r:REFERRED]->(l)
              WITH r, x WHERE x <> s AND NOT EXISTS { ()-[:REFERRED]->(s) }
              CREATE (x)-[k:REFERRED]->(s) SET k = properties(r)
            }
            CALL (l) {
              MATCH (l)-[r:MEMBER_OF|REFERRED]-() DELETE r
            }
            SET l.mergedInto = s.id
            CREATE (l)-[:MERGED_INTO {at: datetime(m.at)}]->(s)
            """,
            merges=plan["merges"],
        )
    if plan["writes"]:
        await tx.run(
            """
            UNWIND $writes AS w
            MERGE (sr:SourceRecord {key: w.key})
            SET sr.system = w.system, sr.externalId = w.externalId, sr.observedAt = datetime(w.observedAt),
                sr.hash = w.hash, sr.attributes = w.attributes, sr.blocked = w.blocked,
                sr.origin = coalesce(sr.origin, w.origin)
            WITH sr, w
            MATCH (c:Customer {id: w.customer})
            CALL (sr) { MATCH (sr)-[old:RESOLVES_TO]->() DELETE old }
            CREATE (sr)-[:RESOLVES_TO]->(c)
            WITH sr, w, c
            CALL (sr, w, c) {
              UNWIND w.claims AS cl
              MERGE (i:Identifier {key: cl.key}) ON CREATE SET i.type = cl.type, i.value = cl.value
              MERGE (sr)-[x:CLAIMS]->(i) ON CREATE SET x.raw = cl.raw, x.rule = cl.rule, x.at = datetime()
              MERGE (c)-[h:HAS_IDENTIFIER]->(i)
                ON CREATE SET h.source = w.system, h.observedAt = datetime(w.observedAt), h.raw = cl.raw,
                              h.rule = cl.rule
            }
            CALL (sr, w) {
              UNWIND w.conflicts AS cf
              MERGE (i:Identifier {key: cf.key}) ON CREATE SET i.type = cf.type, i.value = cf.value
              MERGE (sr)-[x:CONFLICTS]->(i) ON CREATE SET x.raw = cf.raw, x.reason = cf.reason, x.at = datetime()
            }
            """,
            writes=plan["writes"],
        )
    if plan["events"]:
        await tx.run(
            """
            UNWIND $events AS e
            MATCH (c:Customer {id: e.customer})
            CREATE (:IdentityEvent {kind: e.kind, record: e.record, rule: e.rule, other: e.other, at: datetime(e.at)})
                   -[:ABOUT]->(c)
            """,
            events=plan["events"],
        )


async def evidence_of(tx: AsyncManagedTransaction, customers: list[str]) -> dict[str, list[Evidence]]:
    rows = await (
        await tx.run(
            """
            UNWIND $ids AS id
            MATCH (:Customer {id: id})<-[:RESOLVES_TO]-(sr:SourceRecord)
            RETURN id, sr.system AS system, sr.externalId AS externalId, sr.observedAt AS observedAt,
                   sr.attributes AS attributes
            """,
            ids=customers,
        )
    ).data()
    found: dict[str, list[Evidence]] = defaultdict(list)
    for row in rows:
        found[row["id"]].append(
            Evidence(
                row["system"],
                row["externalId"],
                row["observedAt"].to_native(),
                orjson.loads(row["attributes"]),
            )
        )
    return found


async def ingest_batch(store: GraphStore, batch: list[ValidRecord], rules: MatchingRules) -> BatchResult:
    """Resolve a batch of records in one transaction (retried whole on transient errors)."""
    at = datetime.now(UTC).isoformat()

    async def work(tx: AsyncManagedTransaction) -> BatchResult:
        await lock(tx)
        existing, state = await _read(tx, batch, rules)
        outcomes, plan = _plan(batch, existing, state, at)
        await _write(tx, plan)
        touched = sorted({o.customer_id for o in outcomes if o.status != "unchanged"})
        evidence = await evidence_of(tx, touched)
        merges = {m["loser"]: m["survivor"] for m in plan["merges"]}
        return BatchResult(outcomes, merges, {c: evidence.get(c, []) for c in touched})

    return await store.transaction(work)
