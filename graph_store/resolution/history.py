"""Reads that explain a customer: its source records per system, and its merges and conflicts over time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from graph_store.driver import GraphStore


@dataclass(frozen=True, slots=True)
class RecordView:
    system: str
    external_id: str
    observed_at: datetime
    attributes: dict[str, Any]
    claims: list[str]
    """Identifier keys the record linked."""
    conflicts: list[tuple[str, str]]
    """Identifier keys that yielded to a limit, with the reason."""


@dataclass(frozen=True, slots=True)
class EventView:
    kind: str
    at: datetime
    record: str
    rule: str
    other: str
    customer_id: str
    identifiers: tuple[str, ...] = ()
    """The identifier keys that decided it."""
    score: float | None = None
    """The match weight of the pair the model weighed, when it did."""
    comparisons: tuple[dict[str, Any], ...] = ()
    """That pair's comparisons: field, level, model level, weight."""


async def records_by_customer(store: GraphStore, customer_ids: Sequence[str]) -> dict[str, list[RecordView]]:
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (:Customer {id: id})<-[:RESOLVES_TO]-(sr:SourceRecord)
        WITH id, sr ORDER BY sr.system, sr.observedAt, sr.externalId
        RETURN id, collect({
          system: sr.system, externalId: sr.externalId, observedAt: sr.observedAt, attributes: sr.attributes,
          claims: [(sr)-[:CLAIMS]->(i) | i.key],
          conflicts: [(sr)-[x:CONFLICTS]->(i) | [i.key, x.reason]]
        }) AS records
        """,
        ids=list(customer_ids),
    )
    return {
        rec["id"]: [
            RecordView(
                r["system"],
                r["externalId"],
                r["observedAt"].to_native(),
                orjson.loads(r["attributes"] or "{}"),
                sorted(r["claims"]),
                sorted((k, reason) for k, reason in r["conflicts"]),
            )
            for r in rec["records"]
        ]
        for rec in records
    }


async def events_by_customer(store: GraphStore, customer_ids: Sequence[str]) -> dict[str, list[EventView]]:
    """Every identity event about a customer or about any customer merged into it, oldest first."""
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (:Customer {id: id})<-[:MERGED_INTO]-{0,20}(x:Customer)<-[:ABOUT]-(e:IdentityEvent)
        WITH id, e, x ORDER BY e.at, e.kind, e.record
        RETURN id, collect({kind: e.kind, at: e.at, record: e.record, rule: e.rule, other: e.other, customer: x.id,
                            identifiers: coalesce(e.identifiers, []), score: e.score,
                            comparisons: e.comparisons}) AS events
        """,
        ids=list(customer_ids),
    )
    return {
        rec["id"]: [
            EventView(
                e["kind"],
                e["at"].to_native(),
                e["record"],
                e["rule"],
                e["other"],
                e["customer"],
                tuple(e["identifiers"]),
                e["score"],
                tuple(orjson.loads(e["comparisons"])) if e["comparisons"] else (),
            )
            for e in rec["events"]
        ]
        for rec in records
    }


@dataclass(frozen=True, slots=True)
class Quality:
    customers: int
    """Customers source records resolve to."""
    source_records: int
    merges: int
    """Merges in force: a split that revives a merged customer undoes its merge."""
    splits: int
    conflicts: int
    largest_cluster: int


async def quality(store: GraphStore) -> Quality:
    """Counts over the whole identity graph, in one Cypher call (counts read from the store's statistics)."""
    [record] = await store.read(
        """
        CALL () { MATCH (sr:SourceRecord) RETURN count(sr) AS records }
        CALL () { MATCH (:SourceRecord)-[:RESOLVES_TO]->(c:Customer) RETURN count(DISTINCT c) AS customers }
        CALL () { MATCH ()-[m:MERGED_INTO]->() RETURN count(m) AS merges }
        CALL () {
          // A split leaves an event on each customer it produced (same source customer, same instant): one split.
          MATCH (e:IdentityEvent)
          RETURN count(DISTINCT CASE e.kind WHEN 'split' THEN [e.other, toString(e.at)] END) AS splits,
                 count(CASE e.kind WHEN 'conflict' THEN 1 END) AS conflicts
        }
        CALL () {
          MATCH (c:Customer) WHERE c.mergedInto IS NULL
          RETURN coalesce(max(COUNT { (c)<-[:RESOLVES_TO]-(:SourceRecord) }), 0) AS largest
        }
        RETURN records, customers, merges, splits, conflicts, largest
        """
    )
    return Quality(
        record["customers"],
        record["records"],
        record["merges"],
        record["splits"],
        record["conflicts"],
        record["largest"],
    )
