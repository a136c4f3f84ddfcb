"""Ingestion of validated source records into the identity graph, one relay claim per transaction.

The relay is the only writer of identity resolution (``subgraphs/profiles/relay.py``): it applies the outbox's
ingest events in order. Per transaction: read what the graph knows about the records and identifiers (two calls),
plan every record in memory (``plan.plan_batch``, pure), then write the plan with a few ``UNWIND`` statements and
a marker per event (``applied``). Writes to the identity graph are serialised by one lock node, so no two writers
interleave a read and a write of the same cluster, and every transaction sees the graph the previous one left.

The graph keeps the evidence: each source record, what it claimed (``CLAIMS``), what yielded to a limit
(``CONFLICTS``), each merge (``MERGED_INTO``) and an ``IdentityEvent`` for every merge and conflict; a record's new
version replaces what its old one claimed (``retract``). The ``HAS_IDENTIFIER`` links and ``RESOLVES_TO``
assignments are the current clustering derived from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from neo4j import AsyncManagedTransaction

from graph_store.driver import GraphStore
from graph_store.identifiers import Identifier, IdentifierType
from graph_store.identity import LinkRow, links_in
from graph_store.locks import lock
from graph_store.resolution import applied
from graph_store.resolution.plan import KnownCustomer, KnownRecord, Outcome, Plan, RecordPlan, plan_batch
from graph_store.resolution.records import ValidRecord, graph_attributes
from graph_store.resolution.retract import dropped_claims
from graph_store.resolution.rules import MatchingRules

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The creation time of a customer stored without one, so it ranks oldest."""


async def _read(
    tx: AsyncManagedTransaction, batch: list[ValidRecord]
) -> tuple[dict[str, KnownRecord], list[KnownCustomer]]:
    """The planner's input from the graph: the batch's stored records and every customer it may touch."""
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
    known = {r["key"]: KnownRecord(r["hash"], r["customer"]) for r in records}
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
    customers = [
        KnownCustomer(
            row["id"],
            row["createdAt"].to_native() if row["createdAt"] is not None else EPOCH,
            row["firstSystem"],
            frozenset(Identifier(IdentifierType(t), v) for t, v in row["holdings"]),
            frozenset(row["splitFrom"]),
        )
        for row in clusters
    ]
    return known, customers


def _parameters(plan: Plan, at: str) -> dict[str, list[dict[str, Any]]]:
    """The plan as the ``UNWIND`` parameters of ``_write``."""
    writes: list[dict[str, Any]] = []
    for r in plan.records:
        valid, record = r.valid, r.valid.record
        raw_of = {i.key: raw for i, raw in valid.identifiers}
        writes.append(
            {
                "key": record.key,
                "system": record.system,
                "externalId": record.external_id,
                "observedAt": record.observed_at.isoformat(),
                "hash": valid.content_hash,
                "attributes": orjson.dumps(graph_attributes(valid.attributes)).decode(),
                "blocked": [f"{i.key} ({pattern})" for i, pattern in r.blocked],
                "customer": r.customer,
                "origin": r.origin,
                "claims": [
                    {
                        "key": i.key,
                        "type": i.type.value,
                        "value": i.value,
                        "raw": raw_of[i.key],
                        "rule": "exact",
                    }
                    for i in r.linked
                ],
                "conflicts": [
                    {
                        "key": i.key,
                        "type": i.type.value,
                        "value": i.value,
                        "raw": raw_of[i.key],
                        "reason": reason,
                    }
                    for i, reason in r.conflicts
                ],
            }
        )
    return {
        "created": [
            {"id": c.id, "createdAt": c.created_at.isoformat(), "firstSystem": c.first_system}
            for c in plan.created
        ],
        "merges": [
            {"loser": loser, "survivor": survivor, "at": at} for loser, survivor in plan.merges.items()
        ],
        "writes": writes,
        "events": [
            {
                "kind": e.kind,
                "customer": e.customer,
                "other": e.other,
                "record": e.record,
                "rule": e.rule,
                "at": at,
            }
            for e in plan.events
        ],
    }


async def _write(tx: AsyncManagedTransaction, plan: dict[str, list[dict[str, Any]]]) -> None:
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


def _encode(outcome: Outcome, record: RecordPlan | None) -> dict[str, Any]:
    """One record's outcome as JSON: what the API answers, and what PostgreSQL keeps of the record."""
    return {
        "key": outcome.key,
        "status": outcome.status,
        "customer": outcome.customer_id,
        "merged": outcome.merged,
        "conflicts": [[i.type.value, i.value, reason] for i, reason in outcome.conflicts],
        "blocked": [[i.type.value, i.value, pattern] for i, pattern in outcome.blocked],
        "linked": [i.key for i in record.linked] if record is not None else [],
        "origin": record.origin if record is not None else None,
    }


def decode_outcome(data: dict[str, Any]) -> Outcome:
    return Outcome(
        data["key"],
        data["status"],
        data["customer"],
        list(data["merged"]),
        [(Identifier(IdentifierType(t), v), reason) for t, v, reason in data["conflicts"]],
        [(Identifier(IdentifierType(t), v), pattern) for t, v, pattern in data["blocked"]],
    )


@dataclass(frozen=True)
class Applied:
    """What one relay transaction did to the graph, for PostgreSQL's write-back."""

    results: dict[int, dict[str, Any]]
    """Each event's result: ``{"outcomes": [...]}``, one per record in event order."""
    links: list[LinkRow]
    """The current identifiers of every customer the events touched, read after the writes."""


def touched(results: Iterable[dict[str, Any]]) -> set[str]:
    """The customers whose records changed (unchanged records touch nothing)."""
    return {o["customer"] for r in results for o in r.get("outcomes", ()) if o["status"] != "unchanged"}


async def apply_ingest(
    store: GraphStore,
    stream: str,
    events: Sequence[tuple[int, Sequence[ValidRecord]]],
    rules: MatchingRules,
    oldest: int,
) -> Applied:
    """Resolve the records of several ingest events in one transaction, in event order, as one batch.

    An event already applied (its marker is there: a redelivery) is not applied again; its stored result is
    returned. Deciding the records of several events in one plan gives what applying them one by one would.
    ``oldest`` is the first event of the relay's claim: markers of earlier events are pruned.
    """
    at = datetime.now(UTC).isoformat()
    ids = [event_id for event_id, _ in events]

    async def work(tx: AsyncManagedTransaction) -> Applied:
        await lock(tx)
        results: dict[int, dict[str, Any]] = await applied.read(tx, stream, ids)
        todo = [(event_id, records) for event_id, records in events if event_id not in results]
        if todo:
            batch = [record for _, records in todo for record in records]
            known, customers = await _read(tx, batch)
            plan = plan_batch(batch, known, customers, rules)
            parameters = _parameters(plan, at)
            await _write(tx, parameters)
            await dropped_claims(tx, parameters["writes"])
            plans = iter(plan.records)
            encoded = [_encode(o, next(plans) if o.status != "unchanged" else None) for o in plan.outcomes]
            start = 0
            fresh: dict[int, dict[str, Any]] = {}
            for event_id, records in todo:
                fresh[event_id] = {"outcomes": encoded[start : start + len(records)]}
                start += len(records)
            await applied.write(tx, stream, fresh)
            results |= fresh
        await applied.prune(tx, stream, oldest)
        links = await links_in(tx, sorted(touched(results.values())))
        return Applied(results, links)

    return await store.transaction(work)
