"""What the audit tests share: requests with a role, a subject and a request id of their own, and the audit rows
those requests wrote, read as the schemas' owner (not through the API)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from core.policy import Decision, Policy
from core.settings import PROJECT_ROOT
from tests import auth

POLICY = Policy.load(PROJECT_ROOT / "config" / "policy.toml")


def shown(roles: frozenset[str], data_class: str) -> bool:
    """Whether callers with ``roles`` see values of ``data_class`` unmasked in a class the audit covers."""
    return data_class in POLICY.audited and POLICY.decide(roles, data_class) is Decision.ALLOW


@dataclass(frozen=True)
class Row:
    request_id: str
    subject: str
    roles: tuple[str, ...]
    operation: str | None
    fields: tuple[str, ...]
    kind: str
    customer_ids: tuple[str, ...]
    data_classes: tuple[str, ...]
    endpoint: str | None


class Caller:
    """Posts GraphQL requests, each with a fresh request id (``X-Request-ID``) it remembers."""

    def __init__(self, http: httpx.AsyncClient, prefix: str = "") -> None:
        self.http = http
        self.run = prefix or uuid.uuid4().hex[:12]
        self._ids = itertools.count()
        self.sent: list[str] = []

    def next_id(self) -> str:
        return f"audit-{self.run}-{next(self._ids)}"

    async def post(
        self,
        query: str,
        roles: tuple[str, ...] = ("admin",),
        subject: str = "test-admin",
        path: str = "/graphql",
        request_id: str | None = None,
        **variables: Any,
    ) -> tuple[str, httpx.Response]:
        request_id = request_id or self.next_id()
        self.sent.append(request_id)
        response = await self.http.post(
            path,
            json={"query": query, "variables": variables},
            headers={**auth.headers(roles, subject), "x-request-id": request_id},
        )
        return request_id, response

    async def body(self, query: str, **options: Any) -> tuple[str, dict[str, Any]]:
        request_id, response = await self.post(query, **options)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return request_id, body


async def rows(pg: asyncpg.Connection, request_ids: list[str]) -> dict[str, list[Row]]:
    """The audit rows written for ``request_ids``, by request id."""
    found: dict[str, list[Row]] = {}
    for r in await pg.fetch(
        "SELECT request_id, subject, roles, operation, fields, kind, customer_ids, data_classes, endpoint"
        " FROM profiles.audit_records WHERE request_id = ANY($1::text[]) ORDER BY id",
        request_ids,
    ):
        found.setdefault(r["request_id"], []).append(
            Row(
                r["request_id"],
                r["subject"],
                tuple(r["roles"]),
                r["operation"],
                tuple(r["fields"]),
                r["kind"],
                tuple(r["customer_ids"]),
                tuple(r["data_classes"]),
                r["endpoint"],
            )
        )
    return found


INGEST = """mutation($r: [SourceRecordInput!]!) { ingestSourceRecords(records: $r) { results { customer { id } } } }"""


async def new_customers(caller: Caller, count: int, tag: str) -> list[str]:
    """Customers of the test's own, related to nothing (ingested as the administrator), so the session's pool of
    unrelated generated customers is left to the tests that need generated ones."""
    records = [
        {
            "system": "audit-test",
            "externalId": f"{caller.run}-{tag}-{i}",
            "observedAt": "2026-11-01T08:00:00Z",
            "attributes": {"givenName": "Grace", "familyName": f"Tester{i:03d}"},
            "identifiers": [{"type": "EMAIL", "value": f"grace.{caller.run}.{tag}.{i}@example.cn"}],
        }
        for i in range(count)
    ]
    _, body = await caller.body(INGEST, r=records)
    assert "errors" not in body, body["errors"]
    ids = [r["customer"]["id"] for r in body["data"]["ingestSourceRecords"]["results"]]
    assert len(set(ids)) == count
    return ids
