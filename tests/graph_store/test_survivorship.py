"""Golden records from observations, without a server: field values, provenance and the stored profiles absorbed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from graph_store.resolution.rules import DEFAULT_RULES, FieldRule, load_rules, parse_rules
from graph_store.resolution.survivorship import (
    PROFILE_SYSTEM,
    Evidence,
    StoredProfile,
    golden_record,
    golden_records,
)

RULES = load_rules(DEFAULT_RULES)


def at(day: int) -> datetime:
    return datetime(2026, 10, day, tzinfo=UTC)


def seen(system: str, day: int, **attributes: Any) -> Evidence:
    return Evidence(system, f"{system}-{day}", at(day), attributes)


def test_each_field_follows_its_rule_and_names_its_record() -> None:
    record = golden_record(
        "c1",
        [
            seen("ecommerce", 5, given_name="Wendy", city="Shanghai", gender="female"),
            seen("crm", 2, given_name="Wei", family_name="Zhang", city="Beijing", gender="male"),
            seen("pos", 3, gender="male"),
        ],
        [],
        RULES,
    )
    assert (record.given_name, record.family_name, record.full_name) == ("Wei", "Zhang", "Wei Zhang")
    assert record.city == "Shanghai"  # most recent
    assert record.gender == "male"  # most frequent
    given = record.provenance["given_name"]
    assert (given.system, given.external_id, given.rule) == ("crm", "crm-2", FieldRule.SOURCE_PRIORITY)
    assert record.provenance["city"].rule is FieldRule.MOST_RECENT
    assert set(record.provenance) == {"given_name", "family_name", "city", "gender"}
    assert record.created_at == at(2)


def test_missing_fields_take_the_profile_defaults() -> None:
    record = golden_record("c1", [seen("app", 1, city="Hangzhou")], [], RULES)
    assert (record.given_name, record.family_name, record.full_name) == ("", "", "")
    assert (record.gender, record.loyalty_tier, record.loyalty_points) == ("unknown", "bronze", 0)
    assert record.birth_date is None
    assert record.region is None
    assert list(record.provenance) == ["city"]


def test_values_are_typed_and_provenance_keeps_them_as_observed() -> None:
    record = golden_record(
        "c1",
        [seen("crm", 1, birth_date="1990-04-01", loyalty_points="120", given_name="伟", family_name="张")],
        [],
        RULES,
    )
    assert record.birth_date == date(1990, 4, 1)
    assert record.loyalty_points == 120
    assert record.provenance["loyalty_points"].value == "120"
    assert record.full_name == "张伟"  # family name first for Chinese names


def test_a_stored_profile_is_evidence_of_the_lowest_priority() -> None:
    stored = StoredProfile("c1", {"given_name": "Old", "region": "Zhejiang"}, at(1), at(4))
    record = golden_record("c1", [seen("pos", 2, given_name="Wei")], [stored], RULES)
    assert record.given_name == "Wei"  # any source outranks the stored profile
    assert record.region == "Zhejiang"  # kept while no source says otherwise
    region = record.provenance["region"]
    assert (region.system, region.external_id, region.observed_at) == (PROFILE_SYSTEM, "c1", at(4))
    assert record.created_at == at(1)


def test_source_priority_prefers_a_listed_system_over_a_newer_unlisted_one() -> None:
    rules = parse_rules(
        {"matching": {"source_priority": ["crm"]}, "survivorship": {"city": "source_priority"}}
    )
    record = golden_record("c1", [seen("crm", 1, city="Beijing"), seen("app", 9, city="Shanghai")], [], rules)
    assert record.city == "Beijing"
    assert record.provenance["city"].system == "crm"


def test_each_customer_absorbs_the_profiles_of_the_ids_merged_into_it() -> None:
    profiles = {
        "b": StoredProfile("b", {"loyalty_tier": "gold"}, at(3), at(3)),
        "gone": StoredProfile("gone", {"region": "Jiangsu", "given_name": "Lost"}, at(1), at(2)),
        "other": StoredProfile("other", {"region": "Hubei"}, at(1), at(1)),
    }
    records = golden_records(
        {"b": [seen("crm", 6, given_name="Wei")], "a": [seen("pos", 5, city="Wuhan")]},
        {"gone": "b"},
        profiles,
        RULES,
    )
    assert [r.customer_id for r in records] == ["a", "b"]
    a, b = records
    assert (a.region, a.loyalty_tier, a.created_at) == (None, "bronze", at(5))
    assert (b.given_name, b.region, b.loyalty_tier) == ("Wei", "Jiangsu", "gold")
    assert b.provenance["region"].external_id == "gone"
    assert b.created_at == at(1)  # the merged-away customer was created first
