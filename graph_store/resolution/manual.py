"""Stewards' identity decisions in the graph: merging two customers by hand, keeping a pair apart for good.

Both arrive as events of the identity stream (``unmergeCustomer`` undoes a merge the same way as any other), so
they apply in order with ingestion, under the graph's lock, with a marker that makes a redelivery harmless. A
kept-apart pair is joined by ``KEPT_APART``, which the planner reads like a split: no later record merges them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from core.errors import BadUserInput, NotFound
from graph_store.driver import GraphStore
from graph_store.identity import LinkRow, links_in
from graph_store.locks import lock
from graph_store.resolution import applied
from graph_store.resolution.ingest import EPOCH, move_into
from graph_store.resolution.rules import MatchingRules, SurvivorRule

STEWARD_RULE = "steward"


@dataclass(frozen=True)
class Decided:
    result: dict[str, Any]
    """JSON kept with the event: ``customers`` (the live customers after it), ``merged`` (loser → survivor)."""
    links: list[LinkRow]
    """The current identifiers of ``customers``."""


async def _live(tx: AsyncManagedTransaction, ids: list[str]) -> list[dict[str, Any]]:
    """Each id's current customer (following merges), with what picks a merge's survivor."""
    rows = await (
        await tx.run(
            """
            UNWIND $ids AS id
            OPTIONAL MATCH (:Customer {id: id})-[:MERGED_INTO*0..20]->(c:Customer) WHERE c.mergedInto IS NULL
            RETURN id, c.id AS live, c.createdAt.epochSeconds AS seconds, c.createdAt.microsecond AS micros,
                   c.firstSystem AS firstSystem
            """,
            ids=ids,
        )
    ).data()
    missing = [r["id"] for r in rows if r["live"] is None]
    if missing:
        raise NotFound("customer", missing[0])
    return rows


def _survivor(rows: list[dict[str, Any]], rules: MatchingRules) -> str:
    def rank(row: dict[str, Any]) -> tuple[Any, ...]:
        created = (
            datetime.fromtimestamp(row["seconds"], UTC).replace(microsecond=row["micros"])
            if row["seconds"] is not None
            else EPOCH
        )
        if rules.survivor is SurvivorRule.SOURCE_PRIORITY:
            return (rules.source_rank(row["firstSystem"] or ""), created, row["live"])
        return (created, row["live"])

    return str(min(rows, key=rank)["live"])


async def decide_pair(
    store: GraphStore,
    customers: tuple[str, str],
    merge: bool,
    rules: MatchingRules,
    record: str,
    event: tuple[str, int, int],
    identifiers: list[str] | None = None,
) -> Decided:
    """Merge the two customers (``merge``) or keep them apart for good, as a steward decided; ``record`` names
    what asked (a review candidate, or the steward's own request) in the identity event."""
    at = datetime.now(UTC)
    stream, event_id, oldest = event

    async def work(tx: AsyncManagedTransaction) -> Decided:
        await lock(tx)
        done = await applied.read(tx, stream, [event_id])
        await applied.prune(tx, stream, oldest)
        if done:
            kept: dict[str, Any] = done[event_id]
            return Decided(kept, await links_in(tx, kept["customers"]))
        rows = await _live(tx, list(customers))
        live = sorted({str(r["live"]) for r in rows})
        if len(live) == 1:
            if not merge:
                raise BadUserInput("These customers are one customer now: there is nothing to keep apart")
            result: dict[str, Any] = {"customers": live, "merged": {}}
        elif merge:
            survivor = _survivor(rows, rules)
            loser = next(c for c in live if c != survivor)
            # A steward's merge overrides an earlier split or keep-apart decision between the two.
            await tx.run(
                "MATCH (a:Customer {id: $a})-[r:SPLIT_FROM|KEPT_APART]-(b:Customer {id: $b}) DELETE r",
                a=survivor,
                b=loser,
            )
            await move_into(tx, [{"loser": loser, "survivor": survivor}], at)
            await _event(
                tx, "merge", survivor, loser, record, f"{STEWARD_RULE}: merged", identifiers or [], at
            )
            result = {"customers": [survivor], "merged": {loser: survivor}}
        else:
            await tx.run(
                "MATCH (a:Customer {id: $a}), (b:Customer {id: $b}) MERGE (a)-[:KEPT_APART]->(b)",
                a=live[0],
                b=live[1],
            )
            for one, other in (live, live[::-1]):
                await _event(
                    tx, "review", one, other, record, f"{STEWARD_RULE}: kept apart", identifiers or [], at
                )
            result = {"customers": live, "merged": {}}
        await applied.write(tx, stream, {event_id: result})
        return Decided(result, await links_in(tx, result["customers"]))

    return await store.transaction(work)


async def _event(
    tx: AsyncManagedTransaction,
    kind: str,
    customer: str,
    other: str,
    record: str,
    rule: str,
    identifiers: list[str],
    at: datetime,
) -> None:
    await tx.run(
        """
        MATCH (c:Customer {id: $customer})
        CREATE (:IdentityEvent {kind: $kind, record: $record, rule: $rule, other: $other, identifiers: $identifiers,
                                at: $at})-[:ABOUT]->(c)
        """,
        customer=customer,
        kind=kind,
        record=record,
        rule=rule,
        other=other,
        identifiers=identifiers,
        at=at,
    )
