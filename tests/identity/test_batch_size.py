"""The batch the API documents fits its limits: 1,000 realistic source records in one `ingestSourceRecords` call
are accepted (about 400 KB, over the general body limit), while another request of that size is refused."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson

from core.settings import Settings
from subgraphs.profiles.ingestion import MAX_BATCH
from tests.identity.test_ingest import unique

OUTCOMES = "query($records: [SourceRecordRef!]!) { ingestOutcomes(records: $records) { status } }"
INGEST = """mutation($records: [SourceRecordInput!]!) { ingestSourceRecords(records: $records) {
  created linked merged unchanged rejected accepted } }"""


def realistic(n: int, tag: str) -> dict[str, Any]:
    """A CRM record as source systems send them: a full profile, a phone, an e-mail, WeChat ids, a device."""
    return {
        "system": "crm",
        "externalId": f"{tag}-{n:04d}",
        "observedAt": "2026-10-01T09:30:00+08:00",
        "attributes": {
            "givenName": "秀英",
            "familyName": "欧阳",
            "gender": "female",
            "birthDate": f"19{60 + n % 40}-0{1 + n % 9}-1{n % 10}",
            "address": f"浙江省杭州市西湖区文三路{n}号华星科技大厦{n % 30}楼",
            "city": "杭州",
            "region": "浙江",
            "loyaltyTier": "gold",
            "loyaltyPoints": 12_000 + n,
        },
        "identifiers": [
            {"type": "PHONE", "value": f"+86 139 {n % 10_000:04d} {int(tag[-4:]) % 10_000:04d}"},
            {"type": "EMAIL", "value": f"ouyang.xiuying.{tag.lower()}.{n}@example-mail.cn"},
            {"type": "WECHAT_UNIONID", "value": f"o6_bmasdasdsad6_2sgVt7hMZOPf{tag}{n:04d}"},
            {
                "type": "WECHAT_OPENID",
                "value": f"oXmKs5aVbwq3Q4GnpT{tag}{n:04d}",
                "appId": "wx8a3b4c5d6e7f8a9b",
            },
            {"type": "DEVICE_ID", "value": f"6f1c2a8e-{n:04d}-4b7e-9c3d-{tag.lower():0>12}"},
        ],
    }


async def test_a_documented_batch_of_realistic_records_is_accepted(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tag = unique("BAT")
    records = [realistic(n, tag) for n in range(MAX_BATCH)]
    body = orjson.dumps({"query": INGEST, "variables": {"records": records}})
    assert len(body) > settings.max_body_bytes  # the general limit alone would refuse it
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text[:300]
    counts = response.json()["data"]["ingestSourceRecords"]
    assert counts["rejected"] == 0
    assert counts["created"] + counts["linked"] + counts["merged"] + counts["accepted"] == MAX_BATCH
    # Whatever was still on its way is resolved before the next test (bounded).
    refs = [{"system": "crm", "externalId": r["externalId"]} for r in records]
    for _ in range(600):
        answer = await client.post("/graphql", json={"query": OUTCOMES, "variables": {"records": refs}})
        statuses = {o["status"] for o in answer.json()["data"]["ingestOutcomes"]}
        if "ACCEPTED" not in statuses:
            break
        await asyncio.sleep(0.2)
    assert statuses == {"CREATED"}


async def test_a_request_of_that_size_that_is_not_a_bulk_write_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    padding = "x" * 15_000
    body = orjson.dumps(
        {
            "query": "query($p: [String!]!) { __typename }",
            "variables": {"p": [padding] * (settings.max_body_bytes // len(padding) + 2)},
        }
    )
    assert settings.max_body_bytes < len(body) < settings.max_bulk_body_bytes
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    # A mutation that mixes a bulk write with another root field gets the general limit too.
    mixed = orjson.dumps(
        {
            "query": "mutation($records: [SourceRecordInput!]!) { ingestSourceRecords(records: $records) "
            "{ created } __typename }",
            "variables": {"records": [realistic(n, unique("BAX")) for n in range(MAX_BATCH)]},
        }
    )
    response = await client.post("/graphql", content=mixed, headers={"content-type": "application/json"})
    assert response.status_code == 413
