"""`c360 ingest`: CSV and JSON Lines files through the same ingestion path, with a summary."""

from __future__ import annotations

import json
from pathlib import Path

from c360.ingest_file import ingest_file
from core.settings import Settings
from tests.conftest import GraphQL

LOOKUP = """query($type: IdentifierType!, $value: String!, $app: String) {
  customerByIdentifier(type: $type, value: $value, appId: $app) { id givenName } }"""


async def test_csv_and_jsonl_files_ingest_into_one_customer(
    gql: GraphQL, settings: Settings, tmp_path: Path
) -> None:
    csv_file = tmp_path / "crm.csv"
    csv_file.write_text(
        "external_id,observed_at,given_name,family_name,phone,email,crm_id\n"
        "F-1,2026-10-01T08:00:00Z,Fang,Liu,13700137001;13700137002,fang.liu@file.cn,CRM-F-1\n"
        "F-2,not-a-time,Bad,Row,13700137003,,CRM-F-2\n"
        "F-3,2026-10-01T09:00:00Z,Ok,Row,12,,CRM-F-3\n",
        encoding="utf-8",
    )
    summary = await ingest_file(settings, csv_file, "crm", batch_size=2)
    assert summary.counts == {"created": 2, "rejected": 1}  # F-3 goes on without its invalid phone

    jsonl = tmp_path / "wechat.jsonl"
    lines = [
        {
            "externalId": "W-1",
            "observedAt": "2026-10-02T08:00:00+08:00",
            "identifiers": [
                {"type": "phone", "value": "+86 137 0013 7002"},
                {"type": "wechat_openid", "value": "oFILE1", "appId": "wxfile"},
            ],
        },
        {
            "externalId": "W-2",
            "observedAt": "2026-10-02T08:00:00+08:00",
            "identifiers": [{"type": "shoe", "value": "42"}],
        },
    ]
    jsonl.write_text("\n".join(json.dumps(line) for line in lines) + "\n{not json\n", encoding="utf-8")
    summary = await ingest_file(settings, jsonl, "wechat", batch_size=500)
    assert summary.counts == {"linked": 1, "rejected": 2}
    assert "3 records" in summary.describe()

    by_openid = await gql.data(LOOKUP, type="WECHAT_OPENID", value="oFILE1", app="wxfile")
    by_email = await gql.data(LOOKUP, type="EMAIL", value="Fang.Liu@file.cn", app=None)
    assert by_openid["customerByIdentifier"] == by_email["customerByIdentifier"]
    assert by_email["customerByIdentifier"]["givenName"] == "Fang"

    review = await gql.data(
        """{ rejectedRecords(first: 50) { nodes { system externalId errors { field message } } } }"""
    )
    kept = {(n["system"], n["externalId"]): n["errors"][0] for n in review["rejectedRecords"]["nodes"]}
    assert kept[("crm", "F-2")]["field"] == "observedAt"
    assert ("crm", "F-3") not in kept
    by_crm_id = await gql.data(LOOKUP, type="CRM_ID", value="CRM-F-3", app=None)
    assert by_crm_id["customerByIdentifier"]["givenName"] == "Ok"
    assert kept[("wechat", "W-2")]["field"] == "identifiers[0].type"
    assert any(field["field"] == "line" for (system, _), field in kept.items() if system == "wechat")
