"""Faults on the write path, on servers of this module's own (a PostgreSQL cluster and a Neo4j under a temporary
state directory, on free loopback ports), so killing them never touches the session's: acknowledged records
survive a PostgreSQL crash, writes are acknowledged while Neo4j is down and the backlog drains to the graph an
ordered run gives, a relay crashing anywhere loses and duplicates nothing, and the reconciler finds and repairs
hand-made drift. Every wait is bounded; the servers are stopped and removed at the end."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from neo4j import AsyncSession
from neo4j.exceptions import IncompleteCommit

from c360 import services
from c360.services import neo4j, postgres
from core import migrations
from core.settings import PROJECT_ROOT, Settings
from graph_store.driver import GraphStore
from graph_store.resolution import applied
from subgraphs.profiles import relay as identity
from subgraphs.profiles.reconcile import AlreadyAdopted, adopt_graph, reconcile
from tests import auth
from tests.conftest import GraphQL
from tests.identity.test_ingest import INGEST
from tests.outbox.checks import graph_clusters, graph_links, pg_clusters, projection
from tests.servers import Forwarder, free_port, in_process

# Servers are killed and restarted, and relay workers started as processes: slow on a busy machine, never stuck.
pytestmark = pytest.mark.timeout(900)
ACKNOWLEDGED = {"CREATED", "LINKED", "MERGED", "UNCHANGED", "ACCEPTED"}


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    base = Settings(
        _env_file=None,
        state_dir=tmp_path_factory.mktemp("faults") / "state",
        local_pg_port=free_port(),
        local_neo4j_bolt_port=free_port(),
        profile="development",
        auth_dev_secret=auth.SECRET,
        ingest_wait=60.0,
        relay_poll_interval=0.2,
    )
    pg, graph = postgres.LocalPostgres(base), neo4j.LocalNeo4j(base)
    try:
        ready = services.ensure(base)
        migrations.upgrade(ready)
        yield ready
    finally:
        graph.stop()
        pg.stop()
        shutil.rmtree(pg.data_dir.parent, ignore_errors=True)


@pytest.fixture(scope="module")
async def store(own: Settings) -> AsyncIterator[GraphStore]:
    graph = GraphStore(own)
    yield graph
    await graph.close()


def people_records(prefix: str, digits: str, people: int) -> list[dict[str, Any]]:
    """Four records per person (phone; email; both, which merges; email again), in an order that needs merges."""
    records = []
    for person in range(people):
        phone = f"13{digits}{person:06d}"
        email = f"{prefix.lower()}{person}@faults.cn"
        for n, identifiers in enumerate(
            [[("PHONE", phone)], [("EMAIL", email)], [("PHONE", phone), ("EMAIL", email)], [("EMAIL", email)]]
        ):
            records.append(
                {
                    "system": ["crm", "ecommerce", "pos", "wechat"][n],
                    "externalId": f"{prefix}-{person}-{n}",
                    "observedAt": f"2026-10-0{n + 1}T00:00:00+00:00",
                    "attributes": {"givenName": f"P{person}"},
                    "identifiers": [{"type": t, "value": v} for t, v in identifiers],
                }
            )
    return records


def batches(records: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    # Person-major order split into batches: a person's records span batches, so merges cross them.
    return [records[i : i + size] for i in range(0, len(records), size)]


def suffixes(clusters: set[frozenset[str]], prefix: str) -> set[frozenset[str]]:
    return {frozenset(r[len(prefix) :] for r in cluster) for cluster in clusters}


async def send_until_acknowledged(http: httpx.AsyncClient, batch: list[dict[str, Any]]) -> list[str]:
    """Send a batch until the API acknowledges it (an outage answers an error: the writer retries)."""
    for _ in range(400):
        try:
            response = await http.post("/graphql", json={"query": INGEST, "variables": {"records": batch}})
            body = response.json()
        except (httpx.HTTPError, ValueError):
            body = {}
        data = (body.get("data") or {}).get("ingestSourceRecords")
        if data is not None:
            assert {r["status"] for r in data["results"]} <= ACKNOWLEDGED, data
            return [f"{r['system']}:{r['externalId']}" for r in data["results"]]
        await asyncio.sleep(0.1)
    raise AssertionError("the API never acknowledged the batch")


async def drained(own: Settings) -> None:
    """Apply whatever is pending (bounded: a relay's drain stops when nothing is left)."""
    relay, graph = identity.identity_relay(own)
    try:
        for _ in range(100):
            await relay.drain()
            if await _pending(own) == 0:
                return
            await asyncio.sleep(0.2)
        raise AssertionError("the backlog did not drain")
    finally:
        await relay.close()
        await graph.close()


async def _pending(own: Settings) -> int:
    conn = await asyncpg.connect(own.database_url)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM profiles.outbox WHERE applied_at IS NULL")
        return count
    finally:
        await conn.close()


async def everything_applied(pg: asyncpg.Connection, store: GraphStore, keys: set[str]) -> None:
    """Every key is in PostgreSQL, applied, with a customer, and in the graph, resolving to that customer."""
    rows = await pg.fetch(
        "SELECT system || ':' || external_id AS key, customer_id::text AS customer,"
        " applied_event_id >= event_id AS applied FROM profiles.source_records"
        " WHERE system || ':' || external_id = ANY($1::text[])",
        sorted(keys),
    )
    assert {r["key"] for r in rows} == keys
    assert all(r["applied"] and r["customer"] for r in rows)
    in_graph = await store.read(
        "UNWIND $keys AS key MATCH (sr:SourceRecord {key: key})-[:RESOLVES_TO]->(c:Customer)"
        " RETURN key, collect(c.id) AS customers",
        keys=sorted(keys),
    )
    assert {r["key"]: r["customers"] for r in in_graph} == {r["key"]: [r["customer"]] for r in rows}


async def no_duplicates(pg: asyncpg.Connection, store: GraphStore) -> None:
    """One graph node per source record and per customer PostgreSQL knows, and no more."""
    records = (
        await store.read("MATCH (sr:SourceRecord) RETURN count(sr) AS n, count(DISTINCT sr.key) AS k")
    )[0]
    assert (
        records["n"]
        == records["k"]
        == await pg.fetchval(
            "SELECT count(*) FROM profiles.source_records WHERE applied_event_id IS NOT NULL"
        )
    )
    customers = (await store.read("MATCH (c:Customer) RETURN count(c) AS n"))[0]["n"]
    known = await pg.fetchval(
        "SELECT (SELECT count(*) FROM profiles.customers) + (SELECT count(*) FROM profiles.customer_aliases)"
    )
    assert customers == known


def _sigkill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


async def _gone(alive: Any, pid: int) -> None:
    for _ in range(300):
        if not alive(pid):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"process {pid} outlived SIGKILL")


async def kill_postgres(own: Settings) -> None:
    """SIGKILL the postmaster of this module's cluster, then start it again (crash recovery replays its WAL)."""
    local = postgres.LocalPostgres(own)
    pid = local._pid()
    assert pid is not None
    _sigkill(pid)
    await _gone(lambda p: local._pid() == p, pid)
    await asyncio.to_thread(local.ensure_running)


async def kill_neo4j(own: Settings) -> None:
    local = neo4j.LocalNeo4j(own)
    pid = local._pid()
    assert pid is not None
    _sigkill(pid)
    await _gone(local._ours, pid)
    local._pid()  # reaps it


async def test_acknowledged_records_survive_postgresql_crashes(own: Settings, store: GraphStore) -> None:
    records = people_records("PGK", "701", 15)
    rng = random.Random(14)
    acknowledged: set[str] = set()
    async with in_process(own.model_copy(update={"ingest_wait": 2.0})) as http:
        writing = asyncio.create_task(_write_all(http, batches(records, 6), acknowledged))
        for _ in range(3):
            await asyncio.sleep(rng.uniform(0.3, 1.2))
            if writing.done():
                break
            await kill_postgres(own)
        await writing
    assert len(acknowledged) == len(records)
    await drained(own)
    pg = await asyncpg.connect(own.migration_database_url)
    try:
        await everything_applied(pg, store, acknowledged)
        await no_duplicates(pg, store)
    finally:
        await pg.close()
    assert (await reconcile(own, repair=False)).total == 0


async def _write_all(
    http: httpx.AsyncClient, all_batches: list[list[dict[str, Any]]], into: set[str]
) -> None:
    for batch in all_batches:
        into.update(await send_until_acknowledged(http, batch))


async def test_writes_are_acknowledged_while_neo4j_is_down_and_drain_to_the_ordered_graph(
    own: Settings, store: GraphStore
) -> None:
    assert own.neo4j_uri is not None
    port = int(own.neo4j_uri.rsplit(":", 1)[1])
    door = Forwarder(port)  # closed: connections are refused
    down = own.model_copy(update={"neo4j_uri": f"bolt://127.0.0.1:{door.port}", "ingest_wait": 2.0})
    faulted, ordered = people_records("NDF", "702", 10), people_records("NDO", "703", 10)
    try:
        async with in_process(down) as http:
            statuses = []
            for batch in batches(faulted, 8)[:3]:
                body = (
                    await http.post("/graphql", json={"query": INGEST, "variables": {"records": batch}})
                ).json()
                statuses += [r["status"] for r in body["data"]["ingestSourceRecords"]["results"]]
            assert statuses == ["ACCEPTED"] * len(statuses)  # 100 % acknowledged, none resolved
            ready = (await http.get("/readyz")).json()
            assert (ready["status"], ready["checks"]["neo4j"]) == ("degraded", "unavailable")
            assert ready["outbox"]["profiles"]["backlog"] == 3
            assert 'c360_outbox_backlog_events{subgraph="profiles"} 3.0' in (await http.get("/metrics")).text
            outcomes = await GraphQL(http).data(
                "query($r: [SourceRecordRef!]!) { ingestOutcomes(records: $r) { status } }",
                r=[{"system": r["system"], "externalId": r["externalId"]} for r in faulted[:2]],
            )
            assert outcomes["ingestOutcomes"] == [{"status": "ACCEPTED"}] * 2
            await door.open()  # Neo4j is back: the relay of this process drains the backlog by itself
            for _ in range(300):
                if (await http.get("/readyz")).json()["outbox"]["profiles"]["backlog"] == 0:
                    break
                await asyncio.sleep(0.1)
            assert (await http.get("/readyz")).json()["outbox"]["profiles"]["backlog"] == 0
            # Now the server is killed inside a relay's transaction, its last write sent and its commit to come,
            # while writes go on: the relay cannot know whether the graph committed.
            killed = asyncio.Event()
            original = applied.write

            async def kill_inside(*args: Any) -> None:
                await original(*args)
                if not killed.is_set():
                    killed.set()
                    await kill_neo4j(own)

            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(applied, "write", kill_inside)
                for batch in batches(faulted, 8)[3:]:
                    await send_until_acknowledged(http, batch)
                # Acknowledged may precede the relay's claim: wait for it (bounded polls, not a timing).
                for _ in range(6000):
                    if killed.is_set():
                        break
                    await asyncio.sleep(0.05)
                assert killed.is_set()
                await asyncio.to_thread(neo4j.LocalNeo4j(own).ensure_running)
            for batch in batches(ordered, 8):
                await send_until_acknowledged(http, batch)
    finally:
        await door.close()
    await drained(own)
    assert suffixes(await graph_clusters(store, "NDF"), "NDF") == suffixes(
        await graph_clusters(store, "NDO"), "NDO"
    )
    assert len(await graph_clusters(store, "NDO")) == 10
    conn = await asyncpg.connect(own.migration_database_url)
    try:
        assert suffixes(await pg_clusters(conn, "NDF"), "NDF") == suffixes(
            await graph_clusters(store, "NDO"), "NDO"
        )
        await no_duplicates(conn, store)
    finally:
        await conn.close()
    assert (await reconcile(own, repair=False)).total == 0


async def test_a_relay_crashing_after_the_graph_commit_is_harmless(own: Settings, store: GraphStore) -> None:
    """The write-back fails once after the graph committed (the window between the stores): the redelivery finds
    the graph's marker and answers the first outcome (CREATED, not UNCHANGED), creating nothing twice."""
    failed = asyncio.Event()
    original = identity.write_back_ingest

    async def crash_once(*args: Any) -> None:
        if not failed.is_set():
            failed.set()
            raise RuntimeError("crash between the graph commit and the write-back")
        await original(*args)

    records = people_records("CRW", "704", 2)
    # The request waits for the outcome up to a second before its deadline: a deadline far above the relay's first
    # claims (a busy machine, a graph just started) keeps it from answering ACCEPTED before the crash happens.
    async with in_process(own.model_copy(update={"request_timeout": 60.0})) as http:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(identity, "write_back_ingest", crash_once)
            body = (
                await http.post("/graphql", json={"query": INGEST, "variables": {"records": records}})
            ).json()
    results = body["data"]["ingestSourceRecords"]["results"]
    assert failed.is_set()
    assert [r["status"] for r in results[:4]] == ["CREATED", "CREATED", "MERGED", "LINKED"]
    conn = await asyncpg.connect(own.migration_database_url)
    try:
        event = await conn.fetchrow(
            "SELECT attempts, last_error FROM profiles.outbox WHERE payload->'records'->0->>'externalId' = $1",
            records[0]["externalId"],
        )
        assert (event["attempts"], event["last_error"]) == (2, "RuntimeError")
        await no_duplicates(conn, store)
        assert suffixes(await pg_clusters(conn, "CRW"), "CRW") == {
            frozenset({f"-{p}-{n}" for n in range(4)}) for p in range(2)
        }
    finally:
        await conn.close()
    assert (await reconcile(own, repair=False)).total == 0


async def test_a_killed_relay_worker_loses_and_duplicates_nothing(own: Settings, store: GraphStore) -> None:
    """A backlog applied by a `c360 relay` worker, SIGKILLed mid-drain; a second worker finishes it."""
    records = people_records("KRW", "705", 150)
    quiet = own.model_copy(update={"relay_in_process": False, "ingest_wait": 0.0})
    keys: set[str] = set()
    async with in_process(quiet) as http:
        for batch in batches(records, 40):
            keys.update(await send_until_acknowledged(http, batch))
    total = await _pending(own)
    assert total == 15
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_")} | {
        "C360_DATABASE_URL": own.database_url or "",
        "C360_NEO4J_URI": own.neo4j_uri or "",
        "C360_NEO4J_PASSWORD": own.neo4j_password or "",
        "C360_STATE_DIR": str(own.state_dir),
        "C360_RELAY_BATCH_RECORDS": "40",  # one event per claim: many claims to die in
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "c360", "relay", cwd=PROJECT_ROOT, env=env
    )
    try:
        # A bound on polls, not a timing: the worker's start-up may be slow on a busy machine.
        for _ in range(6000):
            left = await _pending(own)
            if left <= total - 3 or worker.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert worker.returncode is None, "the worker stopped by itself"
        assert 0 < left < total, "the worker was not killed mid-drain"
        worker.send_signal(signal.SIGKILL)
        await asyncio.wait_for(worker.wait(), 30)
    finally:
        if worker.returncode is None:
            worker.kill()
            await asyncio.wait_for(worker.wait(), 30)
    second = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "c360", "relay", "--drain", cwd=PROJECT_ROOT, env=env
    )
    assert await asyncio.wait_for(second.wait(), 300) == 0
    assert await _pending(own) == 0
    conn = await asyncpg.connect(own.migration_database_url)
    try:
        await everything_applied(conn, store, keys)
        await no_duplicates(conn, store)
    finally:
        await conn.close()
    assert len(await graph_clusters(store, "KRW")) == 150
    assert (await reconcile(own, repair=False)).total == 0


async def _snapshot(conn: asyncpg.Connection, store: GraphStore) -> dict[str, Any]:
    customers = {str(r["id"]) for r in await conn.fetch("SELECT id FROM profiles.customers")}
    return {
        "links": await graph_links(store, customers),
        "projection": await projection(conn, customers),
        "records": {
            r["key"]: r["customer"]
            for r in await store.read(
                "MATCH (sr:SourceRecord)-[:RESOLVES_TO]->(c:Customer) RETURN sr.key AS key, c.id AS customer"
            )
        },
        "live": {
            r["id"]
            for r in await store.read("MATCH (c:Customer) WHERE c.mergedInto IS NULL RETURN c.id AS id")
        },
        "golden": customers,
    }


async def test_the_reconciler_finds_and_repairs_drift_made_by_hand(own: Settings, store: GraphStore) -> None:
    async with in_process(own) as http:
        for batch in batches(people_records("DRF", "706", 12), 8):
            await send_until_acknowledged(http, batch)
    assert (await reconcile(own)).total == 0
    conn = await asyncpg.connect(own.migration_database_url)
    try:
        before = await _snapshot(conn, store)
        people = [
            await conn.fetchval(
                "SELECT customer_id::text FROM profiles.source_records WHERE external_id = $1", f"DRF-{p}-0"
            )
            for p in range(12)
        ]
        # Graph: three customers deleted with their edges, four bogus links, two source records deleted.
        gone, bogus, lost = people[0:3], people[3:7], ["crm:DRF-7-0", "ecommerce:DRF-8-1"]
        gone_links = await conn.fetchval(
            "SELECT count(*) FROM profiles.customer_identifiers WHERE customer_id = ANY($1::uuid[])", gone
        )
        gone_records = await conn.fetchval(
            "SELECT count(*) FROM profiles.source_records WHERE customer_id = ANY($1::uuid[])", gone
        )
        await store.write("UNWIND $ids AS id MATCH (c:Customer {id: id}) DETACH DELETE c", ids=gone)
        await store.write(
            """
            UNWIND $ids AS id MATCH (c:Customer {id: id}), (i:Identifier {key: 'email:drf11@faults.cn'})
            CREATE (c)-[:HAS_IDENTIFIER {source: 'bogus', observedAt: datetime(), rule: 'exact'}]->(i)
            """,
            ids=bogus,
        )
        await store.write(
            "UNWIND $keys AS key MATCH (sr:SourceRecord {key: key}) DETACH DELETE sr", keys=lost
        )
        # PostgreSQL: a golden record deleted, projection rows deleted, a bogus one added, one moved.
        await conn.execute("DELETE FROM profiles.customers WHERE id = $1::uuid", people[9])
        await conn.execute(
            "DELETE FROM profiles.customer_identifiers WHERE customer_id = $1::uuid AND key LIKE 'phone:%'",
            people[10],
        )
        await conn.execute(
            "INSERT INTO profiles.customer_identifiers (customer_id, key, type, value, source, observed_at, rule)"
            " VALUES ($1::uuid, 'email:nobody@faults.cn', 'email', 'nobody@faults.cn', 'bogus', now(), 'exact')",
            people[11],
        )
        await conn.execute(
            "UPDATE profiles.customer_identifiers SET customer_id = $2::uuid"
            " WHERE customer_id = $1::uuid AND key LIKE 'email:%'",
            people[8],
            people[11],
        )

        found = await reconcile(own)
        assert found.counts["missing_customer_nodes"] == 3
        assert found.counts["missing_links"] == gone_links
        assert found.counts["stale_source_records"] == gone_records
        assert found.counts["extra_links"] == 4
        assert found.counts["missing_source_records"] == 2
        assert found.counts["missing_golden_records"] == 1
        assert found.counts["stale_projections"] == 4  # 1 deleted + 1 bogus + 1 moved (away and onto)
        assert found.total == 3 + gone_links + gone_records + 4 + 2 + 1 + 4
        assert (await reconcile(own)).total == 0
        assert await _snapshot(conn, store) == before
    finally:
        await conn.close()


async def test_several_relays_apply_each_event_once_in_order(own: Settings, store: GraphStore) -> None:
    records = people_records("MRL", "707", 30)
    quiet = own.model_copy(update={"relay_in_process": False, "ingest_wait": 0.0})
    async with in_process(quiet) as http:
        for batch in batches(records, 10):
            await send_until_acknowledged(http, batch)
    relays = [identity.identity_relay(own.model_copy(update={"relay_batch_records": 20})) for _ in range(3)]
    try:
        await asyncio.gather(*(relay.drain() for relay, _ in relays))
    finally:
        for relay, graph in relays:
            await relay.close()
            await graph.close()
    conn = await asyncpg.connect(own.migration_database_url)
    try:
        attempts = await conn.fetch(
            "SELECT attempts FROM profiles.outbox WHERE payload->'records'->0->>'externalId' LIKE 'MRL-%'"
        )
        assert [r["attempts"] for r in attempts] == [1] * 12  # each event applied once, by one of the relays
        await no_duplicates(conn, store)
    finally:
        await conn.close()
    assert len(await graph_clusters(store, "MRL")) == 30
    assert (await reconcile(own, repair=False)).total == 0


async def test_a_graph_written_before_the_outbox_is_adopted_once(own: Settings, store: GraphStore) -> None:
    """An upgrade: identity data in the graph only (here: PostgreSQL's copies emptied by hand) are copied into
    PostgreSQL once, after which the stores agree and the projection answers the hot reads."""
    async with in_process(own) as http:
        for batch in batches(people_records("ADG", "708", 6), 8):
            await send_until_acknowledged(http, batch)
    conn = await asyncpg.connect(own.migration_database_url)
    try:
        customers = {str(r["id"]) for r in await conn.fetch("SELECT id FROM profiles.customers")}
        links = await graph_links(store, customers)
        await conn.execute(
            "TRUNCATE profiles.source_records, profiles.source_record_claims, profiles.customer_identifiers"
        )
        copied = await adopt_graph(own)
        assert copied["source_records"] == await conn.fetchval("SELECT count(*) FROM profiles.source_records")
        assert copied["links"] == len(links)
        assert await projection(conn, customers) == links
        assert (await reconcile(own, repair=False)).total == 0
        with pytest.raises(AlreadyAdopted):
            await adopt_graph(own)
    finally:
        await conn.close()


async def test_an_incomplete_commit_is_retried_as_unknown(own: Settings, store: GraphStore) -> None:
    """The graph committed but the answer was lost (`IncompleteCommit`): the relay cannot know, so it retries as
    after an outage; the marker makes the retry answer the first outcome and create nothing twice."""
    lost = asyncio.Event()
    original = AsyncSession.execute_write

    async def commit_then_lose(self: AsyncSession, work: Any, *args: Any, **kwargs: Any) -> Any:
        result = await original(self, work, *args, **kwargs)
        if not lost.is_set():
            lost.set()
            raise IncompleteCommit("the connection closed after COMMIT was sent")
        return result

    records = people_records("INC", "709", 2)
    first = [{"system": r["system"], "externalId": r["externalId"]} for r in records[:4]]
    expected = ["CREATED", "CREATED", "MERGED", "LINKED"]
    async with in_process(own) as http:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(AsyncSession, "execute_write", commit_then_lose)
            body = (
                await http.post("/graphql", json={"query": INGEST, "variables": {"records": records}})
            ).json()
            answered = [r["status"] for r in body["data"]["ingestSourceRecords"]["results"][:4]]
            # While the relay holds the outcome unknown it counts Neo4j as out, and a waiting call answers
            # ACCEPTED at once: which of the two a call sees depends on when its wait looks, so both are right.
            assert answered in (expected, ["ACCEPTED"] * 4)
            for _ in range(600):  # the relay of this process retries by itself (bounded by count, not timed)
                if (await http.get("/readyz")).json()["outbox"]["profiles"]["backlog"] == 0:
                    break
                await asyncio.sleep(0.1)
            outcomes = await GraphQL(http).data(
                "query($r: [SourceRecordRef!]!) { ingestOutcomes(records: $r) { status } }", r=first
            )
    assert lost.is_set()
    assert [o["status"] for o in outcomes["ingestOutcomes"]] == expected
    conn = await asyncpg.connect(own.migration_database_url)
    try:
        event = await conn.fetchrow(
            "SELECT attempts, last_error FROM profiles.outbox WHERE payload->'records'->0->>'externalId' = $1",
            records[0]["externalId"],
        )
        assert (event["attempts"], event["last_error"]) == (2, "SourceUnavailable(neo4j)")
        await no_duplicates(conn, store)
    finally:
        await conn.close()
    assert (await reconcile(own, repair=False)).total == 0
