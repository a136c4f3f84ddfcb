"""Probabilistic matching's PostgreSQL side: a batch's candidate records found by blocking key, and the applied
records kept findable.

Every applied record's blocking keys are rows of ``profiles.match_keys`` (primary key ``(key, system,
external_id)``, so a lookup by key is an index range) and its comparison columns are ``source_records.features``,
both written with the relay's write-back. A batch's candidates cost one statement: each of its keys looked up
with at most ``cap + 1`` rows (a key past the cap finds nothing, so only the count matters), joined to the
records' customers and columns, together with the records of the customers that hold one of the batch's
identifiers (a deterministic link is weighed by the model too). A record's customer is the join's, so key rows
follow merges and splits without being rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import asyncpg

from graph_store.resolution.candidates import MAX_SHARED_KEY, Stored
from graph_store.resolution.matchable import Matchable, decode, encode
from graph_store.resolution.records import ValidRecord

OWNED_RECORDS = 50
"""Records read per customer holding one of a batch's identifiers (a customer past it is weighed on these)."""


@dataclass
class Found:
    """What PostgreSQL holds for a batch: the stored records each blocking key finds, the stored records of the
    customers holding each identifier, and those records' customers and columns."""

    hits: dict[str, list[str]] = field(default_factory=dict)
    owned: dict[str, list[str]] = field(default_factory=dict)
    """Identifier key → records of the customers holding it."""
    stored: dict[str, Stored] = field(default_factory=dict)

    def owned_by(self, identifiers: Iterable[str]) -> list[str]:
        found: dict[str, None] = {}
        for identifier in identifiers:
            found.update(dict.fromkeys(self.owned.get(identifier, ())))
        return list(found)

    def overlay(self, pending: Mapping[str, tuple[Stored, Sequence[str], Sequence[str]]]) -> None:
        """Add records applied to the graph but not written back yet (the claim's previous chunk): their
        columns and customers supersede what PostgreSQL still holds of them, and each is found by its keys and
        by the identifiers it linked, as its customer's records are once written back."""
        for record, (stored, keys, linked) in pending.items():
            self.stored[record] = stored
            for key in keys:
                if key in self.hits and record not in self.hits[key]:
                    self.hits[key].append(record)
            for identifier in linked:
                owners = self.owned.setdefault(identifier, [])
                if record not in owners:
                    owners.append(record)


async def find(conn: asyncpg.Connection, batch: Sequence[ValidRecord], cap: int = MAX_SHARED_KEY) -> Found:
    """The stored candidates of ``batch`` (its records' own stored versions included: the planner leaves them
    out), in one statement."""
    keys = sorted({k for v in batch if v.match is not None for k in v.match.keys})
    identifiers = sorted({i.key for v in batch for i, _ in v.identifiers})
    found = Found(hits={k: [] for k in keys})
    if not keys and not identifiers:
        return found
    rows = await conn.fetch(
        """
        WITH hits AS (
          SELECT q.key, m.system, m.external_id
          FROM unnest($1::text[]) AS q(key)
          CROSS JOIN LATERAL (
            SELECT k.system, k.external_id FROM profiles.match_keys k WHERE k.key = q.key LIMIT $3 + 1
          ) m
        ), owners AS (
          SELECT DISTINCT q.key, ci.customer_id
          FROM unnest($2::text[]) AS q(key)
          JOIN profiles.customer_identifiers ci ON ci.key = q.key
        ), owned AS (
          SELECT o.key, r.system, r.external_id
          FROM owners o
          CROSS JOIN LATERAL (
            SELECT s.system, s.external_id FROM profiles.source_records s
            WHERE s.customer_id = o.customer_id AND s.features IS NOT NULL LIMIT $4
          ) r
        ), wanted AS (
          SELECT 'k' AS kind, key, system, external_id FROM hits
          UNION ALL
          SELECT 'o', key, system, external_id FROM owned
        )
        SELECT w.kind, w.key, w.system || ':' || w.external_id AS record, s.customer_id::text AS customer,
               s.features
        FROM wanted w
        JOIN profiles.source_records s ON s.system = w.system AND s.external_id = w.external_id
        """,
        keys,
        identifiers,
        cap,
        OWNED_RECORDS,
    )
    for row in rows:
        record = row["record"]
        (found.hits if row["kind"] == "k" else found.owned).setdefault(row["key"], []).append(record)
        if record not in found.stored and row["features"] is not None and row["customer"] is not None:
            found.stored[record] = Stored(row["customer"], decode(row["features"]))
    return found


async def keep(conn: asyncpg.Connection, records: Sequence[tuple[str, str, Matchable]]) -> None:
    """Make applied records findable: their columns, and their blocking keys in place of their earlier ones
    (``(system, external_id, matchable)``, each record once)."""
    if not records:
        return
    systems = [system for system, _, _ in records]
    external_ids = [external_id for _, external_id, _ in records]
    await conn.execute(
        "UPDATE profiles.source_records s SET features = r.features"
        " FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS r(system, external_id, features)"
        " WHERE s.system = r.system AND s.external_id = r.external_id",
        systems,
        external_ids,
        [encode(m.row) for _, _, m in records],
    )
    await conn.execute(
        "DELETE FROM profiles.match_keys k USING unnest($1::text[], $2::text[]) AS r(system, external_id)"
        " WHERE k.system = r.system AND k.external_id = r.external_id",
        systems,
        external_ids,
    )
    rows = [(key, system, external_id) for system, external_id, m in records for key in m.keys]
    if rows:
        await conn.execute(
            "INSERT INTO profiles.match_keys (key, system, external_id)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING",
            *(list(column) for column in zip(*rows, strict=True)),
        )
