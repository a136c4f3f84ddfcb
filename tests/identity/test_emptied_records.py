"""A source system that empties a record (every attribute and identifier gone) takes back what the record said: the
golden record no longer shows its values and the customer no longer holds its identifiers, in PostgreSQL and in
the graph. What other records of the customer say stays."""

from __future__ import annotations

import asyncpg

from graph_store.driver import GraphStore
from tests.conftest import GraphQL
from tests.identity.test_ingest import CUSTOMER, ingest, phone, record, unique
from tests.outbox.checks import graph_links, projection

NATIONAL_ID = "440305199103070017"


async def test_an_emptied_record_takes_back_its_name_and_its_national_id(
    gql: GraphQL, pg: asyncpg.Connection, graph: GraphStore
) -> None:
    key, national = unique("EMPTY"), NATIONAL_ID[:-4] + unique("")[-4:]
    full = record("crm", key, [("PHONE", phone()), ("NATIONAL_ID", national)], given_name="Wenjing",
                  family_name="Guoempty", birth_date="1991-03-07", city="Shenzhen")  # fmt: skip
    created = (await ingest(gql, full))["results"][0]
    customer = created["customer"]["id"]
    assert created["customer"]["fullName"] == "Wenjing Guoempty"
    emptied = record("crm", key, [], observedAt="2026-10-02T10:00:00+00:00")
    again = (await ingest(gql, emptied))["results"][0]
    assert (again["status"], again["customer"]["id"]) == ("LINKED", customer)

    view = (await gql.data(CUSTOMER, id=customer))["customer"]
    assert (view["fullName"], view["identifiers"]) == ("", [])
    details = await gql.data(
        f'{{ customer(id: "{customer}") {{ birthDate city sourceRecords {{ identifiers attributes }} }} }}'
    )
    assert details["customer"] == {
        "birthDate": None,
        "city": None,
        "sourceRecords": [{"identifiers": [], "attributes": {}}],
    }
    assert not await pg.fetchval(
        "SELECT count(*) FROM profiles.source_record_claims WHERE system = 'crm' AND external_id = $1", key
    )
    assert not await graph.read("MATCH (i:Identifier {key: $key}) RETURN i", key=f"national_id:{national}")
    assert await projection(pg, [customer]) == await graph_links(graph, [customer]) == set()


async def test_an_emptied_record_leaves_what_the_customers_other_records_say(gql: GraphQL) -> None:
    p, key = phone(), unique("HALF")
    await ingest(gql, record("crm", key, [("PHONE", p)], given_name="Lan", family_name="Keepname"))
    other = (
        await ingest(
            gql,
            record(
                "pos",
                unique("HALF"),
                [("PHONE", p)],
                family_name="Keepname",
                observedAt="2026-09-01T00:00:00+00:00",
            ),
        )
    )["results"][0]
    customer = other["customer"]["id"]
    await ingest(gql, record("crm", key, [], observedAt="2026-10-02T10:00:00+00:00"))
    view = (await gql.data(CUSTOMER, id=customer))["customer"]
    # The pos record still carries the phone and the family name; the given name came from the crm record only.
    assert view["fullName"] == "Keepname"
    assert [(i["type"], i["source"]) for i in view["identifiers"]] == [("PHONE", "pos")]
