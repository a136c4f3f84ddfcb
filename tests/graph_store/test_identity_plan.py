"""The identity plan of a batch, without a server: what the graph knows goes in, the decisions come out."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

import pytest

from graph_store.identifiers import Identifier, IdentifierType, normalize
from graph_store.resolution.plan import Event, KnownCustomer, KnownRecord, NewCustomer, Plan, plan_batch
from graph_store.resolution.records import RawIdentifier, SourceRecord, ValidRecord, validate
from graph_store.resolution.rules import DEFAULT_RULES, MatchingRules, load_rules, parse_rules

RULES = load_rules(DEFAULT_RULES)
T = IdentifierType
MOBILE = "13912345678"
OTHER_MOBILE = "13987654321"


def at(day: int) -> datetime:
    return datetime(2026, 10, day, tzinfo=UTC)


def valid(
    system: str, external_id: str, *identifiers: tuple[IdentifierType, str], day: int = 1
) -> ValidRecord:
    checked = validate(
        SourceRecord(system, external_id, at(day), {}, tuple(RawIdentifier(t, v) for t, v in identifiers)),
        "CN",
    )
    assert isinstance(checked, ValidRecord)
    return checked


def ident(kind: IdentifierType, raw: str) -> Identifier:
    return normalize(kind, raw)


def customer(
    id: str, *holdings: Identifier, day: int = 1, system: str = "crm", split_from: Iterable[str] = ()
) -> KnownCustomer:
    return KnownCustomer(id, at(day), system, frozenset(holdings), frozenset(split_from))


def ids() -> Callable[[], str]:
    serial = itertools.count(1)
    return lambda: f"new-{next(serial)}"


def plan(
    batch: list[ValidRecord],
    customers: Iterable[KnownCustomer] = (),
    known: Mapping[str, KnownRecord] | None = None,
    rules: MatchingRules = RULES,
) -> Plan:
    return plan_batch(batch, known or {}, list(customers), rules, new_id=ids())


def test_a_record_no_customer_knows_creates_one() -> None:
    record = valid("crm", "C1", (T.PHONE, MOBILE), (T.CRM_ID, "CRM1"), day=3)
    result = plan([record])
    [outcome] = result.outcomes
    assert (outcome.key, outcome.status, outcome.customer_id) == ("crm:C1", "created", "new-1")
    assert result.created == [NewCustomer("new-1", at(3), "crm")]
    [written] = result.records
    assert (written.customer, written.origin) == ("new-1", "new-1")
    assert [i.type for i in written.linked] == [T.CRM_ID, T.PHONE]  # priority order
    assert result.merges == {}
    assert result.events == []


def test_a_shared_identifier_links_the_record_to_the_customer_holding_it() -> None:
    phone = ident(T.PHONE, MOBILE)
    record = valid("ecommerce", "E1", (T.PHONE, MOBILE), (T.EMAIL, "wei@shop.cn"))
    result = plan([record], [customer("a", phone, ident(T.CRM_ID, "CRM1"))])
    [outcome] = result.outcomes
    assert (outcome.status, outcome.customer_id, outcome.merged) == ("linked", "a", [])
    assert result.created == []
    [written] = result.records
    assert written.customer == "a"
    assert {i.key for i in written.linked} == {phone.key, "email:wei@shop.cn"}


def test_a_record_naming_two_customers_merges_them_into_the_oldest() -> None:
    phone, email = ident(T.PHONE, MOBILE), ident(T.EMAIL, "wei@shop.cn")
    record = valid("pos", "P1", (T.PHONE, MOBILE), (T.EMAIL, "wei@shop.cn"))
    result = plan([record], [customer("a", phone, day=5), customer("b", email, day=2)])
    [outcome] = result.outcomes
    assert (outcome.status, outcome.customer_id, outcome.merged) == ("merged", "b", ["a"])
    assert result.merges == {"a": "b"}
    # The merge names the identifier that brought the merged customer in; a link event, the one that joined the
    # record to the survivor: both sides of the bridge are explained.
    assert result.events == [
        Event("merge", "b", "a", "pos:P1", "shared identifier", (phone.key,)),
        Event("link", "b", "", "pos:P1", "shared identifier", (email.key,)),
    ]
    assert result.records[0].customer == "b"


def test_the_survivor_follows_source_priority_when_configured() -> None:
    rules = parse_rules(
        {"matching": {"survivor": "source_priority", "source_priority": ["crm", "ecommerce"]}}
    )
    phone, email = ident(T.PHONE, MOBILE), ident(T.EMAIL, "wei@shop.cn")
    record = valid("pos", "P1", (T.PHONE, MOBILE), (T.EMAIL, "wei@shop.cn"))
    older = customer("a", phone, day=1, system="ecommerce")
    newer = customer("b", email, day=9, system="crm")
    result = plan([record], [older, newer], rules=rules)
    assert result.outcomes[0].customer_id == "b"
    assert result.merges == {"a": "b"}


def test_a_blocked_value_links_nothing() -> None:
    junk = ident(T.EMAIL, "test@shop.cn")
    record = valid("app", "A1", (T.EMAIL, "test@shop.cn"))
    result = plan([record], [customer("a", junk)])
    [outcome] = result.outcomes
    assert (outcome.status, outcome.customer_id) == ("created", "new-1")
    assert [(i, pattern) for i, pattern in outcome.blocked] == [(junk, "^test@")]
    assert result.records[0].linked == []
    assert result.records[0].blocked == outcome.blocked


def test_an_identifier_past_a_limit_yields_and_is_recorded_as_a_conflict() -> None:
    """A family phone does not merge a second CRM customer into mum's: the phone yields, CRM2 stands alone."""
    phone = ident(T.PHONE, MOBILE)
    record = valid("crm", "C2", (T.CRM_ID, "CRM2"), (T.PHONE, MOBILE))
    result = plan([record], [customer("mum", phone, ident(T.CRM_ID, "CRM1"))])
    [outcome] = result.outcomes
    assert (outcome.status, outcome.customer_id) == ("created", "new-1")
    [(yielded, reason)] = outcome.conflicts
    assert yielded == phone
    assert "2 crm_id identifiers" in reason
    assert [i.key for i in result.records[0].linked] == ["crm_id:CRM2"]
    assert result.records[0].conflicts == outcome.conflicts
    assert result.events == [Event("conflict", "new-1", phone.key, "crm:C2", reason, (phone.key,))]
    assert result.merges == {}


def test_the_lowest_priority_identifier_yields_to_the_limit() -> None:
    email, device = ident(T.EMAIL, "wei@shop.cn"), ident(T.DEVICE_ID, "DEV-1")
    record = valid("app", "A1", (T.DEVICE_ID, "DEV-1"), (T.EMAIL, "wei@shop.cn"))
    result = plan(
        [record],
        [customer("a", email, ident(T.CRM_ID, "CRM1")), customer("b", device, ident(T.CRM_ID, "CRM2"))],
    )
    [outcome] = result.outcomes
    assert (outcome.status, outcome.customer_id) == ("linked", "a")
    assert [i for i, _ in outcome.conflicts] == [device]
    assert result.merges == {}


def test_customers_parted_by_a_split_do_not_merge_again() -> None:
    phone, email = ident(T.PHONE, MOBILE), ident(T.EMAIL, "wei@shop.cn")
    record = valid("pos", "P1", (T.PHONE, MOBILE), (T.EMAIL, "wei@shop.cn"))
    result = plan([record], [customer("a", phone, split_from=["b"]), customer("b", email)])
    [outcome] = result.outcomes
    assert (outcome.status, outcome.customer_id) == ("linked", "b")  # email outranks phone
    [(yielded, reason)] = outcome.conflicts
    assert yielded == phone
    assert "were split" in reason
    assert result.merges == {}


def test_a_record_stored_with_the_same_content_is_unchanged() -> None:
    record = valid("crm", "C1", (T.PHONE, MOBILE))
    known = {"crm:C1": KnownRecord(record.content_hash, "a")}
    result = plan([record], [customer("a", ident(T.PHONE, MOBILE))], known)
    [outcome] = result.outcomes
    assert (outcome.status, outcome.customer_id) == ("unchanged", "a")
    assert result.records == []
    assert result.created == []
    assert result.events == []


def test_a_record_repeated_in_one_batch_is_unchanged_the_second_time() -> None:
    """One batch decides as its records ingested one by one would: the relay applies several events as one."""
    record = valid("crm", "C1", (T.PHONE, MOBILE))
    changed = valid("crm", "C1", (T.PHONE, MOBILE), (T.EMAIL, "wei@shop.cn"), day=2)
    result = plan([record, record, changed])
    assert [(o.status, o.customer_id) for o in result.outcomes] == [
        ("created", "new-1"),
        ("unchanged", "new-1"),
        ("linked", "new-1"),
    ]
    assert [r.valid.content_hash for r in result.records] == [record.content_hash, changed.content_hash]


def test_a_changed_record_keeps_its_customer_and_can_merge_it() -> None:
    email = ident(T.EMAIL, "wei@shop.cn")
    record = valid("crm", "C1", (T.PHONE, MOBILE), (T.EMAIL, "wei@shop.cn"))
    known = {"crm:C1": KnownRecord("an older hash", "a")}
    result = plan(
        [record], [customer("a", ident(T.PHONE, OTHER_MOBILE), day=1), customer("b", email, day=4)], known
    )
    [outcome] = result.outcomes
    assert (outcome.status, outcome.customer_id, outcome.merged) == ("merged", "a", ["b"])
    assert result.records[0].customer == "a"


def test_a_record_stored_without_a_customer_is_decided_again() -> None:
    record = valid("crm", "C1", (T.PHONE, MOBILE))
    known = {"crm:C1": KnownRecord(record.content_hash, None)}
    result = plan([record], known=known)
    assert result.outcomes[0].status == "created"
    assert len(result.records) == 1


def test_records_of_one_batch_join_the_customers_earlier_ones_created() -> None:
    batch = [
        valid("crm", "C1", (T.PHONE, MOBILE)),
        valid("ecommerce", "E1", (T.PHONE, MOBILE), (T.EMAIL, "wei@shop.cn")),
        valid("app", "A1", (T.EMAIL, "wei@shop.cn")),
    ]
    result = plan(batch)
    assert [(o.status, o.customer_id) for o in result.outcomes] == [
        ("created", "new-1"),
        ("linked", "new-1"),
        ("linked", "new-1"),
    ]
    assert [c.id for c in result.created] == ["new-1"]


def test_a_later_record_merging_two_batch_customers_repoints_the_earlier_ones() -> None:
    batch = [
        valid("crm", "C1", (T.PHONE, MOBILE), day=2),
        valid("ecommerce", "E1", (T.EMAIL, "wei@shop.cn"), day=1),
        valid("pos", "P1", (T.PHONE, MOBILE), (T.EMAIL, "wei@shop.cn"), day=3),
    ]
    result = plan(batch)
    # E1 is older, so its customer survives; C1's outcome and write follow it, its origin stays.
    assert [(o.status, o.customer_id) for o in result.outcomes] == [
        ("created", "new-2"),
        ("created", "new-2"),
        ("merged", "new-2"),
    ]
    assert result.outcomes[2].merged == ["new-1"]
    assert [(r.customer, r.origin) for r in result.records] == [
        ("new-2", "new-1"),
        ("new-2", "new-2"),
        ("new-2", "new-2"),
    ]
    assert result.merges == {"new-1": "new-2"}
    phone = ident(T.PHONE, MOBILE)
    assert result.events == [
        Event("merge", "new-2", "new-1", "pos:P1", "shared identifier", (phone.key,)),
        Event("link", "new-2", "", "pos:P1", "shared identifier", ("email:wei@shop.cn",)),
    ]


def test_a_merge_later_in_the_batch_repoints_an_unchanged_record() -> None:
    phone, email = ident(T.PHONE, MOBILE), ident(T.EMAIL, "wei@shop.cn")
    kept = valid("crm", "C1", (T.PHONE, MOBILE))
    joining = valid("pos", "P1", (T.PHONE, MOBILE), (T.EMAIL, "wei@shop.cn"))
    known = {"crm:C1": KnownRecord(kept.content_hash, "a")}
    result = plan([kept, joining], [customer("a", phone, day=5), customer("b", email, day=2)], known)
    assert [(o.status, o.customer_id) for o in result.outcomes] == [("unchanged", "b"), ("merged", "b")]
    assert result.merges == {"a": "b"}


@pytest.mark.parametrize("limit", [1, 2])
def test_identifiers_a_batch_links_count_towards_the_limit_of_later_records(limit: int) -> None:
    rules = parse_rules({"limits": {"phone": limit}})
    batch = [
        valid("crm", "C1", (T.CRM_ID, "CRM1"), (T.PHONE, MOBILE)),
        valid("app", "A1", (T.CRM_ID, "CRM1"), (T.PHONE, OTHER_MOBILE)),
    ]
    result = plan(batch, rules=rules)
    second = result.outcomes[1]
    assert (second.status, second.customer_id) == ("linked", "new-1")
    if limit == 1:
        assert [i.key for i, _ in second.conflicts] == [ident(T.PHONE, OTHER_MOBILE).key]
    else:
        assert second.conflicts == []
        assert len(result.records[1].linked) == 2
