"""Writing golden records after identity resolution: the profiles, their per-field provenance, aliases of merged ids.

The values come from ``survivorship.golden_records`` (pure); this module reads the stored profiles it takes as
evidence (a customer seeded or migrated before it had any source record keeps its fields) and writes the result.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core.postgres import Database
from graph_store.resolution.ingest import BatchResult
from graph_store.resolution.rules import MatchingRules
from graph_store.resolution.survivorship import FIELDS, GoldenRecord, StoredProfile, golden_records

if TYPE_CHECKING:
    from asyncpg import Connection, Record


def _stored(row: Record) -> StoredProfile:
    attributes = {name: row[name] for name in FIELDS if row[name] is not None}
    return StoredProfile(str(row["id"]), attributes, row["created_at"], row["updated_at"])


async def apply(db: Database, result: BatchResult, rules: MatchingRules) -> None:
    """Recompute the golden record of every customer the batch touched, and retire merged ids (one transaction)."""
    if not result.evidence and not result.merges:
        return
    involved = [uuid.UUID(c) for c in {*result.evidence, *result.merges}]
    now = datetime.now(UTC)
    async with db.transaction() as conn:
        if result.revived:
            # A split brought these ids back: they are customers again, no longer aliases.
            await conn.execute(
                "DELETE FROM profiles.customer_aliases WHERE alias_id = ANY($1::uuid[])",
                [uuid.UUID(c) for c in result.revived],
            )
        rows = await conn.fetch("SELECT * FROM profiles.customers WHERE id = ANY($1::uuid[])", involved)
        profiles = {str(row["id"]): _stored(row) for row in rows}
        records = golden_records(result.evidence, result.merges, profiles, rules)
        await _write_golden(conn, records, now)
        if result.merges:
            await _retire(conn, result.merges, now)


async def _write_golden(conn: Connection, records: list[GoldenRecord], now: datetime) -> None:
    """Upsert the golden records and replace their provenance."""
    await conn.executemany(
        """
        INSERT INTO profiles.customers (id, given_name, family_name, full_name, gender, birth_date, city, region,
            country_code, loyalty_tier, loyalty_points, status, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'CN', $9, $10, 'active', $11, $12)
        ON CONFLICT (id) DO UPDATE SET given_name = EXCLUDED.given_name, family_name = EXCLUDED.family_name,
            full_name = EXCLUDED.full_name, gender = EXCLUDED.gender, birth_date = EXCLUDED.birth_date,
            city = EXCLUDED.city, region = EXCLUDED.region, loyalty_tier = EXCLUDED.loyalty_tier,
            loyalty_points = EXCLUDED.loyalty_points, created_at = EXCLUDED.created_at,
            updated_at = EXCLUDED.updated_at
        """,
        [
            (
                uuid.UUID(g.customer_id),
                g.given_name,
                g.family_name,
                g.full_name,
                g.gender,
                g.birth_date,
                g.city,
                g.region,
                g.loyalty_tier,
                g.loyalty_points,
                g.created_at,
                now,
            )
            for g in records
        ],
    )
    await conn.execute(
        "DELETE FROM profiles.field_provenance WHERE customer_id = ANY($1::uuid[])",
        [uuid.UUID(g.customer_id) for g in records],
    )
    await conn.executemany(
        "INSERT INTO profiles.field_provenance (customer_id, field, value, system, external_id, observed_at, rule)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            (
                uuid.UUID(g.customer_id),
                name,
                str(c.value),
                c.system,
                c.external_id,
                c.observed_at,
                c.rule.value,
            )
            for g in records
            for name, c in g.provenance.items()
        ],
    )


async def _retire(conn: Connection, merges: dict[str, str], now: datetime) -> None:
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
