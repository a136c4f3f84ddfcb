"""Identifiers people share, and identifiers people mistype, weighed by the matching model: a shop's tablet, a family
phone behind a record that says nothing of who it is, a national id typed with a mistake, a national id behind
a record whose description is wrong; through the public API on real servers, with the repository's model."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQL
from tests.identity.test_ingest import CUSTOMER, ingest, phone, record, unique
from tests.identity.test_review import pair_of, queue


def someone() -> dict[str, str]:
    """A person no other test describes: own birth date and street address (both disagree with any other
    test's), a common name and city."""
    n = int(unique("")[-4:])
    born = f"{1950 + n % 50}-{1 + n % 12:02d}-{1 + n % 28:02d}"
    return {"given_name": "Jingyi", "family_name": "Chen", "birth_date": born,
            "address": f"{n} Nanjing Road", "city": "Shanghai"}  # fmt: skip


def national_id() -> str:
    return "31010419880412" + unique("")[-4:]


async def identifiers_of(gql: GraphQL, customer: str) -> set[tuple[str, str]]:
    found = (await gql.data(CUSTOMER, id=customer))["customer"]["identifiers"]
    return {(i["type"], i["value"]) for i in found}


# A value a household or a shop shares ------------------------------------------------------------------------


async def test_a_shop_tablet_two_people_met_on_links_no_record_that_says_nothing_of_who_it_is(
    gql: GraphQL,
) -> None:
    """Two customers at one till: their descriptions disagree, so the tablet yields, and a shop's tablet is no
    question for the stewards. It is then known to be shared by people: a record that has only the tablet joins
    nobody."""
    tablet = unique("pos-tablet-")
    first = (await ingest(gql, record("pos", unique("TAB"), [("DEVICE_ID", tablet)], **someone())))[
        "results"
    ][0]
    other = (
        await ingest(
            gql,
            record("pos", unique("TAB"), [("DEVICE_ID", tablet)], given_name="Lei", family_name="Wang",
                   birth_date="1992-07-15"),
        )
    )["results"][0]  # fmt: skip
    assert other["status"] == "CREATED"
    assert [c["type"] for c in other["conflicts"]] == ["DEVICE_ID"]
    assert pair_of(await queue(gql), first["customer"]["id"], other["customer"]["id"]) == []

    bare = (await ingest(gql, record("pos", unique("TAB"), [("DEVICE_ID", tablet)])))["results"][0]
    assert bare["status"] == "CREATED"
    assert bare["customer"]["id"] not in (first["customer"]["id"], other["customer"]["id"])
    [conflict] = bare["conflicts"]
    assert (conflict["type"], conflict["value"]) == ("DEVICE_ID", tablet)
    assert "nothing says who the person is" in conflict["reason"]


async def test_a_shop_tablet_is_weighed_between_records_of_one_request_too(gql: GraphQL) -> None:
    """The records of one batch are compared by the identifiers they carry, not only by their blocking keys (a
    device is none), and a value that yielded earlier in the batch is known to be shared for the rest of it."""
    tablet = unique("pos-tablet-")
    out = await ingest(
        gql,
        record("pos", unique("TAB"), [("DEVICE_ID", tablet)], **someone()),
        record("pos", unique("TAB"), [("DEVICE_ID", tablet)], given_name="Lei", family_name="Wang",
               birth_date="1992-07-15"),
        record("pos", unique("TAB"), [("DEVICE_ID", tablet)]),
    )  # fmt: skip
    first, other, bare = out["results"]
    assert [r["status"] for r in out["results"]] == ["CREATED", "CREATED", "CREATED"]
    assert len({r["customer"]["id"] for r in out["results"]}) == 3
    assert [c["type"] for c in other["conflicts"]] == ["DEVICE_ID"]
    assert "nothing says who the person is" in bare["conflicts"][0]["reason"]
    assert pair_of(await queue(gql), first["customer"]["id"], other["customer"]["id"]) == []


async def test_a_persons_own_phone_still_links_a_record_with_no_name(gql: GraphQL) -> None:
    own = phone()
    named = (
        await ingest(
            gql,
            record("crm", unique("OWN"), [("PHONE", own)], **someone()),
        )
    )["results"][0]  # fmt: skip
    bare = (await ingest(gql, record("wechat", unique("OWN"), [("PHONE", own)])))["results"][0]
    assert bare["status"] == "LINKED"
    assert bare["customer"]["id"] == named["customer"]["id"]
    assert bare["conflicts"] == []


async def test_a_family_phone_that_yielded_once_links_no_record_that_says_nothing_of_who_it_is(
    gql: GraphQL,
) -> None:
    """A mother's and her son's records share the family phone; their given names and birth dates say two people,
    so the phone yields. It is then known to be shared by people: a later record that has only the phone (an app
    with no name) joins neither of them, where a person's own phone would link it."""
    family = phone()
    mother = (
        await ingest(
            gql,
            record("crm", unique("FAM"), [("PHONE", family)], family_name="张", given_name="秀兰",
                   birth_date="1966-04-02"),
        )
    )["results"][0]  # fmt: skip
    son = (
        await ingest(
            gql,
            record("service_desk", unique("FAM"), [("PHONE", family)], family_name="张", given_name="伟",
                   birth_date="1991-11-23"),
        )
    )["results"][0]  # fmt: skip
    assert son["customer"]["id"] != mother["customer"]["id"]
    assert [c["type"] for c in son["conflicts"]] == ["PHONE"]

    bare = (await ingest(gql, record("wechat", unique("FAM"), [("PHONE", family)])))["results"][0]
    assert bare["status"] == "CREATED"
    assert bare["customer"]["id"] not in (mother["customer"]["id"], son["customer"]["id"])
    [conflict] = bare["conflicts"]
    assert (conflict["type"], conflict["value"]) == ("PHONE", f"+86{family}")
    assert "nothing says who the person is" in conflict["reason"]
    assert ("PHONE", f"+86{family}") not in await identifiers_of(gql, bare["customer"]["id"])


async def test_a_family_phone_that_yields_takes_back_the_link_it_made_for_a_record_with_no_name(
    gql: GraphQL,
) -> None:
    """The mother's record has the family phone, then a record with only the phone (an app with no name) links to
    her as a person's own phone would, then her son's record yields on the phone: it is known to be shared by
    people, so the link it made for the record with no name is taken back. The record stands alone, and its
    conflict names the rule and the phone."""
    family = phone()
    out = await ingest(
        gql,
        record("crm", unique("TBK"), [("PHONE", family)], family_name="张", given_name="秀兰",
               birth_date="1966-04-02"),
        record("wechat", unique("TBK"), [("PHONE", family)]),
        record("service_desk", unique("TBK"), [("PHONE", family)], family_name="张", given_name="伟",
               birth_date="1991-11-23"),
    )  # fmt: skip
    mother, bare, son = out["results"]
    assert [r["status"] for r in out["results"]] == ["CREATED", "CREATED", "CREATED"]
    assert len({r["customer"]["id"] for r in out["results"]}) == 3
    assert [c["type"] for c in son["conflicts"]] == ["PHONE"]
    [conflict] = bare["conflicts"]
    assert (conflict["type"], conflict["value"]) == ("PHONE", f"+86{family}")
    assert conflict["reason"].startswith(f"taken back: phone:+86{family} linked this record")
    assert ("PHONE", f"+86{family}") not in await identifiers_of(gql, bare["customer"]["id"])
    assert ("PHONE", f"+86{family}") in await identifiers_of(gql, mother["customer"]["id"])


async def test_a_device_links_no_record_that_says_nothing_of_who_it_is_from_its_first_use(
    gql: GraphQL,
) -> None:
    """A device is a shop's tablet or a family's iPad as often as one person's: unlike a phone, it need not have
    yielded before to link no record with nothing to weigh."""
    device = unique("ipad-")
    named = (await ingest(gql, record("app", unique("DEV"), [("DEVICE_ID", device)], **someone())))[
        "results"
    ][0]
    bare = (await ingest(gql, record("app", unique("DEV"), [("DEVICE_ID", device)])))["results"][0]
    assert bare["status"] == "CREATED"
    assert bare["customer"]["id"] != named["customer"]["id"]
    [conflict] = bare["conflicts"]
    assert (conflict["type"], conflict["value"]) == ("DEVICE_ID", device.lower())
    assert "nothing says who the person is" in conflict["reason"]


async def test_sisters_with_a_family_phone_and_one_address_are_not_joined_by_them(gql: GraphQL) -> None:
    """One surname, the family phone, the address and the city agree, no birth date is given, the given names
    disagree: the model's match weight reaches the merge threshold only through what a household shares. The
    phone yields the first time the two meet (it need not be known shared), and the stewards get the pair."""
    family, street = phone(), someone()["address"]
    elder = (
        await ingest(
            gql,
            record("crm", unique("SIS"), [("PHONE", family)], family_name="李", given_name="娜", address=street,
                   city="Shanghai"),
        )
    )["results"][0]  # fmt: skip
    younger = (
        await ingest(
            gql,
            record("ecommerce", unique("SIS"), [("PHONE", family)], family_name="李", given_name="静",
                   address=street, city="Shanghai"),
        )
    )["results"][0]  # fmt: skip
    assert younger["status"] == "CREATED"
    assert younger["customer"]["id"] != elder["customer"]["id"]
    [conflict] = younger["conflicts"]
    assert (conflict["type"], conflict["value"]) == ("PHONE", f"+86{family}")
    assert "only what a household shares" in conflict["reason"]
    [candidate] = pair_of(await queue(gql), elder["customer"]["id"], younger["customer"]["id"])
    assert candidate["rule"].endswith(
        "only what a household shares (a phone, an e-mail, a device, the address) agrees"
    )


async def test_a_surname_and_a_phone_do_not_link_a_record_whose_given_name_disagrees(gql: GraphQL) -> None:
    """Nothing else to weigh: the phone has not yielded before, yet a surname that agrees and a given name that
    does not are two people of one family as often as one person."""
    shared = phone()
    first = (
        await ingest(
            gql, record("crm", unique("SUR"), [("PHONE", shared)], family_name="王", given_name="芳")
        )
    )["results"][0]
    second = (
        await ingest(
            gql, record("pos", unique("SUR"), [("PHONE", shared)], family_name="王", given_name="强")
        )
    )["results"][0]
    assert second["status"] == "CREATED"
    assert second["customer"]["id"] != first["customer"]["id"]
    [conflict] = second["conflicts"]
    assert (conflict["type"], "only what a household shares" in conflict["reason"]) == ("PHONE", True)
    assert ("PHONE", f"+86{shared}") not in await identifiers_of(gql, second["customer"]["id"])


# A value typed with a mistake --------------------------------------------------------------------------------


def _person(system: str, identifiers: list[tuple[str, str]], who: dict[str, str]) -> dict[str, Any]:
    return record(system, unique("NID"), identifiers, **who)


async def test_a_national_id_typed_with_a_mistake_yields_to_the_one_the_customer_holds(gql: GraphQL) -> None:
    """The model joins the two records (names, birth date, address, city agree); the second one's national id
    would give the customer two, past its limit of one: the record joins and its national id yields, instead of
    the join being refused."""
    held, typo, who = national_id(), national_id(), someone()
    first = (await ingest(gql, _person("crm", [("NATIONAL_ID", held)], who)))["results"][0]
    second = (await ingest(gql, _person("ecommerce", [("NATIONAL_ID", typo)], who)))["results"][0]
    assert second["status"] == "LINKED"
    assert second["customer"]["id"] == first["customer"]["id"]
    [conflict] = second["conflicts"]
    assert (conflict["type"], conflict["value"]) == ("NATIONAL_ID", typo)
    assert "the matching model joined the record" in conflict["reason"]
    held_ids = {v for t, v in await identifiers_of(gql, first["customer"]["id"]) if t == "NATIONAL_ID"}
    assert held_ids == {held}


async def test_a_different_crm_id_still_refuses_the_join_and_asks_the_stewards(gql: GraphQL) -> None:
    """A system-issued id is never a typo: another CRM id is another CRM customer."""
    who = someone()
    first = (await ingest(gql, _person("crm", [("CRM_ID", unique("CRM"))], who)))["results"][0]
    second = (await ingest(gql, _person("crm", [("CRM_ID", unique("CRM"))], who)))["results"][0]
    assert second["status"] == "CREATED"
    assert second["customer"]["id"] != first["customer"]["id"]
    [candidate] = pair_of(await queue(gql), first["customer"]["id"], second["customer"]["id"])
    assert candidate["rule"] == "probabilistic: joining would break an identifier limit"


# A national id behind a wrong description --------------------------------------------------------------------


async def test_a_shared_national_id_joins_a_record_the_model_scores_at_the_merge_threshold(
    gql: GraphQL,
) -> None:
    """Given name and birth date disagree, but the national id, phone, e-mail and address are the customer's: a
    national id is one person's (no household shares it), so the description does not hold the link back."""
    nid, shared_phone, email = national_id(), phone(), f"{unique('nid')}@shop.cn"
    street = someone()["address"]
    ids = [("NATIONAL_ID", nid), ("PHONE", shared_phone), ("EMAIL", email)]
    first = (
        await ingest(
            gql,
            record("crm", unique("NID"), ids, family_name="王", given_name="秀兰", birth_date="1965-03-02",
                   address=street, city="Shanghai"),
        )
    )["results"][0]  # fmt: skip
    second = (
        await ingest(
            gql,
            record("app", unique("NID"), ids, family_name="王", given_name="磊", birth_date="1992-07-15",
                   address=street, city="Shanghai"),
        )
    )["results"][0]  # fmt: skip
    assert second["status"] == "LINKED"
    assert second["customer"]["id"] == first["customer"]["id"]
    assert second["conflicts"] == []


async def test_a_shared_national_id_alone_does_not_outweigh_a_description_of_someone_else(
    gql: GraphQL,
) -> None:
    nid = national_id()
    (
        await ingest(
            gql,
            record("crm", unique("NID"), [("NATIONAL_ID", nid)], family_name="王", given_name="秀兰",
                   birth_date="1965-03-02"),
        )
    )["results"][0]  # fmt: skip
    second = (
        await ingest(
            gql,
            record("app", unique("NID"), [("NATIONAL_ID", nid)], family_name="王", given_name="磊",
                   birth_date="1992-07-15"),
        )
    )["results"][0]  # fmt: skip
    assert second["status"] == "CREATED"
    [conflict] = second["conflicts"]
    assert (conflict["type"], "held for review" in conflict["reason"]) == ("NATIONAL_ID", True)
