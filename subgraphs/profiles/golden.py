"""Writing golden records after identity resolution: survivorship per field, provenance, aliases of merged ids.

A customer the graph knew before it had any source record (seeded or migrated data) keeps its current profile
as evidence of lowest priority, recorded with the system ``profile``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from core.postgres import Database
from graph_store.resolution.ingest import BatchResult
from graph_store.resolution.rules import MatchingRules
from graph_store.resolution.survivorship import FIELDS, Evidence, full_name, golden

PROFILE_SYSTEM = "profile"


def _profile_evidence(row: Any) -> Evidence:
    attributes = {name: row[name] for name in FIELDS if row[name] is not None}
    return Evidence(PROFILE_SYSTEM, str(row["id"]), row["updated_at"], attributes)


def _value(name: str, value: Any) -> Any:
    if name == "birth_date" and isinstance(value, str):
        return date.fromisoformat(value)
    if name == "loyalty_points":
        return int(value)
    return value


async def apply(db: Database, result: BatchResult, rules: MatchingRules) -> None:
    """Recompute the golden record of every customer the batch touched, and retire merged ids (one transaction)."""
    customers = sorted(result.evidence)
    if not customers and not result.merges:
        return
    revived = [uuid.UUID(c) for c in result.revived]
    involved = [uuid.UUID(c) for c in {*customers, *result.merges}]
    now = datetime.now(UTC)
    async with db.transaction() as conn:
        if revived:
            # A split brought these ids back: they are customers again, no longer aliases.
            await conn.execute(
                "DELETE FROM profiles.customer_aliases WHERE alias_id = ANY($1::uuid[])", revived
            )
        rows = await conn.fetch("SELECT * FROM profiles.customers WHERE id = ANY($1::uuid[])", involved)
        current = {str(row["id"]): row for row in rows}
        merged_into: dict[str, list[str]] = {}
        for loser, survivor in result.merges.items():
            merged_into.setdefault(survivor, []).append(loser)
        upserts: list[tuple[Any, ...]] = []
        provenance: list[tuple[Any, ...]] = []
        for customer in customers:
            evidence = list(result.evidence[customer])
            for known in (customer, *merged_into.get(customer, [])):
                if known in current:
                    evidence.append(_profile_evidence(current[known]))
            chosen = golden(evidence, rules)
            values = {name: _value(name, c.value) for name, c in chosen.items()}
            given, family = str(values.get("given_name", "")), str(values.get("family_name", ""))
            created = min(
                [e.observed_at for e in evidence]
                + [
                    current[k]["created_at"]
                    for k in (customer, *merged_into.get(customer, []))
                    if k in current
                ]
            )
            upserts.append(
                (
                    uuid.UUID(customer),
                    given,
                    family,
                    full_name(given, family),
                    values.get("gender", "unknown"),
                    values.get("birth_date"),
                    values.get("city"),
                    values.get("region"),
                    values.get("loyalty_tier", "bronze"),
                    values.get("loyalty_points", 0),
                    created,
                    now,
                )
            )
            provenance += [
                (
                    uuid.UUID(customer),
                    name,
                    str(c.value),
                    c.system,
                    c.external_id,
                    c.observed_at,
                    c.rule.value,
                )
                for name, c in chosen.items()
            ]
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
            upserts,
        )
        await conn.execute(
            "DELETE FROM profiles.field_provenance WHERE customer_id = ANY($1::uuid[])",
            [uuid.UUID(c) for c in customers],
        )
        await conn.executemany(
            "INSERT INTO profiles.field_provenance (customer_id, field, value, system, external_id, observed_at, rule)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            provenance,
        )
        if result.merges:
            losers = [uuid.UUID(loser) for loser in result.merges]
            survivors = [uuid.UUID(result.merges[loser]) for loser in result.merges]
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
            await conn.execute(
                "DELETE FROM profiles.field_provenance WHERE customer_id = ANY($1::uuid[])", losers
            )
