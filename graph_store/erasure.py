"""Erasing a data subject from the identity and relationship graph, in one transaction under the graph's lock.

What goes: the subject's customers (the survivor and every id merged into it), the identity events about them,
their source records with what those claimed and yielded, every relationship they were in (households,
referrals, account contacts, merges, splits), households left with fewer than two members (as when a member
leaves), and identifier nodes nothing points at any more. What stays is other customers' own data: an identifier another customer holds, another
customer's records and history. Those keep no trace of the subject either: a record whose ``origin`` was one of its
ids forgets it (a later split would otherwise give that id back), and an identity event naming one of its ids
names the pseudonym instead.

The relay applies it as an event of the identity stream (``subgraphs/profiles/relay.py``), so it comes after every
record ingested before the request and before every record after it; a marker holds its result, so a redelivery
changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neo4j import AsyncManagedTransaction

from graph_store.driver import GraphStore
from graph_store.locks import lock
from graph_store.resolution import applied


async def _subject(
    tx: AsyncManagedTransaction, customers: Sequence[str], records: Sequence[str]
) -> dict[str, Any]:
    """The subject's customers (also ids the graph merged into them), records and identifiers, and households."""
    found = await (
        await tx.run(
            """
            CALL () {
              UNWIND $customers AS id
              MATCH (c:Customer {id: id})
              OPTIONAL MATCH (x:Customer)-[:MERGED_INTO]->{1,20}(c)
              WITH collect(c) + collect(x) AS found
              UNWIND found AS c
              RETURN collect(DISTINCT c.id) AS ids
            }
            OPTIONAL CALL (ids) {
              UNWIND $records AS key
              MATCH (sr:SourceRecord {key: key})
              RETURN sr.key AS key
              UNION
              UNWIND ids AS id
              MATCH (:Customer {id: id})<-[:RESOLVES_TO]-(sr:SourceRecord)
              RETURN sr.key AS key
            }
            WITH ids, collect(DISTINCT key) AS keys
            OPTIONAL CALL (ids, keys) {
              UNWIND ids AS id
              MATCH (:Customer {id: id})-[:HAS_IDENTIFIER]->(i:Identifier)
              RETURN i.key AS identifier
              UNION
              UNWIND keys AS key
              MATCH (:SourceRecord {key: key})-[:CLAIMS|CONFLICTS]->(i:Identifier)
              RETURN i.key AS identifier
            }
            WITH ids, keys, collect(DISTINCT identifier) AS identifiers
            CALL (ids) {
              UNWIND ids AS id
              MATCH (:Customer {id: id})-[:MEMBER_OF]->(h:Household)
              RETURN collect(DISTINCT h.id) AS households
            }
            RETURN ids, keys, identifiers, households
            """,
            customers=list(customers),
            records=list(records),
        )
    ).single(strict=True)
    return dict(found)


async def erase(
    store: GraphStore,
    stream: str,
    event_id: int,
    oldest: int,
    customers: Sequence[str],
    records: Sequence[str],
    pseudonym: str,
) -> dict[str, int]:
    """Erase the subject ``customers`` (and ``records``, its source-record keys) from the graph; what it removed,
    by kind. ``stream``, ``event_id`` and ``oldest`` (the first event of the relay's claim) mark it applied in the
    same transaction and prune older markers, as an ingest does."""

    async def work(tx: AsyncManagedTransaction) -> dict[str, int]:
        await lock(tx)
        done = await applied.read(tx, stream, [event_id])
        await applied.prune(tx, stream, oldest)
        if done:
            counts: dict[str, int] = done[event_id]
            return counts
        subject = await _subject(tx, customers, records)
        ids, keys = subject["ids"], subject["keys"]
        counts = (
            await (
                await tx.run(
                    """
                    CALL () {
                      UNWIND $ids AS id
                      MATCH (:Customer {id: id})<-[:ABOUT]-(e:IdentityEvent)
                      DETACH DELETE e
                      RETURN count(*) AS events
                    }
                    CALL () {
                      MATCH (e:IdentityEvent) WHERE e.other IN $ids
                      SET e.other = $pseudonym
                      RETURN count(*) AS renamed
                    }
                    CALL () {
                      MATCH (sr:SourceRecord) WHERE sr.origin IN $ids AND NOT sr.key IN $keys
                      REMOVE sr.origin
                      RETURN count(*) AS origins
                    }
                    CALL () {
                      UNWIND $ids AS id
                      MATCH (c:Customer {id: id})
                      RETURN sum(COUNT { (c)-[:MEMBER_OF|REFERRED|WORKS_AT|SPLIT_FROM]-() }) AS relationships
                    }
                    RETURN events, renamed, origins, relationships
                    """,
                    ids=ids,
                    keys=keys,
                    pseudonym=pseudonym,
                )
            ).single(strict=True)
        ).data()
        removed = (
            await (
                await tx.run(
                    """
                    CALL () {
                      UNWIND $keys AS key
                      MATCH (sr:SourceRecord {key: key})
                      DETACH DELETE sr
                      RETURN count(*) AS records
                    }
                    CALL () {
                      UNWIND $ids AS id
                      MATCH (c:Customer {id: id})
                      DETACH DELETE c
                      RETURN count(*) AS customers
                    }
                    CALL () {
                      UNWIND $households AS hid
                      MATCH (h:Household {id: hid}) WHERE COUNT { (h)<-[:MEMBER_OF]-() } < 2
                      DETACH DELETE h
                      RETURN count(*) AS households
                    }
                    CALL () {
                      UNWIND $identifiers AS key
                      MATCH (i:Identifier {key: key}) WHERE NOT EXISTS { (i)--() }
                      DELETE i
                      RETURN count(*) AS identifiers
                    }
                    RETURN records, customers, households, identifiers
                    """,
                    ids=ids,
                    keys=keys,
                    households=subject["households"],
                    identifiers=subject["identifiers"],
                )
            ).single(strict=True)
        ).data()
        result = {f"graph_{name}": int(value) for name, value in {**counts, **removed}.items()}
        await applied.write(tx, stream, {event_id: result})
        return result

    return await store.transaction(work)


async def forget_markers(store: GraphStore, stream: str, through: int) -> None:
    """Drop the markers of ``stream``'s events up to ``through``: their results name the records they resolved,
    and PostgreSQL has marked every one of them done (a relay prunes them only when it next claims)."""

    async def work(tx: AsyncManagedTransaction) -> None:
        await lock(tx)
        await applied.prune(tx, stream, through + 1)

    await store.transaction(work)
