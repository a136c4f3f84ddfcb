"""What the relay applied to the graph, kept in the same transaction: redelivered events are recognised.

An outbox event is applied to the graph in one Neo4j transaction and marked done in PostgreSQL in another; a crash
or an unknown commit outcome (``IncompleteCommit``) between the two makes the relay deliver the event again. The
marker ``(:AppliedEvent {key})`` written with the event's changes says it was applied and holds its result, so the
redelivery applies nothing twice and answers what the first delivery decided. Events of a stream apply in id
order, so markers below the oldest event a relay claims belong to events PostgreSQL has marked done: each claim
prunes them, and the graph keeps at most the markers of one claim.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from neo4j import AsyncManagedTransaction


def key(stream: str, event_id: int) -> str:
    return f"{stream}:{event_id}"


async def read(tx: AsyncManagedTransaction, stream: str, ids: Iterable[int]) -> dict[int, Any]:
    """The results of the events among ``ids`` already applied."""
    rows = await (
        await tx.run(
            "UNWIND $keys AS key MATCH (a:AppliedEvent {key: key}) RETURN a.event AS id, a.result AS result",
            keys=[key(stream, i) for i in ids],
        )
    ).data()
    return {row["id"]: orjson.loads(row["result"]) for row in rows}


async def write(tx: AsyncManagedTransaction, stream: str, results: dict[int, Any]) -> None:
    if results:
        await tx.run(
            """
            UNWIND $rows AS r
            CREATE (:AppliedEvent {key: r.key, stream: $stream, event: r.id, result: r.result, at: datetime()})
            """,
            rows=[
                {"key": key(stream, i), "id": i, "result": orjson.dumps(result).decode()}
                for i, result in results.items()
            ],
            stream=stream,
        )


async def prune(tx: AsyncManagedTransaction, stream: str, below: int) -> None:
    """Forget the markers of events before ``below``: PostgreSQL has marked them done."""
    await tx.run(
        "MATCH (a:AppliedEvent {stream: $stream}) WHERE a.event < $below DELETE a", stream=stream, below=below
    )
