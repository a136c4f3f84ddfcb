"""Names, birth dates and places written many ways meet in one comparable form; what is unknown stays unknown."""

from __future__ import annotations

from datetime import date

import pytest

from graph_store.resolution.matching.dates import birth_date
from graph_store.resolution.matching.names import NameParts, name_parts
from graph_store.resolution.matching.places import address, place, postcode


@pytest.mark.parametrize(
    ("given", "family", "full"),
    [
        ("伟", "张", None),
        (None, None, "张伟"),
        (None, None, "張偉"),  # traditional characters
        (None, None, "张 伟"),
        ("偉", "張", None),
    ],
)
def test_chinese_spellings_of_one_name_meet(given: str | None, family: str | None, full: str | None) -> None:
    assert name_parts(given, family, full) == NameParts("zhang", "wei", "张", "伟")


@pytest.mark.parametrize("full", ["Zhang Wei", "ZHANG WEI", "Ｚｈａｎｇ Ｗｅｉ", "zhang-wei"])
def test_pinyin_spellings_give_the_same_keys_in_western_order(full: str) -> None:
    parts = name_parts(None, None, full)
    assert (parts.given, parts.family) == ("zhang", "wei")  # first word given: the comparison checks swaps
    assert parts.family_han is None


def test_latin_names_fold_case_accents_hyphens_and_umlaut() -> None:
    assert name_parts("Xiao-Wei", "WANG", None) == NameParts("wang", "xiaowei", None, None)
    assert name_parts(None, None, "Wang, Xiao Wei") == NameParts("wang", "xiaowei", None, None)
    assert name_parts("Bu", "Lü", None).family == name_parts(None, None, "吕布").family == "lv"
    assert name_parts("José", "Núñez", None) == NameParts("nunez", "jose", None, None)


def test_compound_and_polyphonic_surnames() -> None:
    assert name_parts(None, None, "欧阳娜娜") == NameParts("ouyang", "nana", "欧阳", "娜娜")
    assert name_parts(None, None, "单雄信").family == "shan"  # 单 is dan elsewhere
    assert name_parts(None, None, "曾志伟").family == "zeng"
    assert name_parts(None, None, "曾单").given == "dan"  # the surname reading is for the surname only


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("王*", NameParts("wang", None, "王", None)),
        ("王**", NameParts("wang", None, "王", None)),
        ("王*伟", NameParts("wang", None, "王", None)),
        ("*伟", NameParts(None, "wei", None, "伟")),
        ("王先生", NameParts("wang", None, "王", None)),
        ("李女士", NameParts("li", None, "李", None)),
    ],
)
def test_masked_parts_and_forms_of_address_are_unknown(full: str, expected: NameParts) -> None:
    assert name_parts(None, None, full) == expected


@pytest.mark.parametrize(
    "written",
    [
        "1985-03-04",
        "19850304",
        "1985/3/4",
        "1985.03.04",
        "1985年3月4日",
        "04/03/1985",
        "85-03-04",
        date(1985, 3, 4),
    ],
)
def test_birth_date_formats(written: object) -> None:
    parsed = birth_date(written)
    assert (parsed.full, parsed.swapped, parsed.year_month, parsed.year) == (
        "1985-03-04",
        "1985-04-03",
        "1985-03",
        "1985",
    )


def test_birth_date_day_first_unless_impossible() -> None:
    assert birth_date("13/03/1985").full == "1985-03-13"
    assert birth_date("03/13/1985").full == "1985-03-13"
    assert birth_date("1985-03-13").swapped is None  # no 13th month


def test_partial_placeholder_and_mistyped_dates() -> None:
    assert (birth_date("1985-03").full, birth_date("1985-03").year_month) == (None, "1985-03")
    assert (birth_date("1985年3月").year_month, birth_date("1985").year) == ("1985-03", "1985")
    assert birth_date("1900-01-01") == birth_date(None) == birth_date("unknown")
    assert birth_date("19851304").full == "1985-13-04"  # kept as written: one edit from the real date
    assert birth_date("1985-02-30").full is None  # a separated date is read, not kept as written


@pytest.mark.parametrize("written", ["北京市", "北京", "Beijing", "BEIJING SHI", "Beijing City"])
def test_city_spellings_meet(written: str) -> None:
    assert place(written) == "beijing"


def test_province_short_names_and_traditional_characters() -> None:
    assert place("粤") == place("广东省") == place("廣東") == place("Guangdong Province") == "guangdong"
    assert place("臺北市") == place("台北") == "taibei"
    assert place("  ") is None


def test_addresses_meet_across_prefix_width_and_abbreviations() -> None:
    assert address("北京市朝阳区建国路88号") == address("朝阳区建国路８８号") == "朝阳区建国路88号"
    assert address("7 Wallaby Pl.") == address("7 wallaby place") == "7wallabyplace"
    assert address("177 pridham st") == address("177 pridhamstreet")
    assert postcode(" 100 020") == "100020"
    assert postcode("sw1a 1aa") == "SW1A1AA"
