"""The privacy officer reads the audit through GraphQL: by customer, by principal, by time, page by page; every
other role is refused; and reading the audit is itself audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import pytest

from core.settings import Settings
from tests.audit_helpers import POLICY, Caller, new_customers, rows
from tests.servers import in_process

AUDIT = """query Audit($first: Int, $after: String, $customer: ID, $principal: String, $since: DateTime,
  $until: DateTime) {
  auditRecords(first: $first, after: $after, customerId: $customer, principal: $principal, since: $since,
    until: $until) {
    nodes { id at requestId principal roles operation rootFields kind customerIds dataClasses endpoint }
    pageInfo { hasNextPage endCursor }
  }
}"""
PRIVACY = (("privacy",), "privacy-officer")
READ = "query Read($id: ID!) { customer(id: $id) { fullName } }"


@pytest.fixture(scope="module")
async def caller(settings: Settings) -> AsyncIterator[Caller]:
    async with in_process(settings, headers={}) as http:
        yield Caller(http)


class Reads:
    """Known records: two readers, two customers, in a known order."""

    def __init__(self, caller: Caller, customers: list[str]) -> None:
        self.readers = (f"reader-a-{caller.run}", f"reader-b-{caller.run}")
        self.customers = customers
        self.sent: list[tuple[str, str, str]] = []
        """(request id, reader, customer), oldest first."""


@pytest.fixture(scope="module")
async def reads(caller: Caller) -> Reads:
    known = Reads(caller, await new_customers(caller, 2, "read"))
    for reader in known.readers:
        for customer in known.customers:
            request_id, body = await caller.body(READ, roles=("agent",), subject=reader, id=customer)
            assert body["data"]["customer"]["fullName"]
            known.sent.append((request_id, reader, customer))
    # Public fields only: no record.
    await caller.body(
        "query($id: ID!) { customer(id: $id) { id } }",
        roles=("agent",),
        subject=known.readers[0],
        id=customer,
    )
    return known


async def _audit(caller: Caller, **variables: Any) -> tuple[str, dict[str, Any]]:
    request_id, body = await caller.body(AUDIT, roles=PRIVACY[0], subject=PRIVACY[1], **variables)
    assert "errors" not in body, body["errors"]
    return request_id, body["data"]["auditRecords"]


def _request_ids(page: dict[str, Any]) -> list[str]:
    return [n["requestId"] for n in page["nodes"]]


async def test_by_principal(caller: Caller, reads: Reads) -> None:
    reader = reads.readers[0]
    _, page = await _audit(caller, principal=reader)
    mine = [r for r, who, _ in reads.sent if who == reader]
    assert _request_ids(page) == mine[::-1]  # newest first; the public-only read left none
    first = page["nodes"][0]
    assert first == {
        "id": first["id"],
        "at": first["at"],
        "requestId": mine[-1],
        "principal": reader,
        "roles": ["agent"],
        "operation": "Read",
        "rootFields": ["customer"],
        "kind": "READ",
        "customerIds": [reads.customers[1]],
        "dataClasses": ["contact_pii"],
        "endpoint": "/graphql",
    }


async def test_by_customer(caller: Caller, reads: Reads, pg: asyncpg.Connection) -> None:
    customer = reads.customers[0]
    expected = await pg.fetch(
        "SELECT request_id FROM profiles.audit_records WHERE $1 = ANY(customer_ids) ORDER BY id DESC LIMIT 100",
        customer,
    )
    _, page = await _audit(caller, customer=customer, first=100)
    assert _request_ids(page) == [r["request_id"] for r in expected]
    assert all(customer in n["customerIds"] for n in page["nodes"])
    about = {r for r, _, c in reads.sent if c == customer}
    assert about <= set(_request_ids(page))
    assert not {r for r, _, c in reads.sent if c != customer} & set(_request_ids(page))
    # Filters combine.
    _, both = await _audit(caller, customer=customer, principal=reads.readers[1])
    assert _request_ids(both) == [r for r, who, c in reads.sent if c == customer and who == reads.readers[1]]


async def test_by_time(caller: Caller, reads: Reads, pg: asyncpg.Connection) -> None:
    ids = [r for r, _, _ in reads.sent]
    at: dict[str, datetime] = {
        r["request_id"]: r["at"]
        for r in await pg.fetch(
            "SELECT request_id, at FROM profiles.audit_records WHERE request_id = ANY($1::text[])", ids
        )
    }
    since, until = at[ids[1]], at[ids[3]]
    _, page = await _audit(caller, since=since.isoformat(), until=until.isoformat(), first=100)
    expected = await pg.fetch(
        "SELECT request_id FROM profiles.audit_records WHERE at >= $1 AND at < $2 ORDER BY id DESC",
        since,
        until,
    )
    assert _request_ids(page) == [r["request_id"] for r in expected]
    assert set(_request_ids(page)) >= {ids[1], ids[2]}
    assert not set(_request_ids(page)) & {ids[0], ids[3]}  # since is inclusive, until exclusive
    refused = await caller.body(
        AUDIT, roles=PRIVACY[0], subject=PRIVACY[1], since=until.isoformat(), until=since.isoformat()
    )
    assert refused[1]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_pages_walk_every_record_once(caller: Caller, reads: Reads) -> None:
    walker = f"walker-{caller.run}"
    sent = [
        (await caller.body(READ, roles=("sales",), subject=walker, id=reads.customers[i % 2]))[0]
        for i in range(5)
    ]
    walked: list[str] = []
    after = None
    for _ in range(10):
        _, page = await _audit(caller, principal=walker, first=2, after=after)
        walked += _request_ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == sent[::-1]


async def test_reading_the_audit_is_audited(caller: Caller, reads: Reads, pg: asyncpg.Connection) -> None:
    request_id, page = await _audit(caller, principal=reads.readers[1])
    shown = sorted({c for n in page["nodes"] for c in n["customerIds"]})
    assert shown == sorted(reads.customers)
    (row,) = (await rows(pg, [request_id]))[request_id]
    assert (row.subject, row.roles, row.operation, row.fields) == (
        PRIVACY[1],
        ("privacy",),
        "Audit",
        ("auditRecords",),
    )
    assert (row.kind, row.customer_ids, row.data_classes) == ("read", tuple(shown), ("internal",))


@pytest.mark.parametrize(
    "role", sorted(r for r in POLICY.roles if not POLICY.allows("Query.auditRecords", frozenset({r})))
)
async def test_other_roles_are_refused(
    caller: Caller, reads: Reads, pg: asyncpg.Connection, role: str
) -> None:
    request_id, body = await caller.body(
        AUDIT, roles=(role,), subject=f"nosy-{role}", principal=reads.readers[0]
    )
    assert body["data"] == {"auditRecords": None}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [(["auditRecords"], "FORBIDDEN")]
    assert await rows(pg, [request_id]) == {}  # nothing was shown: nothing to record


def test_only_the_privacy_officer_and_the_administrator_read_the_audit() -> None:
    assert POLICY.operations["Query.auditRecords"] == frozenset({"privacy", "admin"})


async def test_the_api_role_may_not_change_the_audit(settings: Settings, pg: asyncpg.Connection) -> None:
    """Append-only: no UPDATE or DELETE for the API's role, and the trigger refuses them to the owner too."""
    for statement in (
        "UPDATE profiles.audit_records SET subject = 'forged'",
        "DELETE FROM profiles.audit_records",
        "TRUNCATE profiles.audit_records",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with pg.transaction():
                await pg.execute(statement)
    if settings.app_db_role:
        app = await asyncpg.connect(settings.database_url)
        try:
            for statement in (
                "UPDATE profiles.audit_records SET subject = 'forged'",
                "DELETE FROM profiles.audit_records",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await app.execute(statement)
            assert await app.fetchval("SELECT count(*) FROM profiles.audit_records") > 0
        finally:
            await app.close()


async def test_the_owner_may_pseudonymise_through_the_erasure_hook(
    pg: asyncpg.Connection, reads: Reads
) -> None:
    request_id = reads.sent[0][0]
    transaction = pg.transaction()
    await transaction.start()
    try:
        await pg.execute("SET LOCAL c360.audit_rewrite = 'pseudonymise'")
        changed = await pg.execute(
            "UPDATE profiles.audit_records SET subject = 'pseudonym' WHERE request_id = $1", request_id
        )
        assert changed == "UPDATE 1"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with pg.transaction():  # the hook opens updates only
                await pg.execute("DELETE FROM profiles.audit_records WHERE request_id = $1", request_id)
    finally:
        await transaction.rollback()  # the record stays as it was for the other tests
