"""The write path on the session's stores: a record is committed with its event before the answer, the relay records
what it applied, the projection of identifiers equals the graph after every write, outcomes can be asked later."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import httpx

from c360.ingest_file import ingest_file
from core import outbox
from core.settings import Settings
from graph_store.driver import GraphStore
from tests.conftest import FreshCustomers, GraphQL
from tests.identity.test_ingest import ingest, phone, record, unique
from tests.identity.test_unmerge import UNMERGE
from tests.outbox.checks import graph_links, projection

OUTCOMES = """query($records: [SourceRecordRef!]!) { ingestOutcomes(records: $records) {
  system externalId status customer { id } mergedCustomerIds errors { field } } }"""


async def test_an_accepted_record_is_committed_with_its_event_and_its_outcome(
    gql: GraphQL, pg: asyncpg.Connection
) -> None:
    rec = record("crm", unique("OB"), [("PHONE", phone())], given_name="Bo", family_name="Ou")
    out = (await ingest(gql, rec))["results"][0]
    assert out["status"] == "CREATED"
    row = await pg.fetchrow(
        "SELECT payload, event_id, applied_event_id, status, customer_id::text AS customer"
        " FROM profiles.source_records WHERE system = 'crm' AND external_id = $1",
        rec["externalId"],
    )
    assert json.loads(row["payload"])["externalId"] == rec["externalId"]
    assert (row["applied_event_id"], row["status"], row["customer"]) == (
        row["event_id"],
        "created",
        out["customer"]["id"],
    )
    event = await pg.fetchrow(
        "SELECT kind, aggregate, size, applied_at, attempts, last_error, result FROM profiles.outbox WHERE id = $1",
        row["event_id"],
    )
    assert (event["kind"], event["aggregate"], event["size"], event["attempts"]) == (
        "identity.ingest",
        "identity",
        1,
        1,
    )
    assert event["applied_at"] is not None
    assert event["last_error"] is None
    [applied] = json.loads(event["result"])["outcomes"]
    assert (applied["key"], applied["status"], applied["customer"]) == (
        f"crm:{rec['externalId']}",
        "created",
        out["customer"]["id"],
    )
    golden = await pg.fetchval(
        "SELECT full_name FROM profiles.customers WHERE id = $1::uuid", applied["customer"]
    )
    assert golden == "Bo Ou"


async def test_outcomes_of_the_latest_version_can_be_asked_later(gql: GraphQL) -> None:
    p = phone()
    first = record("pos", unique("OQ"), [("PHONE", p)])
    second = record("wechat", unique("OQ"), [("PHONE", p)])
    created = (await ingest(gql, first, second))["results"]
    assert [r["status"] for r in created] == ["CREATED", "LINKED"]
    again = dict(first, attributes={"gender": "robot"})  # the same record, now invalid
    assert (await ingest(gql, again))["results"][0]["status"] == "REJECTED"
    refs = [{"system": r["system"], "externalId": r["externalId"]} for r in (first, second)]
    found = (await gql.data(OUTCOMES, records=[*refs, {"system": "pos", "externalId": "never-sent"}]))[
        "ingestOutcomes"
    ]
    assert found[0]["status"] == "REJECTED"
    assert found[0]["errors"] == [{"field": "attributes.gender"}]
    assert (found[1]["status"], found[1]["customer"]["id"]) == ("LINKED", created[1]["customer"]["id"])
    assert found[2] is None


async def test_the_projection_equals_the_graph_after_every_write_path(
    gql: GraphQL, pg: asyncpg.Connection, graph: GraphStore, fresh: FreshCustomers
) -> None:
    """Create, link (also to a seeded customer, whose links came without a source record), merge, split."""
    # An unrelated seeded customer with a phone (not every generated customer has one) that no record was refused
    # before (earlier tests may have claimed it): such a phone is known to be shared and links no nameless record.
    phones = await pg.fetch(
        "SELECT customer_id::text AS customer, value, key FROM profiles.customer_identifiers"
        " WHERE customer_id = ANY($1::uuid[]) AND type = 'phone' ORDER BY customer_id",
        fresh.ids,
    )
    disputed = {
        r["key"]
        for r in await graph.read(
            "UNWIND $keys AS key MATCH (i:Identifier {key: key})"
            " WHERE EXISTS { (i)<-[:CONFLICTS]-(:SourceRecord) } RETURN key",
            keys=[p["key"] for p in phones],
        )
    }
    phones = [p for p in phones if p["key"] not in disputed]
    assert phones
    seeded, seeded_phone = phones[0]["customer"], phones[0]["value"]
    fresh.ids.remove(seeded)
    p, email = phone(), f"{unique('proj')}@shop.cn"
    a = await ingest(gql, record("crm", unique("PJ"), [("PHONE", p)], observedAt="2026-09-01T00:00:00+00:00"))
    c = await ingest(gql, record("wechat", unique("PJ"), [("EMAIL", email)]))
    bridge = record("pos", unique("PJ"), [("PHONE", p), ("EMAIL", email)])
    merged = (await ingest(gql, bridge))["results"][0]
    linked = await ingest(
        gql, record("app", unique("PJ"), [("PHONE", seeded_phone), ("DEVICE_ID", unique("d"))])
    )
    customers = {
        a["results"][0]["customer"]["id"],
        c["results"][0]["customer"]["id"],
        merged["customer"]["id"],
        linked["results"][0]["customer"]["id"],
        seeded,
    }
    assert merged["status"] == "MERGED"
    assert linked["results"][0]["status"] == "LINKED"
    assert linked["results"][0]["customer"]["id"] == seeded
    assert await projection(pg, customers) == await graph_links(graph, customers)

    split = await gql.data(
        UNMERGE,
        input={
            "customerId": merged["customer"]["id"],
            "sourceRecords": [{"system": "pos", "externalId": bridge["externalId"]}],
        },
    )
    parts = {p["id"] for p in split["unmergeCustomer"]["customers"]}
    assert len(parts) == 3
    assert await projection(pg, customers | parts) == await graph_links(graph, customers | parts)
    # The merged-away customer is a customer again in PostgreSQL too, with its own golden record.
    assert c["results"][0]["customer"]["id"] in parts
    assert not await pg.fetchval(
        "SELECT count(*) FROM profiles.customer_aliases WHERE alias_id = $1::uuid",
        c["results"][0]["customer"]["id"],
    )


async def test_a_nul_character_is_rejected_and_kept_for_review(
    settings: Settings, pg: asyncpg.Connection, tmp_path: Path
) -> None:
    """The API refuses NUL in any string (BAD_REQUEST); a file may carry one: that record is rejected and kept,
    since PostgreSQL stores no NUL, and the rest of the batch is ingested."""
    external_id = unique("NUL")
    lines = [
        {"externalId": external_id, "observedAt": "2026-10-01T10:00:00Z", "attributes": {"given_name": "Z\x00hang"},
         "identifiers": [{"type": "phone", "value": phone()}]},
        {"externalId": unique("NUL"), "observedAt": "2026-10-01T10:00:00Z", "identifiers": [{"type": "phone", "value": phone()}]},
    ]  # fmt: skip
    path = tmp_path / "nul.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    summary = await ingest_file(settings, path, "crm", batch_size=10)
    assert summary.counts == {"rejected": 1, "created": 1}
    kept = await pg.fetchrow(
        "SELECT errors, payload FROM profiles.rejected_records WHERE external_id = $1", external_id
    )
    assert json.loads(kept["errors"])[0]["field"] == "attributes.given_name"
    assert json.loads(kept["payload"])["attributes"]["given_name"] == "Z\ufffdhang"


async def test_the_backlog_shows_in_metrics_and_readiness(
    client: httpx.AsyncClient, pg: asyncpg.Connection
) -> None:
    """An event no relay handles yet (tickets emits none so far) stays pending: it counts, with its age."""
    event_id = await pg.fetchval(
        "INSERT INTO tickets.outbox (kind, aggregate, payload, created_at) VALUES"
        " ('test.pending', 'test', '{}'::jsonb, now() - interval '1 hour') RETURNING id"
    )
    try:
        metrics = (await client.get("/metrics")).text
        assert 'c360_outbox_backlog_events{subgraph="tickets"} 1.0' in metrics
        age = next(
            float(line.split()[-1])
            for line in metrics.splitlines()
            if line.startswith('c360_outbox_oldest_pending_seconds{subgraph="tickets"}')
        )
        assert age >= 3600
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "degraded"
        assert body["outbox"]["tickets"]["backlog"] == 1
        assert body["outbox"]["tickets"]["oldestPendingSeconds"] >= 3600
    finally:
        await pg.execute("DELETE FROM tickets.outbox WHERE id = $1", event_id)
    assert (await client.get("/readyz")).json()["outbox"]["tickets"]["backlog"] == 0


def test_notices_fit_postgresql_limits() -> None:
    notices = outbox.applied_notices(range(10_000_000, 10_002_000))
    assert all(len(n.encode()) < 8000 for n in notices)
    assert sum(len(n.split(",")) for n in notices) == 2000
