"""``related``: customers reachable through chosen relationship kinds within a few hops, each with its path.

A breadth-first search run level by level for a whole batch of origins: one Cypher call per level, so a list of
customers asking for ``maxDepth: 3`` costs at most three calls. Fan-out per customer and the frontier per level
are capped, so no request walks the whole graph. A caller limited to some customers walks only through them (and,
for account hops, through the accounts it may see): the rest of the graph is as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.visibility import EVERYTHING, Visible
from graph_store.driver import GraphStore
from graph_store.relationships.common import FANOUT, RelationKind

FRONTIER: int = 200
"""Customers expanded per origin and level."""


@dataclass(frozen=True, slots=True)
class Step:
    kind: RelationKind
    from_id: str
    to_id: str
    via: str
    """The household id, the account id, the shared identifier key, or ``referred`` / ``referred_by``."""


@dataclass(frozen=True, slots=True)
class Reached:
    customer_id: str
    path: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class RelatedQuery:
    kinds: tuple[RelationKind, ...]
    max_depth: int
    first: int


async def neighbours(
    store: GraphStore,
    customer_ids: Sequence[str],
    kinds: Sequence[RelationKind],
    rows: Visible = EVERYTHING,
) -> dict[str, list[Step]]:
    """One hop from each customer through the chosen kinds, in one Cypher call (at most ``FANOUT`` per kind)."""
    records = await store.read(
        """
        UNWIND $ids AS id
        MATCH (a:Customer {id: id})
        CALL (a) {
          MATCH (a)-[:MEMBER_OF]->(h:Household)<-[:MEMBER_OF]-(b:Customer)
          WHERE $household AND b <> a AND ($visible IS NULL OR b.id IN $visible)
          RETURN b.id AS other, 'household' AS kind, h.id AS via ORDER BY other LIMIT $fanout
          UNION ALL
          MATCH (a)-[:WORKS_AT]->(x:Account)<-[:WORKS_AT]-(b:Customer)
          WHERE $account AND b <> a AND ($visible IS NULL OR b.id IN $visible)
            AND ($accounts IS NULL OR x.id IN $accounts)
          RETURN b.id AS other, 'account' AS kind, x.id AS via ORDER BY other LIMIT $fanout
          UNION ALL
          MATCH (a)-[:REFERRED]->(b:Customer)
          WHERE $referral AND ($visible IS NULL OR b.id IN $visible)
          RETURN b.id AS other, 'referral' AS kind, 'referred' AS via ORDER BY other LIMIT $fanout
          UNION ALL
          MATCH (a)<-[:REFERRED]-(b:Customer)
          WHERE $referral AND ($visible IS NULL OR b.id IN $visible)
          RETURN b.id AS other, 'referral' AS kind, 'referred_by' AS via
          UNION ALL
          MATCH (a)-[:HAS_IDENTIFIER]->(i:Identifier)<-[:HAS_IDENTIFIER]-(b:Customer)
          WHERE $shared AND b <> a AND ($visible IS NULL OR b.id IN $visible)
          RETURN b.id AS other, 'shared_identifier' AS kind, i.key AS via ORDER BY other LIMIT $fanout
        }
        RETURN id, other, kind, via
        """,
        ids=list(customer_ids),
        household=RelationKind.HOUSEHOLD in kinds,
        account=RelationKind.ACCOUNT in kinds,
        referral=RelationKind.REFERRAL in kinds,
        shared=RelationKind.SHARED_IDENTIFIER in kinds,
        fanout=FANOUT,
        visible=rows.customer_list,
        accounts=rows.account_list,
    )
    found: dict[str, list[Step]] = {}
    for rec in records:
        found.setdefault(rec["id"], []).append(
            Step(RelationKind(rec["kind"]), rec["id"], rec["other"], rec["via"])
        )
    for steps in found.values():
        steps.sort(key=lambda s: (s.to_id, s.kind, s.via))
    return found


async def related(
    store: GraphStore, origins: Sequence[str], query: RelatedQuery, rows: Visible = EVERYTHING
) -> dict[str, list[Reached]]:
    """Customers reachable from each origin, nearest first then by id, each by one shortest path."""
    paths: dict[str, dict[str, tuple[Step, ...]]] = {origin: {origin: ()} for origin in origins}
    frontiers: dict[str, list[str]] = {
        origin: [origin] if rows.sees_customer(origin) else [] for origin in origins
    }
    for _ in range(query.max_depth):
        wanted = sorted({node for frontier in frontiers.values() for node in frontier})
        if not wanted:
            break
        steps = await neighbours(store, wanted, query.kinds, rows)
        for origin in origins:
            seen = paths[origin]
            frontier: list[str] = []
            for node in frontiers[origin]:
                for step in steps.get(node, ()):
                    if step.to_id not in seen:
                        seen[step.to_id] = (*seen[node], step)
                        frontier.append(step.to_id)
            # An origin that already has a full page stops here: deeper customers would sort after these.
            frontiers[origin] = sorted(frontier)[:FRONTIER] if len(seen) - 1 < query.first else []
    return {
        origin: sorted(
            (Reached(node, path) for node, path in paths[origin].items() if path),
            key=lambda r: (len(r.path), r.customer_id),
        )[: query.first]
        for origin in origins
    }
