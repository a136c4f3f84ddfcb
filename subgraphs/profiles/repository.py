"""Batched reads of the golden record; every function is one SQL statement."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import asyncpg

from core.postgres import Database

COLUMNS = (
    "id::text AS id, given_name, family_name, full_name, gender, birth_date, city, region, country_code, "
    "loyalty_tier, loyalty_points, status, created_at, updated_at"
)


@dataclass(frozen=True)
class CustomerSearch:
    name: str | None = None
    cities: tuple[str, ...] = ()
    loyalty_tiers: tuple[str, ...] = ()
    only_ids: Collection[str] | None = None
    exclude_ids: Collection[str] | None = None

    def where(self, args: list[object]) -> list[str]:
        clauses: list[str] = []

        def param(value: object) -> str:
            args.append(value)
            return f"${len(args)}"

        if self.name:
            escaped = self.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(f"full_name ILIKE {param(f'%{escaped}%')}")
        if self.cities:
            clauses.append(f"city = ANY({param(list(self.cities))}::text[])")
        if self.loyalty_tiers:
            clauses.append(f"loyalty_tier = ANY({param(list(self.loyalty_tiers))}::text[])")
        if self.only_ids is not None:
            clauses.append(f"id = ANY({param(list(self.only_ids))}::uuid[])")
        if self.exclude_ids:
            clauses.append(f"NOT (id = ANY({param(list(self.exclude_ids))}::uuid[]))")
        return clauses


async def profiles_by_id(db: Database, ids: Sequence[str]) -> dict[str, asyncpg.Record]:
    """Golden records by id; an id merged into another customer finds the survivor's record."""
    rows = await db.fetch(
        f"SELECT k.requested::text AS requested, {COLUMNS.replace('id::text', 'c.id::text')}"
        " FROM unnest($1::uuid[]) AS k(requested)"
        " LEFT JOIN profiles.customer_aliases a ON a.alias_id = k.requested"
        " JOIN profiles.customers c ON c.id = coalesce(a.customer_id, k.requested)",
        list(ids),
    )
    return {row["requested"]: row for row in rows}


async def merged_ids(db: Database, customer_ids: Sequence[str]) -> dict[str, list[str]]:
    """The ids merged into each customer."""
    rows = await db.fetch(
        "SELECT customer_id::text AS customer, array_agg(alias_id::text ORDER BY merged_at, alias_id) AS ids"
        " FROM profiles.customer_aliases WHERE customer_id = ANY($1::uuid[]) GROUP BY customer_id",
        list(customer_ids),
    )
    return {row["customer"]: list(row["ids"]) for row in rows}


async def search(
    db: Database, criteria: CustomerSearch, limit: int, after: str | None
) -> list[asyncpg.Record]:
    """Customers matching ``criteria`` in id order, keyset-paginated after ``after``."""
    args: list[object] = []
    clauses = criteria.where(args)
    if after is not None:
        args.append(after)
        clauses.append(f"id > ${len(args)}::uuid")
    args.append(limit)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return await db.fetch(
        # `customers.id`, the uuid column: a bare `id` would name the text alias of the select list, and sorting
        # by that text scans and sorts the whole table instead of walking the primary key.
        f"SELECT {COLUMNS} FROM profiles.customers {where} ORDER BY customers.id LIMIT ${len(args)}",
        *args,
    )


async def count(db: Database, criteria: CustomerSearch) -> int:
    args: list[object] = []
    clauses = criteria.where(args)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    total: int = await db.fetchval(f"SELECT count(*) FROM profiles.customers {where}", *args)
    return total


async def rejected(
    db: Database, system: str | None, limit: int, before_id: int | None
) -> list[asyncpg.Record]:
    """Rejected records, newest first (keyset on id)."""
    return await db.fetch(
        "SELECT id, system, external_id, received_at, errors, payload FROM profiles.rejected_records"
        " WHERE ($1::text IS NULL OR system = $1) AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        system,
        before_id,
        limit,
    )


async def provenance(db: Database, customer_ids: Sequence[str]) -> dict[str, list[asyncpg.Record]]:
    """For each customer, where each golden-record field came from."""
    rows = await db.fetch(
        "SELECT customer_id::text AS customer, field, value, system, external_id, observed_at, rule"
        " FROM profiles.field_provenance WHERE customer_id = ANY($1::uuid[]) ORDER BY customer_id, field",
        list(customer_ids),
    )
    found: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        found.setdefault(row["customer"], []).append(row)
    return found
