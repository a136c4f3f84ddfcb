"""Searching and comparing whole stores: every PostgreSQL table of every subgraph schema (found in the catalog, so
a table added later is searched too) and every property of every node and relationship of the graph."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
import orjson

from core import registry
from graph_store.driver import GraphStore

SEARCHED_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY", "uuid")
"""Column types a value can hide in: text, JSON, arrays (of text or ids) and ids."""
TRANSIENT_LABELS = ("GraphLock", "AppliedEvent")
"""Nodes every write changes (the lock's time) or every claim replaces (markers): compared by residue only."""


async def columns(pg: asyncpg.Connection) -> dict[str, list[str]]:
    """Every searchable column of every table of the subgraphs' schemas, by qualified table name."""
    rows = await pg.fetch(
        "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c"
        " JOIN information_schema.tables t USING (table_schema, table_name)"
        " WHERE c.table_schema = ANY($1::text[]) AND t.table_type = 'BASE TABLE' AND c.data_type = ANY($2::text[])"
        " ORDER BY 1, 2, c.ordinal_position",
        list(registry.POSTGRES),
        list(SEARCHED_TYPES),
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(f'"{row["table_schema"]}"."{row["table_name"]}"', []).append(row["column_name"])
    return found


async def tables(pg: asyncpg.Connection) -> list[str]:
    rows = await pg.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = ANY($1::text[])"
        " AND table_type = 'BASE TABLE' ORDER BY 1, 2",
        list(registry.POSTGRES),
    )
    return [f'"{r["table_schema"]}"."{r["table_name"]}"' for r in rows]


async def postgres_residue(pg: asyncpg.Connection, values: Sequence[str]) -> list[str]:
    """``table.column: value`` for every searched column holding one of ``values`` (as text, case-sensitive)."""
    found = []
    patterns = ["%" + v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for v in values]
    for table, names in (await columns(pg)).items():
        for name in names:
            rows = await pg.fetch(
                f'SELECT DISTINCT p FROM {table}, unnest($1::text[]) AS p WHERE "{name}"::text LIKE p',
                patterns,
            )
            found += [f"{table}.{name}: {values[patterns.index(r['p'])]}" for r in rows]
    return found


async def graph_items(graph: GraphStore) -> list[tuple[str, str]]:
    """Every node (labels, properties) and relationship (type, properties, and its two ends' properties), as text."""
    nodes = await graph.read("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props")
    relationships = await graph.read(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, properties(r) AS props, labels(a) AS al, properties(a) AS ap,"
        " labels(b) AS bl, properties(b) AS bp"
    )
    items = [(":".join(n["labels"]), _text(n["props"])) for n in nodes]
    items += [
        (r["type"], _text({"r": r["props"], "a": [r["al"], r["ap"]], "b": [r["bl"], r["bp"]]}))
        for r in relationships
    ]
    return items


def _text(value: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS).decode()


async def graph_residue(graph: GraphStore, values: Sequence[str]) -> list[str]:
    return [
        f"{kind}: {value}" for kind, text in await graph_items(graph) for value in values if value in text
    ]


async def snapshot(pg: asyncpg.Connection, graph: GraphStore) -> dict[str, Counter[str]]:
    """Every row of every subgraph table and every graph item, as text, by table (or graph kind)."""
    found: dict[str, Counter[str]] = {}
    for table in await tables(pg):
        rows = await pg.fetch(f"SELECT to_jsonb(x)::text AS row FROM {table} x")
        found[table] = Counter(r["row"] for r in rows)
    for kind, text in await graph_items(graph):
        if kind.split(":")[0] in TRANSIENT_LABELS or any(label in text for label in TRANSIENT_LABELS):
            continue
        found.setdefault(f"graph:{kind}", Counter())[text] += 1
    return found


APPEND_ONLY = (
    "audit_records",
    "outbox",
    "erasure_jobs",
    "erasure_steps",
    "erasure_tombstones",
    '"profiles"."idempotency_keys"',
)
"""Tables an erasure (or the requests around it) may add rows to."""


def changes(
    before: dict[str, Counter[str]], after: dict[str, Counter[str]], needles: Iterable[str]
) -> list[str]:
    """What changed between two snapshots that is not the subject's: a row or item gone (or changed) must have held
    one of ``needles``; rows may be added only to append-only tables, or in place of the subject's changed ones."""
    marks = list(needles)
    problems = []
    for table in sorted(set(before) | set(after)):
        gone = before.get(table, Counter()) - after.get(table, Counter())
        added = after.get(table, Counter()) - before.get(table, Counter())
        foreign = [row for row in gone.elements() if not any(m in row for m in marks)]
        problems += [f"{table}: changed or removed, not the subject's: {row[:300]}" for row in foreign]
        if not any(t in table for t in APPEND_ONLY) and sum(added.values()) > sum(gone.values()):
            problems.append(f"{table}: {sum(added.values())} rows added for {sum(gone.values())} changed")
    return problems
