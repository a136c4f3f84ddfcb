"""What a record takes back when a new version of it no longer carries an identifier it carried before.

Its claim (or conflict) on the identifier ends. The customer keeps the identifier while another of its records
still claims it, the link then dated and sourced by the earliest such claim (as a split rebuilds links); when none
does, the customer no longer holds it, and an identifier nothing points at is removed. Links loaded with the seed
(no record behind them) stay. So a source system that empties a record, or drops a national id from it, takes it
back from the customer as well as from the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neo4j import AsyncManagedTransaction


async def dropped_claims(tx: AsyncManagedTransaction, writes: Sequence[dict[str, Any]]) -> set[str]:
    """For the records ``writes`` stores (``ingest._parameters``' rows), inside their transaction, after them.

    Returns the customers whose records took a claim back: their links are no longer what the plan computed."""
    if not writes:
        return set()
    result = await tx.run(
        """
        UNWIND $writes AS w
        MATCH (sr:SourceRecord {key: w.key})-[x:CLAIMS|CONFLICTS]->(i:Identifier)
        WHERE (type(x) = 'CLAIMS' AND NOT i.key IN [c IN w.claims | c.key])
           OR (type(x) = 'CONFLICTS' AND NOT i.key IN [c IN w.conflicts | c.key])
        WITH w, i, x
        DELETE x
        WITH DISTINCT w.customer AS customer, i
        MATCH (c:Customer {id: customer})
        OPTIONAL MATCH (c)-[h:HAS_IDENTIFIER]->(i) WHERE coalesce(h.rule, 'exact') <> 'seed'
        CALL (c, i, h) {
          WITH c, i, h WHERE h IS NOT NULL
          OPTIONAL MATCH (c)<-[:RESOLVES_TO]-(sr:SourceRecord)-[x:CLAIMS]->(i)
          WITH h, sr, x ORDER BY sr.observedAt, sr.key
          WITH h, collect({source: sr.system, observedAt: sr.observedAt, raw: x.raw, rule: x.rule})[0] AS first
          CALL (h, first) {
            WITH h, first WHERE first.source IS NULL
            DELETE h
          }
          CALL (h, first) {
            WITH h, first WHERE first.source IS NOT NULL
            SET h.source = first.source, h.observedAt = first.observedAt, h.raw = first.raw, h.rule = first.rule
          }
        }
        WITH collect(DISTINCT customer) AS customers, collect(DISTINCT i) AS identifiers
        CALL (identifiers) {
          UNWIND identifiers AS i
          WITH i WHERE NOT EXISTS { (i)--() }
          DELETE i
        }
        RETURN customers
        """,
        writes=list(writes),
    )
    record = await result.single()
    return set(record["customers"]) if record else set()
