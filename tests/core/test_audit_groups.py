"""Audit records of concurrent requests are written together (``core.audit.GroupCommit``): one round trip and one
commit for a group, each writer released once its own record is committed, and a record the table refuses
withholding only its own request's data. Against the real database, as the API's role."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from prometheus_client import REGISTRY

from core import audit
from core.errors import AuditUnavailable
from core.metrics import ROUND_TRIPS
from core.postgres import Database, Postgres
from core.settings import Settings
from tests.audit_helpers import rows
from tests.servers import free_port


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    postgres = Postgres(settings)
    await postgres.start([audit.STORE])
    yield postgres.db(audit.STORE)
    await postgres.close()


def _groups() -> tuple[float, float]:
    """Round trips and records of the audit's group histogram so far."""
    count = REGISTRY.get_sample_value("c360_audit_group_records_count") or 0.0
    total = REGISTRY.get_sample_value("c360_audit_group_records_sum") or 0.0
    return count, total


def _record(request_id: str, customer: str) -> audit.AuditRecord:
    return audit.AuditRecord(
        request_id=request_id,
        subject="test-groups",
        roles=("agent",),
        operation="Console",
        fields=("customer",),
        kind="read",
        customer_ids=(customer,),
        data_classes=("contact_pii",),
        endpoint="/graphql",
    )


async def test_concurrent_records_are_one_round_trip_and_each_is_durable(
    db: Database, pg: asyncpg.Connection
) -> None:
    run = uuid.uuid4().hex[:10]
    sent = {f"group-{run}-{n}": str(uuid.uuid4()) for n in range(8)}
    # One alone first: written at once, in its own round trip.
    before = ROUND_TRIPS.sql
    await audit.write(db, _record(f"group-{run}-alone", str(uuid.uuid4())))
    assert ROUND_TRIPS.sql - before == 1
    # Eight arriving together (in one turn of the event loop): one group, one round trip.
    before = ROUND_TRIPS.sql
    groups = _groups()
    await asyncio.gather(*(audit.write(db, _record(r, c)) for r, c in sent.items()))
    assert ROUND_TRIPS.sql - before == 1
    # ``/metrics`` tells operators how many records each round trip carried.
    assert _groups() == (groups[0] + 1, groups[1] + 8)
    found = await rows(pg, [*sent, f"group-{run}-alone"])
    assert len(found) == 9
    for request_id, customer in sent.items():
        (row,) = found[request_id]
        assert row.customer_ids == (customer,)
        assert (row.subject, row.operation, row.roles) == ("test-groups", "Console", ("agent",))


async def test_a_refused_record_withholds_only_its_own_request(db: Database, pg: asyncpg.Connection) -> None:
    run = uuid.uuid4().hex[:10]
    good = [f"group-{run}-good-{n}" for n in range(3)]
    bad = f"group-{run}-bad\x00"  # text PostgreSQL refuses: the group's transaction fails, each is retried alone
    outcomes = await asyncio.gather(
        *(audit.write(db, _record(r, str(uuid.uuid4()))) for r in [good[0], bad, *good[1:]]),
        return_exceptions=True,
    )
    assert [type(o) for o in outcomes] == [type(None), AuditUnavailable, type(None), type(None)]
    found = await rows(pg, good)
    assert sorted(found) == sorted(good)
    # The next record after a refusal is written as before.
    await audit.write(db, _record(f"group-{run}-after", str(uuid.uuid4())))
    assert list(await rows(pg, [f"group-{run}-after"])) == [f"group-{run}-after"]


async def test_a_group_is_refused_at_once_when_the_database_is_down(settings: Settings) -> None:
    """Down (or timed out), a group is not retried record by record: each writer would wait as long again."""
    down = settings.model_copy(
        update={"subgraph_dsns": {audit.STORE: f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"}}
    )
    postgres = Postgres(down)
    await postgres.start([audit.STORE])
    try:
        db = postgres.db(audit.STORE)
        run = uuid.uuid4().hex[:10]
        before = ROUND_TRIPS.sql
        outcomes = await asyncio.gather(
            *(audit.write(db, _record(f"group-{run}-down-{n}", str(uuid.uuid4()))) for n in range(4)),
            return_exceptions=True,
        )
    finally:
        await postgres.close()
    assert all(isinstance(o, AuditUnavailable) for o in outcomes), outcomes
    assert ROUND_TRIPS.sql - before == 1
