"""The single write lock of the graph: writes that check then change (merges, cycles, memberships) hold it.

Identity merges move relationship edges and relationship writes check them, so both take the same lock. Writes
are rare next to reads, so serialising them costs nothing that matters and rules out races such as two concurrent
moves that together form a cycle, or two ingesters creating two customers for one phone.
"""

from __future__ import annotations

from neo4j import AsyncManagedTransaction


async def lock(tx: AsyncManagedTransaction) -> None:
    """Take the lock for the rest of ``tx`` (MERGE on a uniquely constrained node serialises its writers)."""
    await tx.run("MERGE (l:GraphLock {name: 'graph'}) SET l.at = timestamp()")
