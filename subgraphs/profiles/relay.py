"""The identity stream's relay handler: outbox events to the graph, then the clustering back to PostgreSQL.

Per claim (``core.relay``), consecutive ingest events are resolved in one Neo4j transaction and a split in one of
its own (a refused split must not undo the ingests beside it); after each, inside the claim's PostgreSQL
transaction, the write-back: the records' applied state and customer, what they claimed, the aliases of merged
ids, the golden records (existing survivorship, evidence from PostgreSQL) and the projection of current
identifiers (read from the graph in the same Neo4j transaction as the writes). All of it commits with the events'
``applied_at``, or none of it does, and the graph's markers make the redelivery harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import asyncpg
import orjson

from core.erasure import Keyring, keyring_or_none
from core.errors import ClientError, SourceUnavailable
from core.outbox import Event, Outcomes
from core.relay import Relay
from core.settings import Settings
from graph_store.driver import GraphStore
from graph_store.resolution.candidates import Stored, candidates_of, score_batch
from graph_store.resolution.ingest import Applied, apply_ingest, touched
from graph_store.resolution.manual import Decided, decide_pair
from graph_store.resolution.matching import MatchingConfig, Scorer
from graph_store.resolution.matching.model import config_at
from graph_store.resolution.plan import PROBABILISTIC, Matching
from graph_store.resolution.records import ValidRecord
from graph_store.resolution.rules import MatchingRules, rules_at
from graph_store.resolution.split import SplitResult, split
from subgraphs.profiles import (
    candidates,
    consent,
    erasure,
    golden,
    notices,
    projection,
    record_locks,
    review,
    tombstones,
)
from subgraphs.profiles.events import CONSENT, DECISION, ERASE, INGEST, MARKERS, SCHEMA, SPLIT, STREAM


class IdentityHandler:
    schema = SCHEMA
    stream = STREAM
    kinds: tuple[str, ...] = (INGEST, SPLIT, CONSENT, DECISION, ERASE)

    def __init__(
        self,
        graph: GraphStore,
        rules: MatchingRules,
        matching: MatchingConfig,
        graph_batch: int = 2000,
        keyring: Keyring | None = None,
    ) -> None:
        self.graph = graph
        self.rules = rules
        self.scorer = Scorer(matching.model)
        self.thresholds = matching.thresholds
        self.graph_batch = graph_batch
        """Records per Neo4j transaction: a claim's ingest events are applied in pipelined chunks of this size."""
        self.keyring = keyring
        """Keyed hashes of erased identifiers (``None``: no erasure secret, so no tombstone can exist)."""

    async def reachable(self) -> bool:
        try:
            await self.graph.read("RETURN 1")
        except SourceUnavailable:
            return False
        return True

    async def apply(self, conn: asyncpg.Connection, events: list[Event]) -> dict[int, Any]:
        oldest = events[0].id
        results: dict[int, Any] = {}
        # Consent events touch no graph: resolved after the claim's records, so ingest runs stay whole. A record's
        # ingest event precedes its consents' event, so it is applied in this claim or was in an earlier one.
        decisions = [e.id for e in events if e.kind == CONSENT]
        for run in _runs([e for e in events if e.kind != CONSENT]):
            if run[0].kind == INGEST:
                results |= await self._ingest(conn, run, oldest)
            elif run[0].kind == ERASE:
                results[run[0].id] = await erasure.erase_identity(
                    conn, self.graph, run[0], oldest, self.keyring
                )
            else:
                results[run[0].id] = await self._alone(conn, run[0], oldest)
        if decisions:
            results |= await consent.resolve(conn, decisions)
        return results

    async def _alone(self, conn: asyncpg.Connection, event: Event, oldest: int) -> Any:
        """A split or a steward's decision, in a graph transaction of its own: refused (an unknown record, nothing
        left to split from, a pair already one customer), the graph is unchanged and the mutation answers the
        error."""
        marker = (MARKERS, event.id, oldest)
        payload = event.payload
        try:
            if event.kind == DECISION:
                customers = (payload["customers"][0], payload["customers"][1])
                merge, record, identifiers = payload["merge"], payload["record"], payload["identifiers"]
                decided = await decide_pair(
                    self.graph, customers, merge, self.rules, record, marker, identifiers
                )
            else:
                result = await split(
                    self.graph, payload["customer"], payload["records"], self.rules, payload["identifiers"],
                    event=marker,
                )  # fmt: skip
        except SourceUnavailable:
            raise
        except ClientError as exc:
            return {"error": {"message": str(exc), "extensions": exc.extensions}}
        if event.kind == DECISION:
            await write_back_decision(conn, decided, self.rules)
            return decided.result
        await write_back_split(conn, result, self.rules)
        return result.result

    async def _ingest(self, conn: asyncpg.Connection, run: list[Event], oldest: int) -> dict[int, Any]:
        """Apply consecutive ingest events in chunks of ``graph_batch`` records, one Neo4j transaction each, the
        PostgreSQL write-back of a chunk running while the graph applies the next.

        The graph applies the chunks in order, each after the previous one committed, so each sees what the
        previous one left; the write-backs run in order on the claim's connection, and commit with the claim or
        not at all. A chunk's graph commit is therefore acknowledged only with every chunk before it; if the claim
        fails after a graph commit, its markers make the redelivery harmless (``oldest`` is the claim's first
        event, so no marker of an event PostgreSQL has not marked done is pruned). A chunk's candidates are read
        before the previous chunk is written back: that chunk's records join them from memory.
        """
        results: dict[int, Any] = {}
        behind: tuple[list[Event], Applied, list[ValidRecord]] | None = None
        for chunk in _chunks(run, self.graph_batch):
            batch = [(e.id, [self._matched(r) for r in e.payload["records"]]) for e in chunk]
            records = [r for _, rs in batch for r in rs]
            # Erased identifiers are screened before planning (on the claim's connection, which no write-back is
            # using at this point): a record carrying one starts a new customer instead of reviving the old one.
            rules = await tombstones.screen(conn, self.keyring, records, self.rules)
            if rules.erased:  # nor may the model compare them, find candidates by them or keep them
                batch = [(event_id, [_screened(r, rules) for r in rs]) for event_id, rs in batch]
                records = [r for _, rs in batch for r in rs]
            found = await candidates.find(conn, records)
            if behind is not None:
                found.overlay(_pending(behind[0], behind[1], behind[2]))
            customers = sorted({s.customer for s in found.stored.values()})
            graph = asyncio.create_task(
                apply_ingest(
                    self.graph, MARKERS, batch, rules, oldest, partial(self._matching, found), customers
                )
            )
            if behind is not None:
                try:
                    await write_back_ingest(conn, behind[0], behind[1], self.rules, behind[2])
                except BaseException:
                    # The claim fails: let the graph transaction end (committed or not, its markers keep a
                    # redelivery harmless) before the claim's transaction rolls back.
                    await asyncio.gather(graph, return_exceptions=True)
                    raise
            done = await graph
            results |= done.results
            behind = (chunk, done, records)
        if behind is not None:
            await write_back_ingest(conn, behind[0], behind[1], self.rules, behind[2])
        return results

    def _matched(self, data: dict[str, Any]) -> ValidRecord:
        """A record of an event, with what the model reads of it (computed here for events written before the API
        computed it)."""
        valid = ValidRecord.from_event(data)
        return valid if valid.match is not None else valid.matched(self.rules)

    def _matching(self, found: candidates.Found, batch: Sequence[ValidRecord]) -> Matching:
        """The scored pairs of ``batch`` (the records of a chunk still to apply) against each other and the stored
        candidates."""
        keys = [v.record.key for v in batch]
        matches = [v.match or v.matched(self.rules).match for v in batch]
        rows = [m.row for m in matches if m is not None]
        record_keys = [m.keys for m in matches if m is not None]
        owned = [found.owned_by(i.key for i, _ in v.identifiers) for v in batch]
        carried = [[i.key for i, _ in v.identifiers] for v in batch]
        pairs = score_batch(
            keys,
            rows,
            candidates_of(keys, record_keys, found.hits, owned, carried=carried),
            found.stored,
            self.scorer,
        )
        return Matching(pairs, self.thresholds)


def _screened(record: ValidRecord, rules: MatchingRules) -> ValidRecord:
    """``record`` with what the model reads of it recomputed when it carries an erased identifier."""
    return record.matched(rules) if any(i.key in rules.erased for i, _ in record.identifiers) else record


def _pending(
    events: Sequence[Event], done: Applied, records: Sequence[ValidRecord]
) -> dict[str, tuple[Stored, Sequence[str], Sequence[str]]]:
    """The records of an applied chunk not written back yet, as candidates: customer, columns, keys and the
    identifiers it linked (which its customer holds)."""
    outcomes = [o for e in events for o in done.results[e.id]["outcomes"]]
    return {
        v.record.key: (Stored(o["customer"], v.match.row), v.match.keys, o.get("linked", ()))
        for v, o in zip(records, outcomes, strict=True)
        if v.match is not None
    }


def _chunks(events: Sequence[Event], records: int) -> Iterator[list[Event]]:
    """Consecutive events of about ``records`` records each (an event is never cut)."""
    chunk: list[Event] = []
    size = 0
    for event in events:
        if chunk and size + len(event.payload["records"]) > records:
            yield chunk
            chunk, size = [], 0
        chunk.append(event)
        size += len(event.payload["records"])
    if chunk:
        yield chunk


def _runs(events: Sequence[Event]) -> Iterator[list[Event]]:
    """Consecutive ingest events together; each split and each erasure alone."""
    run: list[Event] = []
    for event in events:
        if event.kind == INGEST:
            run.append(event)
            continue
        if run:
            yield run
            run = []
        yield [event]
    if run:
        yield run


def _final(merges: list[tuple[str, str]]) -> dict[str, str]:
    """Each merged-away id and the customer it ends in, following merges in the order they happened."""
    into: dict[str, str] = {}
    for loser, survivor in merges:
        into[loser] = survivor
    for loser in into:
        seen = {loser}
        target = into[loser]
        while target in into and target not in seen:
            seen.add(target)
            target = into[target]
        into[loser] = target
    return into


def _split_key(key: str) -> tuple[str, str]:
    system, external_id = key.split(":", 1)
    return system, external_id


async def write_back_ingest(
    conn: asyncpg.Connection,
    events: Sequence[Event],
    done: Applied,
    rules: MatchingRules,
    records: Sequence[ValidRecord] = (),
) -> None:
    """PostgreSQL's side of applied ingest events, in the claim's transaction; ``records`` (the events' records,
    with what the model reads of them) are kept findable by later records."""
    now = datetime.now(UTC)
    changed: dict[str, tuple[int, dict[str, Any], dict[str, Any]]] = {}
    latest: dict[str, tuple[int, dict[str, Any]]] = {}
    merges: list[tuple[str, str]] = []
    claims: list[tuple[str, str, str, str, str, str, str, str | None]] = []
    for event in events:
        for record, outcome in zip(event.payload["records"], done.results[event.id]["outcomes"], strict=True):
            key = outcome["key"]
            latest[key] = (event.id, outcome)
            merges += [(loser, outcome["customer"]) for loser in outcome["merged"]]
            if outcome["status"] == "unchanged":
                continue
            changed[key] = (event.id, record, outcome)
            raw = {f"{t}:{v}": r for t, v, r in record["identifiers"]}
            system, external_id = _split_key(key)
            for linked in outcome["linked"]:
                kind, value = linked.split(":", 1)
                claims.append((system, external_id, "claim", linked, kind, value, raw[linked], None))
            for kind, value, reason in outcome["conflicts"]:
                conflict = f"{kind}:{value}"
                claims.append((system, external_id, "conflict", conflict, kind, value, raw[conflict], reason))
    into = _final(merges)
    await record_locks.lock(conn, latest, into)

    def customer(id: str) -> uuid.UUID:
        return uuid.UUID(into.get(id, id))

    if changed:
        rows = list(changed.items())
        await conn.execute(
            "UPDATE profiles.source_records s SET applied_hash = r.hash, observed_at = r.observed_at,"
            " attributes = r.attributes, blocked = r.blocked::jsonb, origin = coalesce(s.origin, r.origin)"
            " FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::text[],"
            " $7::uuid[]) AS r(system, external_id, hash, observed_at, attributes, blocked, origin)"
            " WHERE s.system = r.system AND s.external_id = r.external_id",
            [_split_key(k)[0] for k, _ in rows],
            [_split_key(k)[1] for k, _ in rows],
            [record["hash"] for _, (_, record, _) in rows],
            [datetime.fromisoformat(record["observedAt"]) for _, (_, record, _) in rows],
            [record["attributes"] for _, (_, record, _) in rows],
            # JSON lists travel as text: a list of lists would be read as a two-dimensional array.
            [
                orjson.dumps([f"{t}:{v} ({p})" for t, v, p in outcome["blocked"]]).decode()
                for _, (_, _, outcome) in rows
            ],
            [uuid.UUID(outcome["origin"]) if outcome["origin"] else None for _, (_, _, outcome) in rows],
        )
    if latest:
        rows2 = list(latest.items())
        await conn.execute(
            "UPDATE profiles.source_records s SET applied_event_id = r.event_id, customer_id = r.customer,"
            " status = r.status, outcome = r.outcome, resolved_at = $7"
            " FROM unnest($1::text[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::jsonb[])"
            " AS r(system, external_id, event_id, customer, status, outcome)"
            " WHERE s.system = r.system AND s.external_id = r.external_id",
            [_split_key(k)[0] for k, _ in rows2],
            [_split_key(k)[1] for k, _ in rows2],
            [event_id for _, (event_id, _) in rows2],
            [customer(o["customer"]) for _, (_, o) in rows2],
            [o["status"] for _, (_, o) in rows2],
            [
                {
                    "merged": o["merged"],
                    "conflicts": o["conflicts"],
                    "blocked": o["blocked"],
                    "dropped": o.get("dropped", []),
                    "method": o.get("method", "deterministic"),
                }
                for _, (_, o) in rows2
            ],
            now,
        )
    if changed:
        # A new version's claims replace the old ones: what it no longer carries, it no longer claims.
        await conn.execute(
            "DELETE FROM profiles.source_record_claims c USING unnest($1::text[], $2::text[]) AS k(s, e)"
            " WHERE c.system = k.s AND c.external_id = k.e",
            [_split_key(k)[0] for k in changed],
            [_split_key(k)[1] for k in changed],
        )
    if claims:
        await conn.execute(
            "INSERT INTO profiles.source_record_claims (system, external_id, kind, key, type, value, raw, reason)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
            " $7::text[], $8::text[]) ON CONFLICT DO NOTHING",
            *(list(column) for column in zip(*claims, strict=True)),
        )
    if into:
        await conn.execute(
            "UPDATE profiles.source_records s SET customer_id = m.survivor"
            " FROM unnest($1::uuid[], $2::uuid[]) AS m(loser, survivor) WHERE s.customer_id = m.loser",
            [uuid.UUID(loser) for loser in into],
            [uuid.UUID(survivor) for survivor in into.values()],
        )
    await review.raise_candidates(
        conn,
        (
            review.Raised(
                o["customer"],
                r["other"],
                o["key"],
                r["rule"],
                tuple(r["identifiers"]),
                tuple(r["comparisons"]),
                PROBABILISTIC,
                r["score"],
            )
            for e in events
            for o in done.results[e.id]["outcomes"]
            for r in o.get("reviews", ())
        ),
        into,
    )
    applied = {key for key, (_, record, _) in changed.items()}
    latest_records = {v.record.key: v for v in records if v.record.key in applied and v.match is not None}
    await candidates.keep(
        conn,
        [(*_split_key(key), v.match) for key, v in sorted(latest_records.items()) if v.match is not None],
    )
    customers = {into.get(c, c) for c in touched(done.results[e.id] for e in events)} - set(into)
    await golden.rewrite(conn, sorted(customers), rules, merges=into)
    await projection.replace(conn, sorted(customers | set(into)), done.links)
    await notices.changed(conn, sorted(customers), into, now)


async def write_back_split(conn: asyncpg.Connection, result: SplitResult, rules: MatchingRules) -> None:
    """PostgreSQL's side of an applied split: records to their customers, revived ids, golden records."""
    assignment: dict[str, str] = result.result["assignment"]
    if assignment:
        keys = [_split_key(k) for k in assignment]
        await conn.execute(
            "UPDATE profiles.source_records s SET customer_id = r.customer"
            " FROM unnest($1::text[], $2::text[], $3::uuid[]) AS r(system, external_id, customer)"
            " WHERE s.system = r.system AND s.external_id = r.external_id",
            [k[0] for k in keys],
            [k[1] for k in keys],
            [uuid.UUID(c) for c in assignment.values()],
        )
    customers: list[str] = result.result["customers"]
    await golden.rewrite(conn, customers, rules, revived=result.result["revived"])
    await projection.replace(conn, customers, result.links)
    await notices.split(conn, customers, datetime.now(UTC))


async def write_back_decision(conn: asyncpg.Connection, decided: Decided, rules: MatchingRules) -> None:
    """PostgreSQL's side of a steward's decision: a merge retires the loser like any merge; keeping apart changes
    no customer."""
    into: dict[str, str] = decided.result["merged"]
    customers: list[str] = decided.result["customers"]
    if into:
        await conn.execute(
            "UPDATE profiles.source_records s SET customer_id = m.survivor"
            " FROM unnest($1::uuid[], $2::uuid[]) AS m(loser, survivor) WHERE s.customer_id = m.loser",
            [uuid.UUID(loser) for loser in into],
            [uuid.UUID(survivor) for survivor in into.values()],
        )
        await golden.rewrite(conn, customers, rules, merges=into)
        await projection.replace(conn, sorted({*customers, *into}), decided.links)
    await notices.changed(conn, customers, into, datetime.now(UTC))


def identity_relay(settings: Settings, outcomes: Outcomes | None = None) -> tuple[Relay, GraphStore]:
    """A relay of the identity stream with a Neo4j driver of its own (close both when done).

    Its round trips are not counted in ``ROUND_TRIPS``: tests read that around one request, and a relay runs
    beside requests.
    """
    graph = GraphStore(
        settings, transaction_timeout=settings.relay_transaction_timeout, count_round_trips=False
    )
    relay = Relay(
        settings.dsn_for(SCHEMA),
        [
            IdentityHandler(
                graph,
                rules_at(settings.identity_rules),
                config_at(settings.matching_config),
                settings.relay_batch_records,
                keyring_or_none(settings),
            )
        ],
        budget=settings.relay_batch_records * max(1, settings.relay_pipeline),
        poll=settings.relay_poll_interval,
        max_attempts=settings.relay_max_attempts,
        outcomes=outcomes,
    )
    return relay, graph


@contextlib.asynccontextmanager
async def relaying(settings: Settings) -> AsyncIterator[Outcomes]:
    """A relay running beside a job that ingests (``c360 ingest``, evaluations): its outcomes, to wait on."""
    outcomes = Outcomes()
    relay, graph = identity_relay(settings, outcomes)
    task = asyncio.create_task(relay.run())
    try:
        yield outcomes
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await relay.close()
        await graph.close()
