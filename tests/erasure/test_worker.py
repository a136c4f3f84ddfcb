"""The erasure worker's privilege and its errors: run as the API's role, a job stops at the step that rewrites the
audit (only the schemas' owner may), and ``erasureJob`` shows the step pending with its attempts and the code of
its error; the owner's worker finishes it."""

from __future__ import annotations

import uuid

from core import registry
from core.settings import Settings
from jobs import erasure as worker
from subgraphs.profiles import erasure_jobs
from tests.conftest import GraphQL
from tests.erasure.subjects import ERASE, PRIVACY, ingest, job, wait_for


async def test_a_worker_without_the_owners_rights_stops_at_the_audit_with_a_coded_error(
    gql: GraphQL, settings: Settings, owner_settings: Settings
) -> None:
    await worker.run(owner_settings, drain=True)  # no step of an earlier job left for the counts below
    tag = uuid.uuid4().hex[:10]
    record = {"system": "crm", "externalId": f"wrk-{tag}", "observedAt": "2026-10-01T00:00:00Z",
              "identifiers": [{"type": "EMAIL", "value": f"worker.{tag}@erasure.cn"}]}  # fmt: skip
    [created] = await ingest(gql, record)
    customer = created["customer"]["id"]
    await gql.data(f'{{ customer(id: "{customer}") {{ identifiers {{ value }} }} }}')  # an audited read
    started = (
        await gql.http.post("/graphql", json={"query": ERASE, "variables": {"i": {"customerId": customer}}},
                            headers=PRIVACY)
    ).json()["data"]["eraseCustomer"]  # fmt: skip
    job_id = started["job"]["id"]
    await wait_for(gql, job_id, "RUNNING")

    as_api = settings.model_copy(update={"migration_database_url": settings.database_url})
    assert await worker.run(as_api, drain=True) == 4  # orders, tickets, interactions, profiles
    stuck = await job(gql, job_id)
    audit = next(s for s in stuck["steps"] if s["name"] == "audit")
    assert (stuck["state"], stuck["errors"]) == ("RUNNING", ["PERMISSION_DENIED"])
    assert (audit["state"], audit["attempts"], audit["error"]) == ("PENDING", 1, "PERMISSION_DENIED")

    assert await worker.run(owner_settings, drain=True) == 2  # audit, seal
    done = await job(gql, job_id)
    audit = next(s for s in done["steps"] if s["name"] == "audit")
    assert (done["state"], done["errors"], audit["attempts"]) == ("DONE", [], 2)
    assert {c["name"]: c["count"] for c in audit["counts"]}["audit_records"] >= 2


def test_every_postgresql_subgraph_contributes_a_step_in_order() -> None:
    """A subgraph added to the registry must bring ``subgraphs/<name>/erasure.py``: the worker imports each."""
    others = [name for name in registry.POSTGRES if name != "profiles"]
    assert list(worker.subgraph_steps()) == others
    assert [name for name, _ in erasure_jobs.steps()] == ["identity", *others, "profiles", "audit", "seal"]
