"""Consent through the public API: decisions ingested with a source record belong to the customer it resolves to,
`setConsent` records later ones, the latest per purpose and channel is in force on `Customer.consents`, and every
decision is an outbox event (`consent.changed`) and an audited change."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests import auth
from tests.conftest import GraphQL

INGEST = """
mutation ($records: [SourceRecordInput!]!) {
  ingestSourceRecords(records: $records) { results { status errors { field message } customer { id } } }
}
"""
SET = """
mutation ($input: SetConsentInput!) { setConsent(input: $input) { customerId eventId } }
"""
CONSENTS = """
query ($id: ID!) { customer(id: $id) { consents { purpose channel status source decidedAt evidence } } }
"""


def _record(tag: str, consents: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "system": "crm",
        "externalId": f"consent-{tag}",
        "observedAt": "2026-11-01T08:00:00+00:00",
        "attributes": {"givenName": "Consent", "familyName": "Tester"},
        "identifiers": [{"type": "EMAIL", "value": f"consent-{tag}@consent-mail.cn"}],
        "consents": consents,
    }


async def _as(http: httpx.AsyncClient, role: str, query: str, **variables: Any) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=auth.headers((role,), f"t-{role}")
    )
    body: dict[str, Any] = response.json()
    return body


async def test_withdrawal_is_in_force_and_in_the_events(
    gql: GraphQL, client: httpx.AsyncClient, pg: asyncpg.Connection
) -> None:
    tag = uuid.uuid4().hex[:12]
    granted = {
        "purpose": "MARKETING",
        "channel": "SMS",
        "status": "GRANTED",
        "source": "crm",
        "decidedAt": "2026-11-01T08:00:00+00:00",
        "evidence": "form-17",
    }
    cross = {**granted, "purpose": "CROSS_BORDER", "channel": "ANY", "status": "DENIED", "evidence": None}
    body = await _as(client, "integration", INGEST, records=[_record(tag, [granted, cross])])
    assert "errors" not in body, body
    result = body["data"]["ingestSourceRecords"]["results"][0]
    assert result["status"] == "CREATED", result
    customer = (
        await gql.data(
            "query ($t: IdentifierType!, $v: String!) { customerByIdentifier(type: $t, value: $v) { id } }",
            t="EMAIL",
            v=f"consent-{tag}@consent-mail.cn",
        )
    )["customerByIdentifier"]["id"]

    # Ingested with the record, keyed by it: the customer's once resolved.
    consents = (await gql.data(CONSENTS, id=customer))["customer"]["consents"]
    assert [(c["purpose"], c["channel"], c["status"]) for c in consents] == [
        ("CROSS_BORDER", "ANY", "DENIED"),
        ("MARKETING", "SMS", "GRANTED"),
    ]

    # An agent withdraws it; an older decision arriving afterwards does not override the withdrawal.
    withdrawn = {
        **granted,
        "status": "WITHDRAWN",
        "source": "service_desk",
        "decidedAt": "2026-11-20T09:00:00Z",
    }
    body = await _as(client, "agent", SET, input={"customerId": customer, "consent": withdrawn})
    assert "errors" not in body, body
    event_id = int(body["data"]["setConsent"]["eventId"])
    stale = {**granted, "decidedAt": "2026-11-10T09:00:00Z", "source": "pos"}
    await gql.data(SET, input={"customerId": customer, "consent": stale})

    consents = (await gql.data(CONSENTS, id=customer))["customer"]["consents"]
    sms = next(c for c in consents if c["purpose"] == "MARKETING")
    assert (sms["status"], sms["source"], sms["decidedAt"]) == (
        "WITHDRAWN",
        "service_desk",
        "2026-11-20T09:00:00+00:00",
    )
    assert len(consents) == 2

    # Every decision is an event: the ingested ones (resolved by the relay to the customer), and each setConsent;
    # the relay applies them in order (a result once applied: a busy machine may still be at it).
    for _ in range(600):
        events = await pg.fetch(
            "SELECT id, payload, result, applied_at FROM profiles.outbox WHERE kind = 'consent.changed'"
            " AND (payload->'decisions' @> $1::jsonb OR payload->'decisions' @> $2::jsonb) ORDER BY id",
            json.dumps([{"record": f"crm:consent-{tag}"}]),
            json.dumps([{"customer": customer}]),
        )
        if all(e["applied_at"] is not None for e in events):
            break
        await asyncio.sleep(0.1)
    assert [e["id"] for e in events][1] == event_id
    ingested, withdrawal, _ = [
        {"id": e["id"], "payload": json.loads(e["payload"]), "result": json.loads(e["result"])}
        for e in events
    ]
    assert ingested["result"] == {"customers": [customer]}
    assert [d["status"] for d in ingested["payload"]["decisions"]] == ["granted", "denied"]
    assert "evidence" not in ingested["payload"]["decisions"][0]
    assert withdrawal["payload"]["decisions"] == [
        {
            "customer": customer,
            "record": None,
            "purpose": "marketing",
            "channel": "sms",
            "status": "withdrawn",
            "source": "service_desk",
            "decidedAt": "2026-11-20T09:00:00+00:00",
        }
    ]
    history = await pg.fetch(
        "SELECT status FROM profiles.consent_records WHERE customer_id = $1::uuid ORDER BY id", customer
    )
    assert [h["status"] for h in history] == ["granted", "denied", "withdrawn", "granted"]

    # The change is audited for the customer.
    audited = await pg.fetchval(
        "SELECT count(*) FROM profiles.audit_records WHERE kind = 'mutation'"
        " AND subject = 't-agent' AND $1 = ANY(customer_ids)",
        customer,
    )
    assert audited == 1


@pytest.mark.parametrize(
    ("consent", "message"),
    [
        ({"purpose": "MARKETING", "channel": "ANY"}, "needs a channel"),
        ({"purpose": "PROFILING", "channel": "SMS"}, "has no channel"),
    ],
)
async def test_a_malformed_consent_is_refused(gql: GraphQL, consent: dict[str, Any], message: str) -> None:
    decision = {"status": "GRANTED", "source": "crm", "decidedAt": "2026-11-01T08:00:00Z", **consent}
    error = await gql.error(SET, input={"customerId": str(uuid.uuid4()), "consent": decision})
    assert message in error["message"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_set_consent_is_refused_to_marketing_and_unknown_customers(
    gql: GraphQL, client: httpx.AsyncClient
) -> None:
    decision = {
        "purpose": "PROFILING",
        "status": "DENIED",
        "source": "crm",
        "decidedAt": "2026-11-01T08:00:00Z",
    }
    body = await _as(client, "marketing", SET, input={"customerId": str(uuid.uuid4()), "consent": decision})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    error = await gql.error(SET, input={"customerId": str(uuid.uuid4()), "consent": decision})
    assert error["extensions"]["code"] == "NOT_FOUND"
