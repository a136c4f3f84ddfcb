"""Rejected records are kept for review only as long as they serve it, and only what it needs: the errors name the
offending values; every other value of the record is masked; the identifiers are kept as keyed hashes an erasure
can find them by. Only stewards, the privacy officer and administrators list them (tests/api/test_roles.py)."""

from __future__ import annotations

import asyncpg

from core.erasure import Keyring
from core.settings import Settings
from tests.conftest import GraphQL
from tests.identity.test_ingest import ingest, phone, record, unique

NATIONAL_ID = "440305199103070017"


async def test_a_rejected_record_keeps_its_errors_and_masks_the_rest(
    gql: GraphQL, pg: asyncpg.Connection, settings: Settings
) -> None:
    key, p = unique("REJ"), phone()
    bad = record("crm", key, [("PHONE", p), ("NATIONAL_ID", NATIONAL_ID), ("EMAIL", "not an e-mail")],
                 given_name="Xiaoqing", family_name="Rejectwang", birth_date="1991-02-30")  # fmt: skip
    out = await ingest(gql, bad)
    assert out["rejected"] == 1
    review = await gql.data(
        '{ rejectedRecords(first: 5, system: "crm") { nodes { externalId errors { field value } payload } } }'
    )
    [kept] = [n for n in review["rejectedRecords"]["nodes"] if n["externalId"] == key]
    assert {(e["field"], e["value"]) for e in kept["errors"]} == {
        ("identifiers[2].email", "not an e-mail"),
        ("attributes.birth_date", "1991-02-30"),
    }
    assert kept["payload"]["identifiers"] == [
        {"type": "phone", "value": f"{p[:3]}****{p[-4:]}"},
        {"type": "national_id", "value": "440***********0017"},
        {"type": "email", "value": "not an e-mail"},  # the offending value, as its error quotes it
    ]
    assert kept["payload"]["attributes"] == {
        "given_name": "X*******",
        "family_name": "R*********",
        "birth_date": "1991-02-30",
    }
    row = await pg.fetchrow(
        "SELECT payload::text AS payload, identifier_hashes FROM profiles.rejected_records WHERE external_id = $1",
        key,
    )
    for value in (p, NATIONAL_ID, "Xiaoqing", "Rejectwang"):
        assert value not in row["payload"]
    keyring = Keyring.of(settings)
    assert sorted(row["identifier_hashes"]) == sorted(
        keyring.identifiers([f"phone:+86{p}", f"national_id:{NATIONAL_ID}"]).values()
    )
