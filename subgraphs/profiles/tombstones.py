"""Tombstones: the keyed hashes of what an erasure removed (``core.erasure``), and the check every ingested batch
passes before it is planned.

An erased identifier no other customer holds gets a tombstone; so does every id of the erased customer. A later
record carrying a tombstoned identifier does not match anything through it and does not link it: the identifier
is reported ``blocked`` with the reason ``erased``, and a record with nothing else to match starts a new customer.
So the source systems that still hold the subject's records cannot glue them back into the profile that was
erased, nor reach anything kept of it.

**A new consent** lifts a tombstone: a record that carries, in its ``consents``, a ``PROFILING`` decision with status
``GRANTED`` decided after the erasure (its latest profiling decision, by ``decidedAt``) removes the tombstones of the
identifiers it carries, and they match and link again from that batch on, as if never erased. The subject came
back and agreed to be known again; nothing erased comes back with it. A consent set later on a customer
(``setConsent``) lifts nothing: the tombstoned identifiers were never linked to that customer, and the source
system sends the record again with the consent.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

import asyncpg

from core.erasure import CUSTOMER, IDENTIFIER, Keyring
from graph_store.resolution.records import ValidRecord
from graph_store.resolution.rules import MatchingRules

PROFILING = "profiling"


async def bury(
    conn: asyncpg.Connection,
    job_id: str,
    identifier_hashes: Collection[str],
    customer_hashes: Collection[str],
    at: datetime,
) -> int:
    """Tombstones for the hashes (kept: a tombstone already there stays with the job that made it)."""
    rows = [(h, IDENTIFIER) for h in sorted(identifier_hashes)] + [
        (h, CUSTOMER) for h in sorted(customer_hashes)
    ]
    if not rows:
        return 0
    made = await conn.fetch(
        "INSERT INTO profiles.erasure_tombstones (hash, kind, job_id, erased_at)"
        " SELECT h, k, $3::uuid, $4 FROM unnest($1::text[], $2::text[]) AS t(h, k) ON CONFLICT (hash) DO NOTHING"
        " RETURNING hash",
        [h for h, _ in rows],
        [k for _, k in rows],
        uuid.UUID(job_id),
        at,
    )
    return len(made)


async def screen(
    conn: asyncpg.Connection, keyring: Keyring | None, records: Sequence[ValidRecord], rules: MatchingRules
) -> MatchingRules:
    """The rules a batch is planned with: tombstoned identifiers blocked as ``erased``, after lifting the ones a
    record's new consent frees (one statement when no record of the batch carries a tombstoned identifier)."""
    if keyring is None or not records:
        return rules
    hashes = keyring.identifiers({i.key for r in records for i, _ in r.identifiers})
    if not hashes:
        return rules
    found = {
        row["hash"]: row["erased_at"]
        for row in await conn.fetch(
            "SELECT hash, erased_at FROM profiles.erasure_tombstones WHERE kind = $1 AND hash = ANY($2::text[])",
            IDENTIFIER,
            list(hashes.values()),
        )
    }
    if not found:
        return rules
    carrying = [r for r in records if any(hashes[i.key] in found for i, _ in r.identifiers)]
    consents = {
        (row["system"], row["external_id"]): row["decided_at"]
        for row in await conn.fetch(
            "SELECT DISTINCT ON (system, external_id) system, external_id, status, decided_at"
            " FROM profiles.consent_records c"
            " JOIN unnest($1::text[], $2::text[]) AS k(s, e) ON c.system = k.s AND c.external_id = k.e"
            " WHERE c.purpose = $3 ORDER BY system, external_id, decided_at DESC, id DESC",
            [r.record.system for r in carrying],
            [r.record.external_id for r in carrying],
            PROFILING,
        )
        if row["status"] == "granted"
    }
    lifted: set[str] = set()
    for record in carrying:
        granted = consents.get((record.record.system, record.record.external_id))
        if granted is None:
            continue
        lifted |= {
            hashes[i.key]
            for i, _ in record.identifiers
            if hashes[i.key] in found and granted > found[hashes[i.key]]
        }
    if lifted:
        await conn.execute(
            "DELETE FROM profiles.erasure_tombstones WHERE hash = ANY($1::text[])", sorted(lifted)
        )
    erased = frozenset(key for key, digest in hashes.items() if digest in found and digest not in lifted)
    return dataclasses.replace(rules, erased=erased) if erased else rules
