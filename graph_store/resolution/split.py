"""Splitting a customer: undoing merges by the source records that caused them.

The chosen records leave the customer and form a customer of their own; the records that remain are regrouped by
the identifiers they claimed (the evidence the graph keeps), so a merge that only those records caused comes
apart. Each group takes back the id its earliest record was first resolved to when that id is free, which
restores the exact customers that existed before the merge; merged-away ids revived this way stop being aliases.
Every resulting customer is marked as split from the others, so later records never merge them again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from core.errors import BadUserInput, NotFound
from core.visibility import EVERYTHING, Visible
from graph_store.driver import GraphStore
from graph_store.identity import LinkRow, links_in
from graph_store.locks import lock
from graph_store.resolution import applied
from graph_store.resolution.rules import MatchingRules


@dataclass(frozen=True)
class _Record:
    key: str
    origin: str | None
    observed_at: datetime
    claims: tuple[tuple[str, str], ...]
    """``(identifier key, identifier type)`` of each claim."""


def _groups(records: list[_Record], rules: MatchingRules) -> list[list[_Record]]:
    """Records connected through shared claimed identifiers of matching types (union-find)."""
    parent = {r.key: r.key for r in records}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    first_with: dict[str, str] = {}
    for record in records:
        for identifier, kind in record.claims:
            if kind not in {t.value for t in rules.matching}:
                continue
            if identifier in first_with:
                parent[find(record.key)] = find(first_with[identifier])
            else:
                first_with[identifier] = record.key
    grouped: dict[str, list[_Record]] = defaultdict(list)
    for record in records:
        grouped[find(record.key)].append(record)
    return sorted(
        (sorted(g, key=lambda r: (r.observed_at, r.key)) for g in grouped.values()),
        key=lambda g: (g[0].observed_at, g[0].key),
    )


@dataclass(frozen=True)
class SplitResult:
    result: dict[str, Any]
    """``customers`` (the first keeps the split customer's id), ``revived`` (merged-away ids that came back) and
    ``assignment`` (each moved record's key and its customer): JSON, kept with the event."""
    links: list[LinkRow]
    """The current identifiers of the resulting customers."""


async def split(
    store: GraphStore,
    customer_id: str,
    record_keys: Sequence[str],
    rules: MatchingRules,
    identifier_keys: Sequence[str] = (),
    rows: Visible = EVERYTHING,
    event: tuple[str, int, int] | None = None,
) -> SplitResult:
    """Take out of ``customer_id`` the records named, and those claiming any identifier named (a customer out of
    ``rows`` is refused as one that does not exist).

    ``event`` (the relay's stream, the event id and the first event of its claim) marks the split applied in the
    same transaction, so a redelivered event returns its first result instead of splitting again.
    """
    if not record_keys and not identifier_keys:
        raise BadUserInput("Name at least one source record or identifier to split off")
    at = datetime.now(UTC).isoformat()

    async def work(tx: AsyncManagedTransaction) -> SplitResult:
        await lock(tx)
        if event is not None:
            done = await applied.read(tx, event[0], [event[1]])
            await applied.prune(tx, event[0], event[2])
            if done:
                result = done[event[1]]
                return SplitResult(result, await links_in(tx, result["customers"]))
        found = await (
            await tx.run(
                """
                OPTIONAL MATCH (c:Customer {id: $id})
                WHERE c.mergedInto IS NULL AND ($visible IS NULL OR c.id IN $visible)
                OPTIONAL MATCH (c)<-[:RESOLVES_TO]-(sr:SourceRecord)
                RETURN c IS NOT NULL AS exists, collect({
                  key: sr.key, origin: sr.origin, observedAt: sr.observedAt,
                  claims: [(sr)-[:CLAIMS]->(i:Identifier) | [i.key, i.type]]
                }) AS records
                """,
                id=customer_id,
                visible=rows.customer_list,
            )
        ).single(strict=True)
        if not found["exists"]:
            raise NotFound("customer", customer_id)
        records = [
            _Record(r["key"], r["origin"], r["observedAt"].to_native(), tuple((k, t) for k, t in r["claims"]))
            for r in found["records"]
            if r["key"] is not None
        ]
        by_key = {r.key: r for r in records}
        unknown = sorted(set(record_keys) - set(by_key))
        if unknown:
            raise BadUserInput(f"Customer {customer_id} has no source record {', '.join(unknown)}")
        named = set(record_keys)
        for identifier in identifier_keys:
            claiming = {r.key for r in records if any(k == identifier for k, _ in r.claims)}
            if not claiming:
                raise BadUserInput(f"No source record of customer {customer_id} claims {identifier}")
            named |= claiming
        leaving = [by_key[k] for k in sorted(named)]
        staying = [r for r in records if r.key not in named]
        if not staying:
            raise BadUserInput("Splitting off every record of a customer leaves nothing to split from")
        groups = [*_groups(staying, rules), sorted(leaving, key=lambda r: (r.observed_at, r.key))]

        taken: set[str] = set()
        assignment: list[tuple[str, list[_Record]]] = []
        # The customer's own id goes to the group holding its earliest records; then each group reclaims its origin.
        for group in groups:
            candidates = [customer_id] if not assignment else []
            candidates += [r.origin for r in group if r.origin]
            chosen = next((c for c in candidates if c not in taken), None) or str(uuid.uuid4())
            taken.add(chosen)
            assignment.append((chosen, group))
        plan = [
            {"id": cid, "records": [r.key for r in group], "createdAt": group[0].observed_at.isoformat()}
            for cid, group in assignment
        ]
        revived = await _rewrite(tx, customer_id, plan, at)
        ids = [cid for cid, _ in assignment]
        result = {
            "customers": ids,
            "revived": revived,
            "assignment": {r.key: cid for cid, group in assignment for r in group},
        }
        if event is not None:
            await applied.write(tx, event[0], {event[1]: result})
        return SplitResult(result, await links_in(tx, ids))

    return await store.transaction(work)


async def _rewrite(
    tx: AsyncManagedTransaction, customer_id: str, plan: list[dict[str, Any]], at: str
) -> list[str]:
    revived = await (
        await tx.run(
            """
            UNWIND $plan AS p
            MERGE (c:Customer {id: p.id})
              ON CREATE SET c.createdAt = datetime(p.createdAt)
            WITH c, p, c.mergedInto IS NOT NULL AS revived
            REMOVE c.mergedInto
            WITH c, p, revived
            CALL (c) { MATCH (c)-[m:MERGED_INTO]->() DELETE m }
            CALL (c, p) {
              UNWIND p.records AS key
              MATCH (sr:SourceRecord {key: key})-[r:RESOLVES_TO]->()
              DELETE r
              CREATE (sr)-[:RESOLVES_TO]->(c)
            }
            RETURN c.id AS id, revived
            """,
            plan=plan,
        )
    ).data()
    ids = [p["id"] for p in plan]
    await tx.run(
        """
        UNWIND $ids AS id
        MATCH (c:Customer {id: id})
        // Links from source records are rebuilt from their claims; links loaded with the seed have no record.
        CALL (c) { MATCH (c)-[h:HAS_IDENTIFIER]->() WHERE h.rule <> 'seed' DELETE h }
        CALL (c) {
          MATCH (c)<-[:RESOLVES_TO]-(sr:SourceRecord)-[x:CLAIMS]->(i:Identifier)
          WITH c, i, sr, x ORDER BY sr.observedAt
          WITH c, i, collect({source: sr.system, observedAt: sr.observedAt, raw: x.raw, rule: x.rule})[0] AS first
          MERGE (c)-[h:HAS_IDENTIFIER]->(i)
            ON CREATE SET h.source = first.source, h.observedAt = first.observedAt, h.raw = first.raw,
                          h.rule = first.rule
        }
        """,
        ids=ids,
    )
    await tx.run(
        """
        UNWIND $ids AS a
        UNWIND $ids AS b
        WITH a, b WHERE a < b
        MATCH (x:Customer {id: a}), (y:Customer {id: b})
        MERGE (x)-[:SPLIT_FROM]->(y)
        """,
        ids=ids,
    )
    await tx.run(
        """
        UNWIND $plan AS p
        MATCH (c:Customer {id: p.id})
        CREATE (:IdentityEvent {kind: 'split', record: p.records[0], rule: 'unmerge', other: $source,
                                at: datetime($at)})-[:ABOUT]->(c)
        """,
        plan=plan,
        at=at,
        source=customer_id,
    )
    return [r["id"] for r in revived if r["revived"]]
