"""Batched reads of the golden record; every function is one SQL statement."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import asyncpg

from core import audit
from core.postgres import Database
from core.visibility import EVERYTHING, Visible
from graph_store.identifiers import IdentifierType
from graph_store.identity import LinkedIdentifier
from subgraphs.kit.filters import CustomerPredicate

COLUMNS = (
    "id::text AS id, given_name, family_name, full_name, gender, birth_date, city, region, country_code, "
    "loyalty_tier, loyalty_points, status, created_at, updated_at"
)


@dataclass(frozen=True)
class CustomerSearch:
    name: str | None = None
    cities: tuple[str, ...] = ()
    loyalty_tiers: tuple[str, ...] = ()
    related: CustomerPredicate | None = None
    """A condition another subgraph answers (open tickets); see :func:`search` for how it is applied."""
    rows: Visible = EVERYTHING
    """The customers the caller may see: the page and its count hold only those."""

    def where(self, args: list[object]) -> list[str]:
        clauses: list[str] = []

        def param(value: object) -> str:
            args.append(value)
            return f"${len(args)}"

        clauses.extend(self.rows.clauses(param, customer="customers.id"))

        if self.name:
            escaped = self.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(f"full_name ILIKE {param(f'%{escaped}%')}")
        if self.cities:
            clauses.append(f"city = ANY({param(list(self.cities))}::text[])")
        if self.loyalty_tiers:
            clauses.append(f"loyalty_tier = ANY({param(list(self.loyalty_tiers))}::text[])")
        if self.related is not None:
            clause = self.related.sql("customers.id", param)
            assert clause is not None, "a condition from another database is applied by keyset, not in SQL"
            clauses.append(clause)
        return clauses

    def count_sql(self, args: list[object]) -> str:
        """The statement counting the matches (when :attr:`joins_in_sql`)."""
        clauses = self.where(args)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return f"SELECT count(*) FROM profiles.customers{where}"

    @property
    def joins_in_sql(self) -> bool:
        """Whether every condition is one SQL clause here (no other subgraph's database to ask)."""
        return self.related is None or self.related.sql("customers.id", lambda _: "$0") is not None


def _aliases(table: str) -> str:
    """The ids merged into the customer of ``table`` (one index look-up; empty for almost every customer), carried
    with its golden record so that its orders, tickets and interactions can be read under all of its ids."""
    return (
        "ARRAY(SELECT m.alias_id::text FROM profiles.customer_aliases m"
        f" WHERE m.customer_id = {table}.id ORDER BY m.merged_at, m.alias_id) AS merged_ids"
    )


async def profiles_by_id(
    db: Database, ids: Sequence[str], rows: Visible = EVERYTHING
) -> dict[str, asyncpg.Record]:
    """Golden records by id; an id merged into another customer finds the survivor's record. A customer out of
    ``rows`` is not found, like one that does not exist."""
    args: list[object] = [list(ids)]
    scope = rows.sql(args, customer="c.id")
    found = await db.fetch(
        f"SELECT k.requested::text AS requested, {COLUMNS.replace('id::text', 'c.id::text')}, {_aliases('c')}"
        " FROM unnest($1::uuid[]) AS k(requested)"
        " LEFT JOIN profiles.customer_aliases a ON a.alias_id = k.requested"
        f" JOIN profiles.customers c ON c.id = coalesce(a.customer_id, k.requested){scope}",
        *args,
    )
    return {row["requested"]: row for row in found}


async def merged_ids(db: Database, customer_ids: Sequence[str]) -> dict[str, list[str]]:
    """The ids merged into each customer."""
    rows = await db.fetch(
        "SELECT customer_id::text AS customer, array_agg(alias_id::text ORDER BY merged_at, alias_id) AS ids"
        " FROM profiles.customer_aliases WHERE customer_id = ANY($1::uuid[]) GROUP BY customer_id",
        list(customer_ids),
    )
    return {row["customer"]: list(row["ids"]) for row in rows}


SCAN = 1000
"""Customers examined per step when a condition lives in another database (see :func:`search`)."""


async def _page(
    db: Database, criteria: CustomerSearch, limit: int, after: str | None
) -> list[asyncpg.Record]:
    args: list[object] = []
    clauses = criteria.where(args)
    if after is not None:
        args.append(after)
        clauses.append(f"customers.id > ${len(args)}::uuid")
    args.append(limit)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return await db.fetch(
        # `customers.id`, the uuid column: a bare `id` would name the text alias of the select list, and sorting
        # by that text scans and sorts the whole table instead of walking the primary key.
        f"SELECT {COLUMNS}, {_aliases('customers')} FROM profiles.customers {where}"
        f" ORDER BY customers.id LIMIT ${len(args)}",
        *args,
    )


async def search(
    db: Database, criteria: CustomerSearch, limit: int, after: str | None
) -> list[asyncpg.Record]:
    """Customers matching ``criteria`` in id order, keyset-paginated after ``after``.

    When every condition is SQL in this database (a condition of another subgraph sharing it is an ``EXISTS``
    clause), this is one statement. When the other subgraph has its own database, customers are walked by keyset
    in steps of :data:`SCAN`, each step one statement here and ``matching`` (the ids merged into that step's
    customers, then the other database, naming only them): memory stays bounded by ``SCAN`` rows, and a page costs 3
    statements per ``SCAN`` customers examined, so a rare condition examines many steps for one page.
    """
    if criteria.joins_in_sql:
        return await _page(db, criteria, limit, after)
    found: list[asyncpg.Record] = []
    async for matches in _walk(db, criteria, after):
        found.extend(matches)
        if len(found) >= limit:
            break
    return found[:limit]


async def _walk(
    db: Database, criteria: CustomerSearch, after: str | None
) -> AsyncIterator[list[asyncpg.Record]]:
    """The matches of each keyset step of :data:`SCAN` customers, for a condition in another database."""
    assert criteria.related is not None
    local = replace(criteria, related=None)
    while True:
        batch = await _page(db, local, SCAN, after)
        keep = await criteria.related.matching([row["id"] for row in batch])
        yield [row for row in batch if row["id"] in keep]
        if len(batch) < SCAN:
            return
        after = batch[-1]["id"]


async def count(db: Database, criteria: CustomerSearch) -> int:
    """Customers matching ``criteria``: one statement, or the keyset walk of :func:`search` over every match."""
    if not criteria.joins_in_sql:
        return sum([len(matches) async for matches in _walk(db, criteria, None)])
    args: list[object] = []
    total: int = await db.fetchval(criteria.count_sql(args), *args)
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


def identifier_order(alias: str) -> str:
    """A customer's identifiers in the order the graph read gave them (type, then value, byte-wise)."""
    return f'{alias}.type COLLATE "C", {alias}.value COLLATE "C"'


async def identifiers_by_customer(
    db: Database, customer_ids: Sequence[str]
) -> dict[str, list[LinkedIdentifier]]:
    """Every identifier of each customer, from the projection (no Neo4j); ordered as the graph read ordered them."""
    rows = await db.fetch(
        "SELECT i.customer_id::text AS customer, i.type, i.value, i.source, i.observed_at"
        " FROM profiles.customer_identifiers i"
        f" WHERE i.customer_id = ANY($1::uuid[]) ORDER BY i.customer_id, {identifier_order('i')}",
        list(customer_ids),
    )
    found: dict[str, list[LinkedIdentifier]] = {}
    for row in rows:
        found.setdefault(row["customer"], []).append(
            LinkedIdentifier(IdentifierType(row["type"]), row["value"], row["source"], row["observed_at"])
        )
    return found


async def customers_by_identifier_key(db: Database, keys: Sequence[str]) -> dict[str, str]:
    """The customer each identifier key belongs to (the least id when several share it), from the projection."""
    rows = await db.fetch(
        "SELECT key, min(customer_id::text) AS customer FROM profiles.customer_identifiers"
        " WHERE key = ANY($1::text[]) GROUP BY key",
        list(keys),
    )
    return {row["key"]: row["customer"] for row in rows}


@dataclass(frozen=True)
class AuditSearch:
    customer_id: str | None = None
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def audit_records(
    db: Database, search: AuditSearch, limit: int, before_id: int | None
) -> list[asyncpg.Record]:
    """Audit records matching ``search``, newest first (keyset on id); only the conditions given are in the SQL,
    so each filter walks its own index (customers: GIN on ``customer_ids``; principals: ``(subject, id)``)."""
    args: list[object] = []
    clauses: list[str] = []
    for condition, value in (
        ("customer_ids @> ARRAY[{}]::text[]", search.customer_id),
        ("subject = {}", search.subject),
        ("at >= {}", search.since),
        ("at < {}", search.until),
        ("id < {}", before_id),
    ):
        if value is not None:
            args.append(value)
            clauses.append(condition.format(f"${len(args)}"))
    args.append(limit)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return await db.fetch(
        "SELECT id, at, request_id, subject, roles, operation, fields, kind, customer_ids, data_classes, endpoint"
        f" FROM {audit.TABLE} {where} ORDER BY id DESC LIMIT ${len(args)}",
        *args,
    )
