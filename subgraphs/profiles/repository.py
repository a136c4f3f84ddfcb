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
    rows = await db.fetch(f"SELECT {COLUMNS} FROM profiles.customers WHERE id = ANY($1::uuid[])", list(ids))
    return {row["id"]: row for row in rows}


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
        f"SELECT {COLUMNS} FROM profiles.customers {where} ORDER BY id LIMIT ${len(args)}", *args
    )


async def count(db: Database, criteria: CustomerSearch) -> int:
    args: list[object] = []
    clauses = criteria.where(args)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    total: int = await db.fetchval(f"SELECT count(*) FROM profiles.customers {where}", *args)
    return total
