"""The golden record compares source observations only: a newer observation wins a most-recent field and an older
one does not, whatever the wall clock says; the golden record's own earlier values never compete."""

from __future__ import annotations

from tests.conftest import GraphQL
from tests.identity.test_ingest import ingest, phone, record, unique

CITY = """query($id: ID!) { customer(id: $id) { city loyaltyTier provenance { field value system externalId } } }"""


async def test_a_newer_observation_wins_a_most_recent_field_and_an_older_one_does_not(gql: GraphQL) -> None:
    p = phone()
    first = record("pos", unique("GR"), [("PHONE", p)], city="Suzhou", observedAt="2026-10-05T00:00:00+00:00")
    customer = (await ingest(gql, first))["results"][0]["customer"]["id"]
    # Arrives later, observed earlier: it does not win, although the golden record was written after it was seen.
    older = record("crm", unique("GR"), [("PHONE", p)], city="Wuxi", observedAt="2026-10-01T00:00:00+00:00")
    await ingest(gql, older)
    got = (await gql.data(CITY, id=customer))["customer"]
    assert got["city"] == "Suzhou"
    city = next(x for x in got["provenance"] if x["field"] == "city")
    assert (city["system"], city["externalId"]) == ("pos", first["externalId"])
    assert "tier" not in {
        x["field"] for x in got["provenance"]
    }  # no source said it: no provenance, no contest
    newer = record(
        "app", unique("GR"), [("PHONE", p)], city="Nanjing", observedAt="2026-10-09T00:00:00+00:00"
    )
    await ingest(gql, newer)
    got = (await gql.data(CITY, id=customer))["customer"]
    assert got["city"] == "Nanjing"
    assert all(x["system"] != "profile" for x in got["provenance"])
