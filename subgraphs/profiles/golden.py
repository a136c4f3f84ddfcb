"""Writing golden records after identity resolution: the profiles, their per-field provenance, aliases of merged ids.

The values come from ``survivorship.golden_records`` (pure); this module reads the evidence from PostgreSQL (the
source records the relay applied, and the stored profiles: a customer seeded or migrated before it had any source
record keeps its fields) and writes the result, inside the relay's transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from graph_store.resolution.rules import MatchingRules
from graph_store.resolution.survivorship import (
    FIELDS,
    Evidence,
    GoldenRecord,
    StoredProfile,
    golden_records,
)

if TYPE_CHECKING:
    from asyncpg import Connection, Record


def _stored(row: Record) -> StoredProfile:
    """A stored golden record as evidence, for customers no source record ever produced (seeded or migrated): a
    value a record supplied is that record's to keep or take back, so once the record says otherwise, or nothing,
    the golden record follows it and does not fall back on its own stored copy."""
    attributes = {name: row[name] for name in FIELDS if row[name] is not None}
    return StoredProfile(str(row["id"]), attributes, row["created_at"], row["updated_at"])


async def evidence(conn: Connection, customers: Collection[str]) -> dict[str, list[Evidence]]:
    """The applied source records of each customer, from PostgreSQL (the system of record), in one statement."""
    rows = await conn.fetch(
        "SELECT customer_id::text AS customer, system, external_id, observed_at, attributes"
        " FROM profiles.source_records WHERE customer_id = ANY($1::uuid[]) AND applied_event_id IS NOT NULL",
        [uuid.UUID(c) for c in customers],
    )
    found: dict[str, list[Evidence]] = defaultdict(list)
    for row in rows:
        found[row["customer"]].append(
            Evidence(row["system"], row["external_id"], row["observed_at"], row["attributes"] or {})
        )
    return found


async def rewrite(
    conn: Connection,
    customers: Collection[str],
    rules: MatchingRules,
    merges: Mapping[str, str] | None = None,
    revived: Collection[str] = (),
) -> None:
    """Recompute the golden record of each customer from its source records (and the stored profiles it absorbs),
    and retire the merged-away ids of ``merges`` (loser → survivor), inside the caller's transaction."""
    merges = merges or {}
    if not customers and not merges:
        return
    now = datetime.now(UTC)
    if revived:
        # A split brought these ids back: they are customers again, no longer aliases.
        await conn.execute(
            "DELETE FROM profiles.customer_aliases WHERE alias_id = ANY($1::uuid[])",
            [uuid.UUID(c) for c in revived],
        )
    involved = [uuid.UUID(c) for c in {*customers, *merges}]
    # Stored golden records count only when no source record produced them (seeded or migrated customers): a
    # golden record's own earlier values never compete with its sources (they may come from a record that left).
    rows = await conn.fetch(
        "SELECT * FROM profiles.customers c WHERE id = ANY($1::uuid[])"
        " AND NOT EXISTS (SELECT 1 FROM profiles.field_provenance p WHERE p.customer_id = c.id)",
        involved,
    )
    profiles = {str(row["id"]): _stored(row) for row in rows}

    found = await evidence(conn, customers)
    # A customer with neither source records nor a stored profile has nothing to choose from (none should reach
    # here); it is left out rather than failing the whole claim.
    customers = [c for c in customers if found.get(c) or c in profiles]
    records = golden_records({c: found.get(c, []) for c in customers}, merges, profiles, rules)
    await _write_golden(conn, records, now)
    if merges:
        await _retire(conn, merges, now)


async def _write_golden(conn: Connection, records: list[GoldenRecord], now: datetime) -> None:
    """Upsert the golden records and replace their provenance (one statement each, arrays of columns: a relay
    claim writes thousands)."""
    if not records:
        return
    ids = [uuid.UUID(g.customer_id) for g in records]
    await conn.execute(
        """
        INSERT INTO profiles.customers (id, given_name, family_name, full_name, gender, birth_date, city, region,
            country_code, loyalty_tier, loyalty_points, status, created_at, updated_at)
        SELECT id, given_name, family_name, full_name, gender, birth_date, city, region, 'CN', loyalty_tier,
            loyalty_points, 'active', created_at, $12
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::date[], $7::text[], $8::text[],
            $9::text[], $10::int[], $11::timestamptz[])
            AS g(id, given_name, family_name, full_name, gender, birth_date, city, region, loyalty_tier,
                 loyalty_points, created_at)
        ON CONFLICT (id) DO UPDATE SET given_name = EXCLUDED.given_name, family_name = EXCLUDED.family_name,
            full_name = EXCLUDED.full_name, gender = EXCLUDED.gender, birth_date = EXCLUDED.birth_date,
            city = EXCLUDED.city, region = EXCLUDED.region, loyalty_tier = EXCLUDED.loyalty_tier,
            loyalty_points = EXCLUDED.loyalty_points, created_at = EXCLUDED.created_at,
            updated_at = EXCLUDED.updated_at
        """,
        ids,
        [g.given_name for g in records],
        [g.family_name for g in records],
        [g.full_name for g in records],
        [g.gender for g in records],
        [g.birth_date for g in records],
        [g.city for g in records],
        [g.region for g in records],
        [g.loyalty_tier for g in records],
        [g.loyalty_points for g in records],
        [g.created_at for g in records],
        now,
    )
    await conn.execute("DELETE FROM profiles.field_provenance WHERE customer_id = ANY($1::uuid[])", ids)
    rows = [
        (uuid.UUID(g.customer_id), name, str(c.value), c.system, c.external_id, c.observed_at, c.rule.value)
        for g in records
        for name, c in g.provenance.items()
    ]
    if rows:
        await conn.execute(
            "INSERT INTO profiles.field_provenance (customer_id, field, value, system, external_id, observed_at,"
            " rule) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],"
            " $6::timestamptz[], $7::text[])",
            *(list(column) for column in zip(*rows, strict=True)),
        )


async def _retire(conn: Connection, merges: Mapping[str, str], now: datetime) -> None:
    """Merged-away ids become aliases of their survivors; their rows and provenance go."""
    losers = [uuid.UUID(loser) for loser in merges]
    survivors = [uuid.UUID(merges[loser]) for loser in merges]
    # Ids merged into a loser earlier now resolve to its survivor too.
    await conn.execute(
        "UPDATE profiles.customer_aliases a SET customer_id = m.survivor"
        " FROM unnest($1::uuid[], $2::uuid[]) AS m(loser, survivor) WHERE a.customer_id = m.loser",
        losers,
        survivors,
    )
    await conn.execute(
        "INSERT INTO profiles.customer_aliases (alias_id, customer_id, merged_at)"
        " SELECT loser, survivor, $3 FROM unnest($1::uuid[], $2::uuid[]) AS m(loser, survivor)"
        " ON CONFLICT (alias_id) DO UPDATE SET customer_id = EXCLUDED.customer_id",
        losers,
        survivors,
        now,
    )
    await conn.execute("DELETE FROM profiles.customers WHERE id = ANY($1::uuid[])", losers)
    await conn.execute("DELETE FROM profiles.field_provenance WHERE customer_id = ANY($1::uuid[])", losers)
