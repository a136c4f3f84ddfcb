"""Eight concurrent ingesters over overlapping records end with the clustering one ordered ingest gives."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from graph_store.driver import GraphStore
from tests.conftest import GraphQL
from tests.identity.test_ingest import INGEST

PEOPLE = 12


def _records(prefix: str, digits: str) -> list[dict[str, Any]]:
    """Four records per person: phone only, email only, both, email again (a chain that needs order to close)."""
    records = []
    for person in range(PEOPLE):
        phone = f"13{digits}{person:06d}"
        email = f"{prefix.lower()}{person}@concurrency.cn"
        shapes = [
            [("PHONE", phone)],
            [("EMAIL", email)],
            [("PHONE", phone), ("EMAIL", email)],
            [("EMAIL", email)],
        ]
        for n, identifiers in enumerate(shapes):
            records.append(
                {
                    "system": ["crm", "ecommerce", "pos", "wechat"][n],
                    "externalId": f"{prefix}-{person}-{n}",
                    "observedAt": f"2026-10-0{n + 1}T00:00:00+00:00",
                    "identifiers": [{"type": t, "value": v} for t, v in identifiers],
                }
            )
    return records


async def _clusters(graph: GraphStore, prefix: str) -> set[frozenset[str]]:
    rows = await graph.read(
        """
        MATCH (sr:SourceRecord)-[:RESOLVES_TO]->(c:Customer) WHERE sr.externalId STARTS WITH $prefix
        RETURN c.id AS customer, collect(substring(sr.externalId, size($prefix))) AS records
        """,
        prefix=prefix,
    )
    return {frozenset(r["records"]) for r in rows}


async def test_concurrent_ingest_matches_an_ordered_one(gql: GraphQL, graph: GraphStore) -> None:
    ordered = _records("ORD", "811")
    for record in ordered:
        body = await gql.data(INGEST, records=[record])
        assert body["ingestSourceRecords"]["rejected"] == 0

    concurrent = _records("CON", "822")
    rng = random.Random(7)
    batches = []
    for _ in range(8):
        batch = rng.sample(concurrent, len(concurrent) // 2)  # overlapping halves, each in its own order
        batches.append(batch)
    missing = [r for r in concurrent if not any(r in b for b in batches)]
    batches[0] += missing
    await asyncio.gather(*(gql.data(INGEST, records=batch) for batch in batches))

    expected = await _clusters(graph, "ORD")
    assert len(expected) == PEOPLE
    assert all(len(cluster) == 4 for cluster in expected)
    assert await _clusters(graph, "CON") == expected
