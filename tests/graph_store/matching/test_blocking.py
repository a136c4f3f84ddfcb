"""Blocking keys: spellings of one person share keys, different people with only a common name do not."""

from __future__ import annotations

from graph_store.resolution.matching import blocking_keys, prepare


def keys(**record: object) -> frozenset[str]:
    return blocking_keys(prepare(record))


def test_identifiers_are_keys_whatever_their_spelling() -> None:
    a = keys(phone=["+8613812345678"], email=["Li.Na@Mail.cn"], wechat_unionid="oU_1")
    b = keys(phone=["138 1234 5678"])
    c = keys(email=[" li.na@mail.cn "])
    d = keys(wechat_unionid=["oU_1"])
    assert a & b == {"p:13812345678"}
    assert a & c == {"e:li.na@mail.cn"}
    assert a & d == {"w:u:oU_1"}


def test_a_typo_in_one_name_keeps_a_name_and_date_key() -> None:
    a = keys(full_name="张伟", birth_date="1985-03-04", city="北京")
    b = keys(full_name="Zhang Wei", birth_date="1985/3/4")  # other order, pinyin
    c = keys(full_name="张玮", birth_date="19850304")  # a homophone typed for the given name
    assert a & b  # both names in either order with the year
    assert "fd:zhang|1985-03-04" in a & c


def test_namesakes_without_dates_share_only_a_name_and_city_key() -> None:
    a = keys(full_name="王伟", city="上海", phone="13900000001")
    b = keys(full_name="王伟", city="北京", phone="13900000002")
    assert a & b == frozenset()
    c = keys(full_name="王伟", city="上海市", phone="13900000003")
    assert a & c == {"nc:wang|wei|shanghai"}


def test_device_ids_are_never_keys() -> None:
    assert keys(device_id=["POS-TABLET-001"]) == frozenset()
