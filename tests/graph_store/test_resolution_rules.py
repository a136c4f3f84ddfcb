"""The matching decision: blocked values, limits with priority, merges, and the rules file."""

from __future__ import annotations

import dataclasses

import pytest

from graph_store.identifiers import Identifier, IdentifierType, normalize
from graph_store.resolution.decide import decide
from graph_store.resolution.rules import (
    DEFAULT_RULES,
    FieldRule,
    RulesError,
    SurvivorRule,
    load_rules,
    parse_rules,
)

RULES = load_rules(DEFAULT_RULES)
T = IdentifierType


def ident(kind: IdentifierType, raw: str, app_id: str | None = None) -> Identifier:
    return normalize(kind, raw, app_id=app_id)


def test_the_shipped_rules_file_loads() -> None:
    assert RULES.limits[T.CRM_ID] == 1
    assert RULES.rank(T.CRM_ID) < RULES.rank(T.PHONE) < RULES.rank(T.DEVICE_ID)
    assert RULES.survivor is SurvivorRule.OLDEST
    assert RULES.field_rule("gender") is FieldRule.MOST_FREQUENT
    assert RULES.field_rule("anything_else") is FieldRule.MOST_RECENT


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (T.CRM_ID, "000-000"),
        (T.CRM_ID, "NULL"),
        (T.ECOMMERCE_ID, "anonymous"),
        (T.EMAIL, "test@shop.cn"),
        (T.EMAIL, "someone@example.com"),
        (T.PHONE, "+86 138 0000 0000"),
        (T.DEVICE_ID, "00000000-0000-0000-0000-000000000000"),
    ],
)
def test_junk_values_are_blocked(kind: IdentifierType, raw: str) -> None:
    junk = Identifier(kind, raw.lower()) if kind is not T.PHONE and kind is not T.EMAIL else ident(kind, raw)
    decision = decide([junk], {junk.key: ["someone"]}, {"someone": [junk]}, RULES)
    assert [i for i, _ in decision.blocked] == [junk]
    assert decision.linked == []
    assert decision.customers == []


def test_a_new_record_starts_a_new_customer() -> None:
    phone = ident(T.PHONE, "13812340567")
    decision = decide([phone, ident(T.CRM_ID, "CRM1")], {}, {}, RULES)
    assert decision.customers == []
    assert {i.key for i in decision.linked} == {phone.key, "crm_id:CRM1"}
    assert decision.linked[0].type is T.CRM_ID  # priority order


def test_a_shared_identifier_joins_and_two_owners_merge() -> None:
    email, phone = ident(T.EMAIL, "a@shop.cn"), ident(T.PHONE, "13812340567")
    decision = decide(
        [email, phone],
        {email.key: ["b"], phone.key: ["a"]},
        {"a": [phone, ident(T.CRM_ID, "CRM1")], "b": [email]},
        RULES,
    )
    assert decision.customers == ["a", "b"]
    assert decision.conflicts == []


def test_a_family_phone_yields_instead_of_merging_two_crm_customers() -> None:
    phone = ident(T.PHONE, "13812340567")
    mine, theirs = ident(T.CRM_ID, "CRM2"), ident(T.CRM_ID, "CRM1")
    decision = decide([mine, phone], {phone.key: ["mum"]}, {"mum": [phone, theirs]}, RULES)
    assert decision.customers == []  # a new customer with CRM2, not a blob with mum
    assert decision.linked == [mine]
    [(yielded, reason)] = decision.conflicts
    assert yielded == phone
    assert "2 crm_id identifiers" in reason
    assert "limit 1" in reason


def test_the_lowest_priority_identifier_yields_first() -> None:
    """A record naming two different customers by email and by device keeps the email, drops the device."""
    email, device = ident(T.EMAIL, "a@shop.cn"), ident(T.DEVICE_ID, "DEV-1")
    decision = decide(
        [device, email],
        {email.key: ["a"], device.key: ["b"]},
        {"a": [email, ident(T.CRM_ID, "CRM1")], "b": [device, ident(T.CRM_ID, "CRM2")]},
        RULES,
    )
    assert decision.customers == ["a"]
    assert decision.linked == [email]
    assert [i for i, _ in decision.conflicts] == [device]


def test_a_limit_exceeded_before_is_not_made_worse_but_does_not_block() -> None:
    phones = [ident(T.PHONE, f"1381234000{n}") for n in range(5)]
    decision = decide([phones[0]], {phones[0].key: ["legacy"]}, {"legacy": phones}, RULES)
    assert decision.customers == ["legacy"]
    extra = ident(T.PHONE, "13900139000")
    decision = decide([phones[0], extra], {phones[0].key: ["legacy"]}, {"legacy": phones}, RULES)
    assert decision.linked == [phones[0]]
    assert [i for i, _ in decision.conflicts] == [extra]


def test_non_matching_types_link_without_merging() -> None:
    rules = parse_rules({"matching": {"types": ["crm_id"]}, "limits": {"crm_id": 1}})
    device = ident(T.DEVICE_ID, "DEV-1")
    decision = decide([device], {device.key: ["a"]}, {"a": [device]}, rules)
    assert decision.customers == []
    assert decision.linked == [device]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"limits": {"shoe_size": 1}}, "limits.shoe_size: unknown identifier type"),
        ({"limits": {"phone": 0}}, "limits.phone: expected a positive integer"),
        ({"blocked": {"email": ["("]}}, "blocked.email: invalid regular expression"),
        ({"matching": {"survivor": "tallest"}}, "survivor"),
    ],
)
def test_malformed_rules_name_the_key(document: dict[str, object], message: str) -> None:
    with pytest.raises(RulesError, match=message):
        parse_rules(document)


def test_customers_parted_by_a_split_never_merge_again() -> None:
    phone, email = ident(T.PHONE, "13812340567"), ident(T.EMAIL, "a@shop.cn")
    decision = decide(
        [phone, email],
        {phone.key: ["a"], email.key: ["c"]},
        {"a": [phone], "c": [email]},
        RULES,
        [frozenset({"a", "c"})],
    )
    assert decision.customers == ["c"]  # email outranks phone; the phone would re-merge a and c, so it yields
    assert [i for i, _ in decision.conflicts] == [phone]
    assert "were split" in decision.conflicts[0][1]


def test_an_erased_identifier_matches_nothing_and_links_nothing() -> None:
    """Rules for one batch carry the identifiers an erasure tombstoned: they are blocked as ``erased``, so a record
    holding only those starts a customer of its own, and one holding another identifier still matches by it."""
    phone, email = ident(T.PHONE, "13912345678"), ident(T.EMAIL, "still.here@shop.cn")
    owners = {phone.key: ["old"], email.key: ["kept"]}
    holdings = {"old": [phone], "kept": [email]}
    erased = dataclasses.replace(RULES, erased=frozenset({phone.key}))
    alone = decide([phone], owners, holdings, erased)
    assert (alone.customers, alone.linked, alone.blocked) == ([], [], [(phone, "erased")])
    both = decide([phone, email], owners, holdings, erased)
    assert (both.customers, both.linked) == (["kept"], [email])
    assert decide([phone], owners, holdings, RULES).customers == ["old"]  # without the tombstone: the old one
