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

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
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
from graph_store.resolution.plan import (
    DETERMINISTIC,
    LINK_RULE,
    KnownCustomer,
    KnownRecord,
    Link,
    Matching,
    Outcome,
    Plan,
    RecordPlan,
    Review,
    plan_batch,
)
from graph_store.resolution.records import FieldError, ValidRecord, graph_attributes
from graph_store.resolution.retract import dropped_claims
from graph_store.resolution.rules import MatchingRules

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The creation time of a customer stored without one, so it ranks oldest."""


async def _read(
    tx: AsyncManagedTransaction, batch: list[ValidRecord], candidates: Sequence[str] = ()
) -> tuple[dict[str, KnownRecord], list[KnownCustomer], dict[str, str]]:
    """The planner's input from the graph: the batch's stored records and every customer it may touch (holding
    one of its identifiers, or one of its records, or a candidate record the model scores it against), with their
    links (so the projection of current identifiers is computed from the plan, not read back)."""
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
    ).values()
    known = {key: KnownRecord(hash, customer) for key, hash, customer in records}
    keys = sorted({i.key for v in batch for i, _ in v.identifiers})
    aliases: dict[str, str] = {}
    if candidates:
        # A candidate's customer as PostgreSQL still holds it may have been merged since (by the claim's previous
        # chunk): its records are evidence about the survivor.
        for id, live in await (
            await tx.run(
                """
                UNWIND $ids AS id
                MATCH (:Customer {id: id})-[:MERGED_INTO]->{1,20}(c:Customer) WHERE c.mergedInto IS NULL
                RETURN id, c.id AS live
                """,
                ids=list(candidates),
            )
        ).values():
            aliases[id] = live
    current = sorted(
        {customer for _, _, customer in records if customer} | {aliases.get(c, c) for c in candidates}
    )
    clusters = await (
        await tx.run(
            """
            CALL () {
              UNWIND $keys AS key
              MATCH (:Identifier {key: key})<-[:HAS_IDENTIFIER]-(c:Customer)
              RETURN c
              UNION
              UNWIND $customers AS id
              MATCH (c:Customer {id: id}) WHERE c.mergedInto IS NULL
              RETURN c
            }
            WITH DISTINCT c
            RETURN c.id AS id, c.createdAt.epochSeconds AS seconds, c.createdAt.microsecond AS micros,
                   c.firstSystem AS firstSystem,
                   [(c)-[h:HAS_IDENTIFIER]->(i:Identifier) | [i.type, i.value, h.source, h.observedAt.epochSeconds,
                    h.observedAt.microsecond, coalesce(h.rule, 'exact')]] AS links,
                   [(c)-[:SPLIT_FROM|KEPT_APART]-(o:Customer) | o.id] AS splitFrom
            """,
            keys=keys,
            customers=current,
        )
    ).values()
    customers = []
    for id, seconds, created_micros, first_system, rows, split_from in clusters:
        links = tuple(
            Link(
                Identifier(IdentifierType(t), v),
                source,
                datetime.fromtimestamp(at, UTC).replace(microsecond=micros),
                rule,
            )
            for t, v, source, at, micros, rule in rows
        )
        customers.append(
            KnownCustomer(
                id,
                (
                    datetime.fromtimestamp(seconds, UTC).replace(microsecond=created_micros)
                    if seconds is not None
                    else EPOCH
                ),
                first_system,
                frozenset(link.identifier for link in links),
                frozenset(split_from),
                links,
            )
        )
    return known, customers, aliases


def _parameters(plan: Plan, known: Mapping[str, KnownRecord], at: datetime) -> dict[str, Any]:
    """The plan as the ``UNWIND`` parameters of ``_write``: one flat list per kind of write, so each statement is
    a plain ``UNWIND`` (nodes and edges the plan knows to be new are created, not merged)."""
    fresh: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    identifiers: dict[str, dict[str, str]] = {}
    claims_new: list[dict[str, Any]] = []
    claims_again: list[dict[str, Any]] = []
    conflicts: list[dict[str, Any]] = []
    seen: set[str] = set()
    born = {c.id for c in plan.created}
    for r in plan.records:
        valid, record = r.valid, r.valid.record
        raw_of = {i.key: raw for i, raw in valid.identifiers}
        row = {
            "key": record.key,
            "system": record.system,
            "externalId": record.external_id,
            "observedAt": record.observed_at.isoformat(),
            "hash": valid.content_hash,
            "attributes": orjson.dumps(graph_attributes(valid.attributes)).decode(),
            "blocked": [f"{i.key} ({pattern})" for i, pattern in r.blocked],
            "customer": r.customer,
            "origin": r.origin,
        }
        stored = record.key in known or record.key in seen  # a record twice in a batch is created once
        seen.add(record.key)
        (changed if stored else fresh).append(row)
        claims = claims_again if stored else claims_new
        for i in r.linked:
            identifiers[i.key] = {"key": i.key, "type": i.type.value, "value": i.value}
            claims.append({"record": record.key, "key": i.key, "raw": raw_of[i.key], "rule": LINK_RULE})
        for i, reason in r.conflicts:
            identifiers[i.key] = {"key": i.key, "type": i.type.value, "value": i.value}
            conflicts.append({"record": record.key, "key": i.key, "raw": raw_of[i.key], "reason": reason})
    return {
        "at": at,
        "created": [
            {"id": c.id, "createdAt": c.created_at.isoformat(), "firstSystem": c.first_system}
            for c in plan.created
        ],
        # A customer created and merged away within the batch holds nothing yet (its records resolve to the
        # survivor directly): it only needs marking, not the moves of a merge.
        "merges": [
            {"loser": loser, "survivor": survivor}
            for loser, survivor in plan.merges.items()
            if loser not in born
        ],
        "retired": [
            {"loser": loser, "survivor": survivor} for loser, survivor in plan.merges.items() if loser in born
        ],
        "fresh": fresh,
        "changed": changed,
        "identifiers": list(identifiers.values()),
        "claimsNew": claims_new,
        "claimsAgain": claims_again,
        "conflicts": conflicts,
        "links": [
            {
                "customer": customer,
                "key": link.identifier.key,
                "source": link.source,
                "observedAt": link.observed_at.isoformat(),
                "raw": raw,
                "rule": link.rule,
            }
            for customer, link, raw in plan.new_links
        ],
        "events": [
            {
                "kind": e.kind,
                "customer": e.customer,
                "other": e.other,
                "record": e.record,
                "rule": e.rule,
                "identifiers": list(e.identifiers),
                "score": e.score,
                "comparisons": orjson.dumps(list(e.comparisons)).decode() if e.comparisons else None,
            }
            for e in plan.events
        ],
    }


def _retracting(parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``dropped_claims``' rows: each record stored before, with the identifiers its new version claims and
    conflicts on (whatever else it claimed, it takes back)."""
    claims: dict[str, list[dict[str, str]]] = defaultdict(list)
    conflicts: dict[str, list[dict[str, str]]] = defaultdict(list)
    for claim in parameters["claimsAgain"]:
        claims[claim["record"]].append({"key": claim["key"]})
    for conflict in parameters["conflicts"]:
        conflicts[conflict["record"]].append({"key": conflict["key"]})
    return [
        {
            "key": r["key"],
            "customer": r["customer"],
            "claims": claims[r["key"]],
            "conflicts": conflicts[r["key"]],
        }
        for r in parameters["changed"]
    ]


async def move_into(tx: AsyncManagedTransaction, merges: list[dict[str, str]], at: datetime) -> None:
    """Merge each ``loser`` into its ``survivor`` (in order): identifiers, source records, accounts, household and
    referrals move; the loser keeps its node, marked merged, so its id resolves and a split can revive it."""
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
        CREATE (l)-[:MERGED_INTO {at: $at}]->(s)
        """,
        merges=merges,
        at=at,
    )


async def _write(tx: AsyncManagedTransaction, plan: dict[str, Any]) -> None:
    at = plan["at"]
    if plan["created"]:
        await tx.run(
            """
            UNWIND $created AS n
            CREATE (:Customer {id: n.id, createdAt: datetime(n.createdAt), firstSystem: n.firstSystem})
            """,
            created=plan["created"],
        )
    if plan["merges"]:
        await move_into(tx, plan["merges"], at)
    if plan["retired"]:
        await tx.run(
            """
            UNWIND $rows AS m
            MATCH (l:Customer {id: m.loser}), (s:Customer {id: m.survivor})
            SET l.mergedInto = s.id
            CREATE (l)-[:MERGED_INTO {at: $at}]->(s)
            """,
            rows=plan["retired"],
            at=at,
        )
    if plan["fresh"]:
        await tx.run(
            """
            UNWIND $rows AS w
            MATCH (c:Customer {id: w.customer})
            CREATE (:SourceRecord {key: w.key, system: w.system, externalId: w.externalId,
                                   observedAt: datetime(w.observedAt), hash: w.hash, attributes: w.attributes,
                                   blocked: w.blocked, origin: w.origin})-[:RESOLVES_TO]->(c)
            """,
            rows=plan["fresh"],
        )
    if plan["changed"]:
        await tx.run(
            """
            UNWIND $rows AS w
            MATCH (sr:SourceRecord {key: w.key}), (c:Customer {id: w.customer})
            SET sr.system = w.system, sr.externalId = w.externalId, sr.observedAt = datetime(w.observedAt),
                sr.hash = w.hash, sr.attributes = w.attributes, sr.blocked = w.blocked,
                sr.origin = coalesce(sr.origin, w.origin)
            WITH sr, c
            CALL (sr) { MATCH (sr)-[old:RESOLVES_TO]->() DELETE old }
            CREATE (sr)-[:RESOLVES_TO]->(c)
            """,
            rows=plan["changed"],
        )
    if plan["identifiers"]:
        await tx.run(
            """
            UNWIND $rows AS i
            MERGE (n:Identifier {key: i.key}) ON CREATE SET n.type = i.type, n.value = i.value
            """,
            rows=plan["identifiers"],
        )
    if plan["claimsNew"]:
        await tx.run(
            """
            UNWIND $rows AS cl
            MATCH (sr:SourceRecord {key: cl.record}), (i:Identifier {key: cl.key})
            CREATE (sr)-[:CLAIMS {raw: cl.raw, rule: cl.rule, at: $at}]->(i)
            """,
            rows=plan["claimsNew"],
            at=at,
        )
    if plan["claimsAgain"]:
        await tx.run(
            """
            UNWIND $rows AS cl
            MATCH (sr:SourceRecord {key: cl.record}), (i:Identifier {key: cl.key})
            MERGE (sr)-[x:CLAIMS]->(i) ON CREATE SET x.raw = cl.raw, x.rule = cl.rule, x.at = $at
            """,
            rows=plan["claimsAgain"],
            at=at,
        )
    if plan["links"]:
        await tx.run(
            """
            UNWIND $rows AS l
            MATCH (c:Customer {id: l.customer}), (i:Identifier {key: l.key})
            CREATE (c)-[:HAS_IDENTIFIER {source: l.source, observedAt: datetime(l.observedAt), raw: l.raw,
                                         rule: l.rule}]->(i)
            """,
            rows=plan["links"],
        )
    if plan["conflicts"]:
        await tx.run(
            """
            UNWIND $rows AS cf
            MATCH (sr:SourceRecord {key: cf.record}), (i:Identifier {key: cf.key})
            MERGE (sr)-[x:CONFLICTS]->(i) ON CREATE SET x.raw = cf.raw, x.reason = cf.reason, x.at = $at
            """,
            rows=plan["conflicts"],
            at=at,
        )
    if plan["events"]:
        await tx.run(
            """
            UNWIND $events AS e
            MATCH (c:Customer {id: e.customer})
            CREATE (:IdentityEvent {kind: e.kind, record: e.record, rule: e.rule, other: e.other,
                                    identifiers: e.identifiers, score: e.score, comparisons: e.comparisons,
                                    at: $at})-[:ABOUT]->(c)
            """,
            events=plan["events"],
            at=at,
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
        "dropped": [[d.field, d.value, d.message] for d in outcome.dropped],
        "linked": [i.key for i in record.linked] if record is not None else [],
        "origin": record.origin if record is not None else None,
        "method": outcome.method,
    }


def _attach_reviews(encoded: list[dict[str, Any]], reviews: Sequence[Review]) -> None:
    """Each record's review pairs go with its outcome, kept in the event's result (and marker): a redelivered
    event raises them again."""
    by_record: dict[str, list[dict[str, Any]]] = {}
    for r in reviews:
        by_record.setdefault(r.record, []).append(
            {
                "other": r.other,
                "identifiers": list(r.identifiers),
                "comparisons": list(r.comparisons),
                "rule": r.rule,
                "score": r.score,
            }
        )
    for outcome in encoded:
        if outcome["key"] in by_record:
            outcome["reviews"] = by_record[outcome["key"]]


def decode_outcome(data: dict[str, Any]) -> Outcome:
    return Outcome(
        data["key"],
        data["status"],
        data["customer"],
        list(data["merged"]),
        [(Identifier(IdentifierType(t), v), reason) for t, v, reason in data["conflicts"]],
        [(Identifier(IdentifierType(t), v), pattern) for t, v, pattern in data["blocked"]],
        [FieldError(f, v, m) for f, v, m in data.get("dropped", ())],
        data.get("method", DETERMINISTIC),
    )


@dataclass(frozen=True)
class Applied:
    """What one relay transaction did to the graph, for PostgreSQL's write-back."""

    results: dict[int, dict[str, Any]]
    """Each event's result: ``{"outcomes": [...]}``, one per record in event order."""
    links: list[LinkRow]
    """The current identifiers of every customer the events touched, after the writes."""


def touched(results: Iterable[dict[str, Any]]) -> set[str]:
    """The customers whose records changed (unchanged records touch nothing)."""
    return {o["customer"] for r in results for o in r.get("outcomes", ()) if o["status"] != "unchanged"}


def _link_rows(links: Mapping[str, Sequence[Link]]) -> list[LinkRow]:
    return [
        LinkRow(
            c, k.identifier.key, k.identifier.type.value, k.identifier.value, k.source, k.observed_at, k.rule
        )
        for c, held in links.items()
        for k in held
    ]


async def _disputed(tx: AsyncManagedTransaction, batch: list[ValidRecord]) -> frozenset[str]:
    """The batch's identifiers that have yielded before (a record claimed one and it was not linked: another
    person, a limit): values known to be shared by people, which link no record that says nothing of who it is."""
    keys = sorted({i.key for v in batch for i, _ in v.identifiers})
    rows = await (
        await tx.run(
            """
            UNWIND $keys AS key
            MATCH (i:Identifier {key: key}) WHERE EXISTS { (i)<-[:CONFLICTS]-(:SourceRecord) }
            RETURN key
            """,
            keys=keys,
        )
    ).values()
    return frozenset(key for (key,) in rows)


async def apply_ingest(
    store: GraphStore,
    stream: str,
    events: Sequence[tuple[int, Sequence[ValidRecord]]],
    rules: MatchingRules,
    oldest: int,
    matching: Callable[[Sequence[ValidRecord]], Matching] | None = None,
    candidates: Sequence[str] = (),
) -> Applied:
    """Resolve the records of several ingest events in one transaction, in event order, as one batch.

    ``matching`` scores the pairs of the records still to apply (all of them, unless a redelivery finds some
    applied) and ``candidates`` lists the customers its stored candidate records resolve to, read with the rest of
    the clusters.

    An event already applied (its marker is there: a redelivery) is not applied again; its stored result is
    returned. Deciding the records of several events in one plan gives what applying them one by one would.
    ``oldest`` is the first event not yet marked done in PostgreSQL: markers of earlier events are pruned.
    The links of the customers the plan touched come from the plan; a redelivery, and a customer whose records
    took claims back, read them back.
    """
    at = datetime.now(UTC)
    ids = [event_id for event_id, _ in events]

    async def work(tx: AsyncManagedTransaction) -> Applied:
        await lock(tx)
        results: dict[int, dict[str, Any]] = await applied.read(tx, stream, ids)
        redelivered = list(results.values())
        todo = [(event_id, records) for event_id, records in events if event_id not in results]
        planned: dict[str, list[Link]] = {}
        retracted: set[str] = set()
        if todo:
            batch = [record for _, records in todo for record in records]
            known, customers, aliases = await _read(tx, batch, candidates)
            disputed = await _disputed(tx, batch) if matching is not None else frozenset()
            scored = (
                dataclasses.replace(matching(batch), aliases=aliases, disputed=disputed)
                if matching is not None
                else None
            )
            plan = plan_batch(batch, known, customers, rules, matching=scored)
            parameters = _parameters(plan, known, at)
            await _write(tx, parameters)
            retracted = await dropped_claims(tx, _retracting(parameters))
            plans = iter(plan.records)
            encoded = [_encode(o, next(plans) if o.status != "unchanged" else None) for o in plan.outcomes]
            _attach_reviews(encoded, plan.reviews)
            start = 0
            fresh: dict[int, dict[str, Any]] = {}
            for event_id, records in todo:
                fresh[event_id] = {"outcomes": encoded[start : start + len(records)]}
                start += len(records)
            await applied.write(tx, stream, fresh)
            planned = {c: held for c, held in plan.links.items() if c not in retracted}
            results |= fresh
        await applied.prune(tx, stream, oldest)
        unknown = sorted((touched(redelivered) | retracted) - set(planned))
        links = _link_rows(planned) + (await links_in(tx, unknown) if unknown else [])
        return Applied(results, links)

    return await store.transaction(work)
