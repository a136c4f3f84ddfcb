"""Erasure through the public API, on the session's PostgreSQL and Neo4j: two subjects with a footprint in every
store; one erased by an uninterrupted job, the other by a job that crashes in its identity step and whose worker
is killed twice; both leave nothing behind and end alike, and no one else's data changes."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from core.settings import PROJECT_ROOT, Settings
from graph_store.driver import GraphStore
from jobs import erasure as worker
from subgraphs.profiles import erasure_jobs
from subgraphs.profiles.reconcile import reconcile
from tests import auth
from tests.conftest import ERASURE_SECRET, SESSION_LOG, FreshCustomers, GraphQL
from tests.erasure import stores
from tests.erasure.subjects import (
    ADMIN,
    AGENT,
    ERASE,
    INTEGRATION,
    PRIVACY,
    Subject,
    ingest,
    job,
    make,
    new_subject,
    wait_for,
)

STEPS = ["identity", "orders", "tickets", "interactions", "profiles", "audit", "seal"]


@pytest.fixture(scope="module")
async def subjects(
    gql: GraphQL, pg: asyncpg.Connection, fresh: FreshCustomers, owner_settings: Settings
) -> dict[str, Subject]:
    await worker.run(owner_settings, drain=True)  # no step of an earlier job left for the counts below
    made = {}
    for name in ("x", "y"):
        subject = new_subject(f"er{name}")
        SESSION_LOG.watch(subject.values())  # the session fails if any of them reaches a log line
        member, referrer = fresh.take(2)
        made[name] = await make(gql, pg, subject, (member, referrer))
    await _idle(pg)
    return made


async def _idle(pg: asyncpg.Connection) -> None:
    """Wait until every identity event is applied (the session's relay does it), so snapshots hold still."""
    for _ in range(600):
        if not await pg.fetchval(
            "SELECT count(*) FROM profiles.outbox WHERE applied_at IS NULL AND failed_at IS NULL"
            " AND kind LIKE 'identity.%'"
        ):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("identity events stay pending")


async def _erase(gql: GraphQL, customer: str, key: str | None = None) -> dict[str, Any]:
    response = await gql.http.post(
        "/graphql", json={"query": ERASE, "variables": {"i": {"customerId": customer, "idempotencyKey": key}}},
        headers=PRIVACY,
    )  # fmt: skip
    body: dict[str, Any] = response.json()
    return body


async def _residue(pg: asyncpg.Connection, graph: GraphStore, subject: Subject) -> list[str]:
    values = [*subject.values(), *subject.ids()]
    return [
        *await stores.postgres_residue(pg, values),
        *await stores.graph_residue(graph, values),
        *(f"log: {line}" for line in SESSION_LOG.holding(values)),
    ]


def _outcome(found: dict[str, Any]) -> list[tuple[str, str, dict[str, int]]]:
    return [(s["name"], s["state"], {c["name"]: c["count"] for c in s["counts"]}) for s in found["steps"]]


EXPECTED = {
    # 9 identifiers, 8 only the subject held (the other person split off still holds the household's phone), and 2
    # ids; a merge with the link of the record that bridged it, two links (a record of its own, the other person's
    # record by the household's phone) and a split about it, the split-off customer's split event and record origin naming it; a household,
    # a referral, an account contact and the split in relationships
    "identity": {"golden_records": 1, "aliases": 1, "source_records": 4, "source_records_reset": 0, "claims": 12,
                 "identifiers": 9, "consents": 2, "origins_forgotten": 1, "tombstones": 10, "graph_customers": 2,
                 "graph_records": 4, "graph_events": 5, "graph_renamed": 1, "graph_origins": 1,
                 "graph_relationships": 4, "graph_households": 1, "graph_identifiers": 8},
    "orders": {"orders_restricted": 2, "outbox_events": 2},
    "tickets": {"tickets_restricted": 1, "comments": 1, "history": 3, "idempotency_keys": 2, "outbox_events": 3},
    "interactions": {"interactions": 2, "idempotency_keys": 2, "outbox_events": 2},
    # 4 ingests of its records, the other person's (linked to it), the split, 2 consents, the erase event itself
    "profiles": {"rejected_records": 1, "outbox_events": 9},
    "seal": {"audit_records_late": 0, "late_rows": 0},
}  # fmt: skip
"""What erasing a subject made by ``subjects.make`` changes, step by step."""
FINISHED: dict[str, dict[str, Any]] = {}
"""The uninterrupted job of subject x, for the interrupted one to be compared with."""


async def test_an_uninterrupted_job_leaves_nothing_of_the_subject_and_no_one_else_changes(
    gql: GraphQL,
    pg: asyncpg.Connection,
    graph: GraphStore,
    owner_settings: Settings,
    settings: Settings,
    subjects: dict[str, Subject],
) -> None:
    x = subjects["x"]
    found = await _residue(pg, graph, x)
    for value in x.values():  # the search is not vacuous: every value is somewhere before
        assert any(value in line for line in found), value
    drift = (await reconcile(settings, repair=False)).counts  # other tests leave golden records without nodes
    before = await stores.snapshot(pg, graph)

    first = await _erase(gql, x.customer, key=f"{x.tag}-erase")
    assert first["data"]["eraseCustomer"]["started"] is True, first
    job_id = first["data"]["eraseCustomer"]["job"]["id"]
    assert await _erase(gql, x.customer, key=f"{x.tag}-erase") == first  # a replay answers the same
    again = (await _erase(gql, x.alias))["data"]["eraseCustomer"]  # the same person, under way: that job
    assert (again["started"], again["job"]["id"]) == (False, job_id)

    running = await wait_for(gql, job_id, "RUNNING")
    assert [s["state"] for s in running["steps"]] == ["DONE"] + ["PENDING"] * 6
    assert await gql.data(f'{{ customer(id: "{x.customer}") {{ id }} }}') == {"customer": None}
    assert await worker.run(owner_settings, drain=True) == 6  # the worker runs the six other steps, one each
    done = await job(gql, job_id)
    assert (done["state"], done["errors"], [s["name"] for s in done["steps"]]) == ("DONE", [], STEPS)
    assert all(s["state"] == "DONE" and s["attempts"] == 1 for s in done["steps"][1:])
    by_step = {step: counts for step, _, counts in _outcome(done)}
    for step, expected in EXPECTED.items():
        assert {k: by_step[step].get(k) for k in expected} == expected, step
    assert by_step["audit"]["audit_records"] >= 10  # the subject's ingests, writes and audited reads
    assert by_step["identity"]["match_keys"] >= 4  # the blocking keys of every record of the subject
    FINISHED["x"] = done

    assert await _residue(pg, graph, x) == []
    assert stores.changes(before, await stores.snapshot(pg, graph), x.needles()) == []
    assert (await reconcile(settings, repair=False)).counts == drift  # the stores agree on the erasure


async def test_restricted_rows_show_only_to_the_roles_the_policy_names(
    gql: GraphQL, subjects: dict[str, Subject]
) -> None:
    x = subjects["x"]
    assert FINISHED, "runs after the erasure of x"
    order, ticket = x.orders[0], x.tickets[0]
    read = f"""{{ order(id: "{order}") {{ id restricted customer {{ id }} items {{ sku }} }}
      ticket(id: "{ticket}") {{ id restricted subject description comments {{ id }} status customer {{ id }} }}
      orders(first: 100, filter: {{placedAfter: "2026-10-11T00:00:00Z", placedBefore: "2026-10-13T00:00:00Z"}}) {{
        nodes {{ id restricted }} }} }}"""
    kept = (await gql.http.post("/graphql", json={"query": read}, headers=PRIVACY)).json()["data"]
    assert kept["order"] == {
        "id": str(order),
        "restricted": True,
        "customer": None,
        "items": [{"sku": "SKU-TEA"}],
    }
    assert kept["ticket"] == {"id": str(ticket), "restricted": True, "subject": "", "description": "",
                              "comments": [], "status": "OPEN", "customer": None}  # fmt: skip
    assert {str(o) for o in x.orders} <= {n["id"] for n in kept["orders"]["nodes"] if n["restricted"]}
    hidden = (await gql.http.post("/graphql", json={"query": read}, headers=AGENT)).json()["data"]
    assert (hidden["order"], hidden["ticket"]) == (None, None)
    assert {str(o) for o in x.orders}.isdisjoint(n["id"] for n in hidden["orders"]["nodes"])
    # A source system sending the order again cannot replace it (nor give it a customer); its status still moves.
    resend = {"system": "shop", "externalId": f"{x.tag}-order-1", "customer": {"id": x.neighbours[0]},
              "channel": "ONLINE", "placedAt": "2026-10-11T10:00:00Z",
              "items": [{"sku": "SKU-TEA", "name": "Tea", "quantity": 9, "unitPrice": "1.00"}]}  # fmt: skip
    refused = await gql.http.post(
        "/graphql",
        json={"query": "mutation($o: [IngestOrderInput!]!) { ingestOrders(orders: $o) { results { outcome error "
              "{ code } } } }", "variables": {"o": [resend]}},
        headers=INTEGRATION,
    )  # fmt: skip
    assert refused.json()["data"]["ingestOrders"]["results"] == [
        {"outcome": "REJECTED", "error": {"code": "RESTRICTED"}}
    ]
    moved = await gql.http.post(
        "/graphql",
        json={"query": f'mutation {{ updateOrderStatus(input: {{system: "shop", externalId: "{x.tag}-order-1", '
              "status: CANCELLED}) { changed } }"},
        headers=INTEGRATION,
    )  # fmt: skip
    assert moved.json()["data"]["updateOrderStatus"] == {"changed": True}
    status = await gql.http.post("/graphql", json={"query": f'{{ order(id: "{order}") {{ status customer {{ id }} }} }}'},
                                 headers=PRIVACY)  # fmt: skip
    assert status.json()["data"]["order"] == {"status": "CANCELLED", "customer": None}
    for headers, code in (
        (AGENT, "NOT_FOUND"),
        (ADMIN, "RESTRICTED"),
    ):  # out of sight, or in sight but kept as is
        response = await gql.http.post(
            "/graphql",
            json={"query": f'mutation {{ addTicketComment(input: {{ticketId: "{ticket}", body: "x"}}) {{ replayed }} }}'},
            headers=headers,
        )  # fmt: skip
        assert [e["extensions"]["code"] for e in response.json()["errors"]] == [code]


async def test_erasing_an_erased_or_unknown_customer_answers_a_coded_error(
    gql: GraphQL, subjects: dict[str, Subject]
) -> None:
    x = subjects["x"]
    assert FINISHED, "runs after the erasure of x"
    for customer in x.ids():
        [error] = (await _erase(gql, customer))["errors"]
        assert error["extensions"] == {"code": "ALREADY_ERASED", "jobId": FINISHED["x"]["id"]}
    [error] = (await _erase(gql, str(uuid.uuid4())))["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_other_roles_are_refused_and_change_nothing(
    gql: GraphQL, pg: asyncpg.Connection, subjects: dict[str, Subject]
) -> None:
    y = subjects["y"]
    jobs = await pg.fetchval("SELECT count(*) FROM profiles.erasure_jobs")
    for role in ("agent", "sales", "marketing", "steward", "integration", "developer"):
        headers = auth.headers((role,))
        for query, variables in (
            (ERASE, {"i": {"customerId": y.customer}}),
            ("query($id: ID!) { erasureJob(id: $id) { id } }", {"id": FINISHED["x"]["id"]}),
        ):
            body = (
                await gql.http.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
            ).json()
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], (role, body)
    assert await pg.fetchval("SELECT count(*) FROM profiles.erasure_jobs") == jobs
    assert (await gql.data(f'{{ customer(id: "{y.customer}") {{ id }} }}'))["customer"] == {"id": y.customer}


def _worker_env(settings: Settings) -> dict[str, str]:
    owner = settings.as_owner()
    return {k: v for k, v in os.environ.items() if not k.startswith("C360_")} | {
        "C360_DATABASE_URL": settings.database_url or "",
        "C360_MIGRATION_DATABASE_URL": owner.database_url or "",
        "C360_NEO4J_URI": settings.neo4j_uri or "",
        "C360_NEO4J_PASSWORD": settings.neo4j_password or "",
        "C360_STATE_DIR": str(settings.state_dir),
        "C360_ERASURE_SECRET": ERASURE_SECRET.get_secret_value(),
    }


async def _worker(settings: Settings, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *args,
        cwd=PROJECT_ROOT,
        env=_worker_env(settings),
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 300)
    assert process.returncode is not None
    return process.returncode, stderr.decode(errors="replace")


async def test_a_job_killed_midway_resumes_and_ends_as_an_uninterrupted_one(
    gql: GraphQL,
    pg: asyncpg.Connection,
    graph: GraphStore,
    settings: Settings,
    subjects: dict[str, Subject],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    y = subjects["y"]
    assert FINISHED, "runs after the erasure of x, its reference"
    before = await stores.snapshot(pg, graph)
    crashed = asyncio.Event()
    planned = erasure_jobs.planned

    async def crash_once(*args: Any) -> None:  # after the graph committed, before PostgreSQL does
        if not crashed.is_set():
            crashed.set()
            raise RuntimeError("crash inside the identity step")
        await planned(*args)

    monkeypatch.setattr(erasure_jobs, "planned", crash_once)
    started = await _erase(gql, y.alias, key=f"{y.tag}-erase")  # by the id merged into it
    job_id = started["data"]["eraseCustomer"]["job"]["id"]
    running = await wait_for(gql, job_id, "RUNNING")
    monkeypatch.undo()
    assert crashed.is_set()
    assert running["steps"][0]["attempts"] == 2  # the relay's first attempt rolled back; the second applied

    outputs = []
    code, err = await _worker(settings, "tests.erasure.crashing_worker", "tickets", "inside")
    outputs.append(err)
    assert code == -9, err
    mid = await job(gql, job_id)
    assert [s["state"] for s in mid["steps"]] == [
        "DONE",
        "DONE",
        "PENDING",
        "PENDING",
        "PENDING",
        "PENDING",
        "PENDING",
    ]
    # Killed after the tickets database committed: the tickets are restricted, the job does not know it yet.
    assert await pg.fetchval(
        "SELECT bool_and(restricted) FROM tickets.tickets WHERE id = ANY($1::bigint[])", y.tickets
    )
    code, err = await _worker(settings, "tests.erasure.crashing_worker", "profiles", "after")
    outputs.append(err)
    assert code == -9, err
    mid = await job(gql, job_id)
    assert [s["state"] for s in mid["steps"]] == ["DONE"] * 5 + ["PENDING"] * 2
    code, err = await _worker(settings, "c360", "erase", "--drain")
    outputs.append(err)
    assert code == 0, err

    done = await job(gql, job_id)
    assert done["state"] == "DONE"
    assert _outcome(done) == _outcome(FINISHED["x"])  # the same steps, each done once, with the same counts
    assert await _residue(pg, graph, y) == []
    assert [e for e in outputs if any(v in e for v in y.values())] == []
    assert stores.changes(before, await stores.snapshot(pg, graph), y.needles()) == []


async def test_old_records_of_an_erased_subject_start_new_customers(
    gql: GraphQL, pg: asyncpg.Connection, subjects: dict[str, Subject]
) -> None:
    x = subjects["x"]
    assert FINISHED, "runs after the erasure of x"
    first = (await ingest(gql, x.records["1"]))[0]
    third = (await ingest(gql, x.records["3"]))[0]  # its phone and e-mail once merged the subject's customers
    assert (first["status"], third["status"]) == ("CREATED", "CREATED")
    new = {first["customer"]["id"], third["customer"]["id"]}
    assert len(new) == 2
    assert new.isdisjoint({*x.ids(), FINISHED["x"]["id"]})
    assert {(b["type"], b["reason"]) for b in first["blocked"]} == {
        ("PHONE", "erased"), ("CRM_ID", "erased"), ("NATIONAL_ID", "erased")
    }  # fmt: skip
    assert {(b["type"], b["reason"]) for b in third["blocked"]} == {("PHONE", "erased"), ("EMAIL", "erased")}
    # Nor does the matching model compare them, find candidates by them or keep them.
    for sent in (x.records["1"], x.records["3"]):
        kept = await pg.fetchrow(
            "SELECT s.features::text AS features, (SELECT string_agg(k.key, ' ') FROM profiles.match_keys k"
            " WHERE k.system = s.system AND k.external_id = s.external_id) AS keys"
            " FROM profiles.source_records s WHERE s.system = $1 AND s.external_id = $2",
            sent["system"],
            sent["externalId"],
        )
        assert kept["features"] is not None
        for value in (x.phone1[-8:], x.email1, x.email2, x.national_id):
            assert value not in kept["features"], value
            assert value not in (kept["keys"] or ""), value
    lookup = await gql.data(
        f'{{ customerByIdentifier(type: PHONE, value: "{x.phone1}") {{ id }} old: customer(id: "{x.customer}") {{ id }} }}'
    )
    assert lookup == {"customerByIdentifier": None, "old": None}
    for customer in new:  # nothing kept of the old customer reaches the new ones
        view = await gql.data(
            f'{{ customer(id: "{customer}") {{ orders(first: 5) {{ nodes {{ id }} }} tickets {{ id }} '
            f"interactions(first: 5) {{ nodes {{ id }} }} identifiers {{ type }} household {{ id }} }} }}"
        )
        assert view["customer"] == {"orders": {"nodes": []}, "tickets": [], "interactions": {"nodes": []},
                                    "identifiers": [], "household": None}  # fmt: skip


async def test_a_new_consent_carried_by_a_record_lifts_the_tombstones(
    gql: GraphQL, subjects: dict[str, Subject]
) -> None:
    x = subjects["x"]
    assert FINISHED, "runs after the erasure of x"
    returning = {
        **x.records["4"],
        "consents": [{"purpose": "PROFILING", "status": "GRANTED", "source": "wechat", "decidedAt": "2030-01-01T00:00:00Z"}],
    }  # fmt: skip
    back = (await ingest(gql, returning))[0]
    assert (back["status"], back["blocked"]) == ("CREATED", [])
    customer = back["customer"]["id"]
    later = {"system": "pos", "externalId": f"{x.tag}-back", "observedAt": "2030-01-02T00:00:00Z",
             "identifiers": [{"type": "EMAIL", "value": x.email2}]}  # fmt: skip
    linked = (await ingest(gql, later))[0]
    assert (linked["status"], linked["customer"]["id"]) == ("LINKED", customer)
    # An old consent (decided before the erasure) lifts nothing, and neither does one for another identifier.
    stale = {"system": "pos", "externalId": f"{x.tag}-stale", "observedAt": "2030-01-03T00:00:00Z",
             "identifiers": [{"type": "PHONE", "value": x.phone2}],
             "consents": [{"purpose": "PROFILING", "status": "GRANTED", "source": "pos",
                           "decidedAt": "2026-10-01T00:00:00Z"}]}  # fmt: skip
    blocked = (await ingest(gql, stale))[0]
    assert (blocked["status"], [(b["type"], b["reason"]) for b in blocked["blocked"]]) == (
        "CREATED",
        [("PHONE", "erased")],
    )


@pytest.fixture(autouse=True)
async def _no_erasure_left_running(pg: asyncpg.Connection) -> AsyncIterator[None]:
    yield
    assert not await pg.fetchval(
        "SELECT count(*) FROM profiles.outbox WHERE kind = 'erasure.step' AND applied_at IS NULL"
    ), "an erasure step was left pending"
