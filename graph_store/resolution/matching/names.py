"""Person names as the model compares them: family and given name, each as pinyin and (when written in Chinese)
as simplified characters.

- Traditional characters fold to simplified (``張偉`` → ``张伟``), Chinese names are read as pinyin with the
  surname readings of the table below (``单`` is ``shan`` as a surname, ``dan`` elsewhere), and Latin spellings
  drop case, accents, spaces and hyphens (``Xiao-Wei`` → ``xiaowei``), so ``王小伟`` meets ``Wang Xiaowei``.
- A masked part (``王*``, ``*伟``, ``王**``, ``王*伟``) or a form of address (``王先生``) is unknown, not a value: it neither agrees nor disagrees.
- A full name alone is split: Chinese after its surname (compound surnames first, ``欧阳娜娜`` → ``欧阳`` +
  ``娜娜``), Latin as given name then family name; the comparisons also look for names given in the other order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from graph_store.resolution.matching.text import fold, has_han, pinyin, squash, words

MASKS = re.compile(r"[*＊×?？●○□■]")
TITLES = frozenset({"先生", "女士", "小姐", "太太", "夫人", "老师", "师傅"})
"""Forms of address written where a given name should be (``王先生``, Mr Wang): the given name is unknown."""

COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "端木",
        "百里",
        "呼延",
        "南宫",
        "独孤",
        "万俟",
        "闻人",
        "澹台",
        "公冶",
        "太史",
        "申屠",
        "濮阳",
        "赫连",
        "西门",
        "拓跋",
        "东郭",
        "第五",
        "左丘",
        "仲孙",
        "单于",
        "司空",
        "亓官",
        "司寇",
        "微生",
        "羊舌",
        "梁丘",
        "公羊",
        "公良",
        "乐正",
        "漆雕",
        "壤驷",
        "谷梁",
        "巫马",
        "完颜",
        "段干",
        "鲜于",
        "东门",
    }
)
"""Two-character surnames of the traditional *Hundred Family Surnames* (百家姓) still in use, simplified."""

SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "缪": "miao",
    "秘": "bi",
    "种": "chong",
    "覃": "qin",
    "翟": "zhai",
    "员": "yun",
    "能": "nai",
    "召": "shao",
    "句": "gou",
    "繁": "po",
    "隗": "wei",
    "薄": "bo",
}
"""How a surname is read where its character has several readings (as in 现代汉语词典's surname entries);
pypinyin's general reading is right for the rest."""


@dataclass(frozen=True, slots=True)
class NameParts:
    family: str | None
    """Pinyin or folded Latin, no spaces; None when absent or masked."""
    given: str | None
    family_han: str | None
    """Simplified characters when the name is written in Chinese, else None."""
    given_han: str | None


@lru_cache(maxsize=65536)
def _part(raw: str, *, surname: bool) -> tuple[str | None, str | None]:
    """(pinyin or Latin key, simplified characters) of one name part; (None, None) when masked or empty."""
    text = fold(raw)
    if not text or MASKS.search(text):
        return None, None
    if has_han(text):
        han = squash(text)
        if not surname and han in TITLES:
            return None, None
        reading = SURNAME_READINGS.get(han) if surname else None
        return (reading or pinyin(han)), han
    key = squash(text)
    return (key or None), None


def _split_han(full: str) -> tuple[str, str]:
    """Family and given name of a Chinese full name (``王小明``, ``欧阳娜娜``, ``王*``)."""
    if len(full) > 2 and full[:2] in COMPOUND_SURNAMES:
        return full[:2], full[2:]
    return full[:1], full[1:]


def _split_latin(full: str) -> tuple[str, str]:
    """Given and family name of a Latin full name: first word given, last word family (``Wei Wang``); ``Wang,
    Wei`` names the family first."""
    full = fold(full)
    if "," in full:
        family, _, given = full.partition(",")
        return given.strip(), family.strip()
    parts = full.split() if MASKS.search(full) else words(full)
    if len(parts) < 2:
        return full, ""
    return " ".join(parts[:-1]), parts[-1]


def name_parts(given: str | None, family: str | None, full: str | None = None) -> NameParts:
    """The comparable parts of a name given as parts, as one full name, or both (the parts win)."""
    given = given.strip() if given else ""
    family = family.strip() if family else ""
    if full and not given and not family:
        folded = fold(full)
        compact = re.sub(r"[\s·•.]+", "", folded)
        if has_han(compact) and len(compact) >= 2:
            family, given = _split_han(compact)
        else:
            given, family = _split_latin(full)
    family_key, family_han = _part(family, surname=True) if family else (None, None)
    given_key, given_han = _part(given, surname=False) if given else (None, None)
    return NameParts(family_key, given_key, family_han, given_han)
