"""The reconciler: compares PostgreSQL (the system of record) with the identity graph and repairs the graph, and
PostgreSQL's derived tables, from PostgreSQL's primary data.

First the pending events are applied (the relay's drain), then the identity stream's lock is held for the whole
comparison, so no relay changes either side meanwhile. PostgreSQL's primary data are the source records as
applied (their customer, content and claims), the golden records' ids and the aliases, and the seeded links of the
projection; derived from them are the golden records, the projection's links from source records, and the graph.

Drift, by kind, in the order it is repaired:

- ``missing_golden_records``: customers source records resolve to with no golden record (recomputed);
- ``stale_projections``: projection rows a source record's claims do not give (or on a customer that is not live),
  and claimed links the projection lacks (PostgreSQL-internal, like the golden records: repaired first);
- ``missing_customer_nodes``: live customers the graph lacks or holds as merged;
- ``stale_merges``: aliases the graph holds as live customers (marked merged into their survivor);
- ``missing_source_records``, ``stale_source_records`` (another content hash or customer): written from the
  applied rows; ``extra_source_records``: records PostgreSQL never acknowledged (deleted);
- ``missing_links``, ``stale_links`` (source, time or rule differ), ``extra_links``: the graph's identifier links
  made equal to the projection;
- ``extra_customer_nodes``: live graph customers PostgreSQL does not know (deleted with their edges).

A second run reports 0 of everything. Samples name customer ids and record keys, never identifier values.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from core.postgres import job_pool
from core.settings import Settings
from graph_store.constraints import ensure_constraints
from graph_store.driver import GraphStore
from graph_store.resolution import reconcile as graph
from graph_store.resolution.rules import rules_at
from subgraphs.profiles import golden
from subgraphs.profiles.events import MARKERS, SCHEMA, STREAM
from subgraphs.profiles.relay import identity_relay

KINDS = (
    "stale_projections",
    "missing_golden_records",
    "missing_customer_nodes",
    "stale_merges",
    "missing_source_records",
    "stale_source_records",
    "extra_source_records",
    "missing_links",
    "stale_links",
    "extra_links",
    "extra_customer_nodes",
)
SAMPLES = 5


@dataclass
class Drift:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    samples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    repaired: bool = False

    def add(self, kind: str, found: list[str], count: int | None = None) -> None:
        """``found`` names the drifts (or the customers they are on, with ``count`` the drifts)."""
        self.counts[kind] += len(found) if count is None else count
        self.samples[kind].extend(found[: SAMPLES - len(self.samples[kind])])

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        lines = [f"{'repaired' if self.repaired else 'found'} {self.total} drifts"]
        for kind in KINDS:
            if self.counts[kind]:
                lines.append(f"  {kind}: {self.counts[kind]} (e.g. {', '.join(self.samples[kind])})")
        return "\n".join(lines)


class InFlight(Exception):
    """A relay applied events to the graph that PostgreSQL has not marked done yet: reconcile again later."""


async def reconcile(settings: Settings, repair: bool = True) -> Drift:
    """Compare and (unless ``repair`` is off) repair; returns what was found."""
    relay, relay_graph = identity_relay(settings)
    try:
        await relay.drain()
    finally:
        await relay.close()
        await relay_graph.close()
    store = GraphStore(settings, count_round_trips=False)
    pool = await job_pool(settings.dsn_for(SCHEMA), max_size=2)
    try:
        await ensure_constraints(store)
        async with pool.acquire() as held:
            await held.execute("SELECT pg_advisory_lock(hashtext($1))", f"c360:relay:{SCHEMA}:{STREAM}")
            try:
                async with pool.acquire() as conn:
                    return await _reconcile(conn, store, settings, repair)
            finally:
                await held.execute("SELECT pg_advisory_unlock(hashtext($1))", f"c360:relay:{SCHEMA}:{STREAM}")
    finally:
        await pool.close()
        await store.close()


async def _reconcile(conn: asyncpg.Connection, store: GraphStore, settings: Settings, repair: bool) -> Drift:
    drift = Drift(repaired=repair)
    pending = await conn.fetchval(
        f"SELECT min(id) FROM {SCHEMA}.outbox WHERE applied_at IS NULL AND failed_at IS NULL"
    )
    markers = await graph.applied_markers(store, MARKERS)
    if pending is not None and any(m >= pending for m in markers):
        raise InFlight("events are applied to the graph but not yet marked done: reconcile again later")
    async with conn.transaction():
        await _golden(conn, drift, repair, settings)
        await _projection(conn, drift, repair)
    await _graph(conn, store, drift, repair)
    if repair and markers:
        await graph.prune_markers(store, MARKERS, pending if pending is not None else max(markers) + 1)
    return drift


async def _projection(conn: asyncpg.Connection, drift: Drift, repair: bool) -> None:
    """The projection's links from source records equal what the records claimed; none on a dead customer."""
    claimed = {
        (str(r["customer"]), r["key"]): r
        for r in await conn.fetch(
            """
            SELECT DISTINCT ON (s.customer_id, c.key) s.customer_id AS customer, c.key, c.type, c.value,
                   s.system AS source, s.observed_at
            FROM profiles.source_record_claims c
            JOIN profiles.source_records s USING (system, external_id)
            WHERE c.kind = 'claim' AND EXISTS (SELECT 1 FROM profiles.customers g WHERE g.id = s.customer_id)
            ORDER BY s.customer_id, c.key, s.observed_at, s.system, s.external_id
            """
        )
    }
    rows = await conn.fetch(
        "SELECT p.customer_id::text AS customer, p.key, p.rule, g.id IS NOT NULL AS live"
        " FROM profiles.customer_identifiers p LEFT JOIN profiles.customers g ON g.id = p.customer_id"
    )
    held = {(r["customer"], r["key"]) for r in rows}
    extra = [
        (r["customer"], r["key"])
        for r in rows
        if not r["live"] or (r["rule"] != "seed" and (r["customer"], r["key"]) not in claimed)
    ]
    missing = [k for k in claimed if k not in held]
    drift.add("stale_projections", sorted({c for c, _ in extra + missing}), len(extra) + len(missing))
    if repair:
        if extra:
            await conn.execute(
                "DELETE FROM profiles.customer_identifiers p USING unnest($1::uuid[], $2::text[]) AS x(c, k)"
                " WHERE p.customer_id = x.c AND p.key = x.k",
                [uuid.UUID(c) for c, _ in extra],
                [k for _, k in extra],
            )
        if missing:
            picked = [claimed[k] for k in missing]
            await conn.execute(
                "INSERT INTO profiles.customer_identifiers (customer_id, key, type, value, source, observed_at, rule)"
                " SELECT c, k, t, v, s, o, 'exact' FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],"
                " $5::text[], $6::timestamptz[]) AS x(c, k, t, v, s, o) ON CONFLICT DO NOTHING",
                [r["customer"] for r in picked],
                [r["key"] for r in picked],
                [r["type"] for r in picked],
                [r["value"] for r in picked],
                [r["source"] for r in picked],
                [r["observed_at"] for r in picked],
            )


async def _golden(conn: asyncpg.Connection, drift: Drift, repair: bool, settings: Settings) -> None:
    rows = await conn.fetch(
        """
        SELECT DISTINCT s.customer_id::text AS customer FROM profiles.source_records s
        WHERE s.customer_id IS NOT NULL AND s.applied_event_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM profiles.customers g WHERE g.id = s.customer_id)
          AND NOT EXISTS (SELECT 1 FROM profiles.customer_aliases a WHERE a.alias_id = s.customer_id)
        ORDER BY 1
        """
    )
    missing = [r["customer"] for r in rows]
    drift.add("missing_golden_records", missing)
    if repair and missing:
        await golden.rewrite(conn, missing, rules_at(settings.identity_rules))


def _iso(value: datetime) -> str:
    return value.isoformat()


async def _graph(conn: asyncpg.Connection, store: GraphStore, drift: Drift, repair: bool) -> None:
    live = {
        str(r["id"]): r["created_at"]
        for r in await conn.fetch("SELECT id, created_at FROM profiles.customers")
    }
    aliases = {
        str(r["alias_id"]): str(r["customer_id"])
        for r in await conn.fetch("SELECT alias_id, customer_id FROM profiles.customer_aliases")
    }
    records = {
        f"{r['system']}:{r['external_id']}": r
        for r in await conn.fetch(
            "SELECT system, external_id, applied_hash, observed_at, attributes, blocked, origin::text AS origin,"
            " customer_id::text AS customer FROM profiles.source_records"
            " WHERE applied_event_id IS NOT NULL AND customer_id IS NOT NULL"
        )
    }
    claims: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: {"claims": [], "conflicts": []})
    for r in await conn.fetch("SELECT * FROM profiles.source_record_claims"):
        entry = {
            "key": r["key"],
            "type": r["type"],
            "value": r["value"],
            "raw": r["raw"],
            "reason": r["reason"],
        }
        claims[f"{r['system']}:{r['external_id']}"]["claims" if r["kind"] == "claim" else "conflicts"].append(
            entry
        )
    links = {
        (str(r["customer_id"]), r["key"]): r
        for r in await conn.fetch(
            "SELECT customer_id, key, type, value, source, observed_at, rule FROM profiles.customer_identifiers"
        )
    }
    state = await graph.read_state(store)

    missing_customers = sorted(c for c in live if c not in state.live)
    stale_merges = sorted(a for a, s in aliases.items() if a in state.live or state.merged.get(a) != s)
    stale_merges = [a for a in stale_merges if a in state.live or a in state.merged]
    drift.add("missing_customer_nodes", missing_customers)
    drift.add("stale_merges", stale_merges)

    missing_records = sorted(k for k in records if k not in state.records)
    stale_records = sorted(
        k
        for k, r in records.items()
        if k in state.records and state.records[k] != (r["applied_hash"], r["customer"])
    )
    extra_records = sorted(k for k in state.records if k not in records)
    drift.add("missing_source_records", missing_records)
    drift.add("stale_source_records", stale_records)
    drift.add("extra_source_records", extra_records)

    missing_links = sorted(k for k in links if k not in state.links)
    stale_links = sorted(
        k
        for k, r in links.items()
        if k in state.links and state.links[k] != (r["source"], r["observed_at"], r["rule"])
    )
    extra_links = sorted(k for k in state.links if k not in links)
    for kind, found in (
        ("missing_links", missing_links),
        ("stale_links", stale_links),
        ("extra_links", extra_links),
    ):
        drift.add(kind, sorted({c for c, _ in found}), len(found))

    extra_customers = sorted(c for c in state.live if c not in live and c not in aliases)
    drift.add("extra_customer_nodes", extra_customers)
    if not repair:
        return

    await graph.put_customers(store, [{"id": c, "createdAt": _iso(live[c])} for c in missing_customers])
    await graph.mark_merged(store, [{"id": a, "into": aliases[a]} for a in stale_merges])
    await graph.put_records(
        store,
        [
            {
                "key": key,
                "system": r["system"],
                "externalId": r["external_id"],
                "observedAt": _iso(r["observed_at"]),
                "hash": r["applied_hash"],
                "attributes": orjson.dumps(r["attributes"] or {}).decode(),
                "blocked": r["blocked"] or [],
                "origin": r["origin"],
                "customer": r["customer"],
                **claims[key],
            }
            for key in [*missing_records, *stale_records]
            for r in [records[key]]
        ],
    )
    await graph.delete_records(store, extra_records)
    await graph.put_links(
        store,
        [
            {
                "customer": c,
                "key": k,
                "type": r["type"],
                "value": r["value"],
                "source": r["source"],
                "observedAt": _iso(r["observed_at"]),
                "rule": r["rule"],
            }
            for c, k in [*missing_links, *stale_links]
            for r in [links[(c, k)]]
        ],
    )
    await graph.delete_links(store, [{"customer": c, "key": k} for c, k in extra_links])
    await graph.delete_customers(store, extra_customers)


class AlreadyAdopted(Exception):
    """PostgreSQL already holds source records or identifiers: adopting the graph would overwrite them."""


async def adopt_graph(settings: Settings) -> dict[str, int]:
    """Once, when upgrading a deployment whose identity data predate the outbox (written to the graph only): copy
    the graph's source records (their customer, claims, conflicts) and current links into PostgreSQL, which is the
    system of record from then on. Refused when PostgreSQL already holds any."""
    store = GraphStore(settings, count_round_trips=False)
    pool = await job_pool(settings.dsn_for(SCHEMA), max_size=1)
    try:
        records = await graph.records_for_adoption(store)
        links = await graph.links_for_adoption(store)
        async with pool.acquire() as conn, conn.transaction():
            held = await conn.fetchval(
                "SELECT (SELECT count(*) FROM profiles.source_records)"
                " + (SELECT count(*) FROM profiles.customer_identifiers)"
            )
            if held:
                raise AlreadyAdopted(
                    "PostgreSQL already holds source records or identifiers: nothing adopted"
                )
            kept = [r for r in records if r["customer"] is not None]
            await conn.execute(
                "INSERT INTO profiles.source_records (system, external_id, payload, content_hash, event_id,"
                " applied_event_id, applied_hash, observed_at, attributes, blocked, origin, customer_id, status,"
                " resolved_at) SELECT r.system, r.external_id, r.payload, r.hash, 0, 0, r.hash, r.observed_at,"
                " r.attributes, r.blocked, r.origin, r.customer, 'unchanged', now()"
                " FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::timestamptz[], $6::jsonb[],"
                " $7::jsonb[], $8::uuid[], $9::uuid[])"
                " AS r(system, external_id, payload, hash, observed_at, attributes, blocked, origin, customer)",
                [r["system"] for r in kept],
                [r["externalId"] for r in kept],
                [_payload(r) for r in kept],
                [r["hash"] for r in kept],
                [r["observedAt"] for r in kept],
                [orjson.loads(r["attributes"] or "{}") for r in kept],
                [list(r["blocked"] or []) for r in kept],
                [uuid.UUID(r["origin"]) if r["origin"] else None for r in kept],
                [uuid.UUID(r["customer"]) for r in kept],
            )
            claims = [
                (
                    r["system"],
                    r["externalId"],
                    kind,
                    c["key"],
                    c["type"],
                    c["value"],
                    c["raw"] or "",
                    c.get("reason"),
                )
                for r in kept
                for kind, found in (("claim", r["claims"]), ("conflict", r["conflicts"]))
                for c in found
            ]
            if claims:
                await conn.execute(
                    "INSERT INTO profiles.source_record_claims (system, external_id, kind, key, type, value, raw,"
                    " reason) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
                    " $6::text[], $7::text[], $8::text[]) ON CONFLICT DO NOTHING",
                    *(list(column) for column in zip(*claims, strict=True)),
                )
            if links:
                await conn.execute(
                    "INSERT INTO profiles.customer_identifiers (customer_id, key, type, value, source, observed_at,"
                    " rule) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],"
                    " $6::timestamptz[], $7::text[]) ON CONFLICT DO NOTHING",
                    [uuid.UUID(r["customer"]) for r in links],
                    [r["key"] for r in links],
                    [r["type"] for r in links],
                    [r["value"] for r in links],
                    [r["source"] for r in links],
                    [r["observedAt"] for r in links],
                    [r["rule"] for r in links],
                )
        return {"source_records": len(kept), "claims": len(claims), "links": len(links)}
    finally:
        await pool.close()
        await store.close()


def _payload(record: dict[str, Any]) -> dict[str, Any]:
    """The record as received, rebuilt from what the graph kept (its attributes and the raw identifiers)."""
    return {
        "system": record["system"],
        "externalId": record["externalId"],
        "observedAt": record["observedAt"].isoformat(),
        "attributes": orjson.loads(record["attributes"] or "{}"),
        "identifiers": [
            {"type": c["type"], "value": c["raw"] or c["value"]}
            for c in [*record["claims"], *record["conflicts"]]
        ],
    }
