"""Addresses, cities, regions and postcodes as the model compares them.

- City and region are read as pinyin without their administrative suffix (``北京市``, ``北京``, ``Beijing`` and
  ``BEIJING SHI`` are all ``beijing``); a province's one-character short name (``粤``) is its full name, from the
  abbreviations of GB/T 2260.
- An address is folded (simplified characters, full-width digits, case), its street-type words spelled out
  (``st`` → ``street``), and written without spaces or punctuation, so ``7 Wallaby Pl.`` meets ``7 wallabyplace``;
  a Chinese address loses a leading province and city it repeats (``北京市朝阳区…`` → ``朝阳区…``).
- A postcode keeps its digits (or letters and digits, upper case, for other countries' codes).
"""

from __future__ import annotations

import re
from functools import lru_cache

from graph_store.resolution.matching.text import fold, has_han, pinyin, squash, words

PROVINCE_SHORT_NAMES = {
    "京": "北京", "津": "天津", "沪": "上海", "渝": "重庆", "冀": "河北", "豫": "河南", "云": "云南",
    "滇": "云南", "辽": "辽宁", "黑": "黑龙江", "湘": "湖南", "皖": "安徽", "鲁": "山东", "新": "新疆",
    "苏": "江苏", "浙": "浙江", "赣": "江西", "鄂": "湖北", "桂": "广西", "甘": "甘肃", "陇": "甘肃",
    "晋": "山西", "蒙": "内蒙古", "陕": "陕西", "秦": "陕西", "吉": "吉林", "闽": "福建", "贵": "贵州",
    "黔": "贵州", "粤": "广东", "青": "青海", "藏": "西藏", "川": "四川", "蜀": "四川", "宁": "宁夏",
    "琼": "海南", "港": "香港", "澳": "澳门", "台": "台湾",
}  # fmt: skip
"""GB/T 2260 short names of China's provincial divisions (with their common second forms)."""

_HAN_ADMIN_SUFFIX = re.compile(
    r"(特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|省|市|区|县|盟|地区)$"
)
_LATIN_ADMIN_SUFFIX = re.compile(r"\s+(shi|city|province|sheng|prefecture|district|qu|xian|county)$")
_LEADING_REGION_CITY = re.compile(r"^(?:[\u4e00-\u9fff]{2,3}(?:省|自治区))?(?:[\u4e00-\u9fff]{2,3}市)?")

STREET_WORDS = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue", "pl": "place",
    "cres": "crescent", "cr": "crescent", "ct": "court", "crt": "court", "dr": "drive", "cct": "circuit",
    "cir": "circuit", "tce": "terrace", "ter": "terrace", "pde": "parade", "hwy": "highway", "ln": "lane",
    "cl": "close", "blvd": "boulevard", "sq": "square", "gr": "grove", "mt": "mount", "apt": "apartment",
    "bldg": "building", "fl": "floor", "rm": "room", "no": "", "nr": "", "unit": "unit",
}  # fmt: skip
"""Street-type abbreviations of English-language addresses, spelled out."""


@lru_cache(maxsize=65536)
def place(value: str) -> str | None:
    """A city or region as pinyin without its administrative suffix; None when empty."""
    text = fold(value)
    if not text:
        return None
    if has_han(text):
        text = squash(text)
        text = PROVINCE_SHORT_NAMES.get(text, text)
        stripped = _HAN_ADMIN_SUFFIX.sub("", text)
        return pinyin(stripped if len(stripped) >= 2 else text) or None
    text = _LATIN_ADMIN_SUFFIX.sub("", text)
    return squash(text) or None


@lru_cache(maxsize=65536)
def address(value: str) -> str | None:
    """A street address written one way: folded, street words spelled out, no spaces; None when empty."""
    text = fold(value)
    if not text:
        return None
    if has_han(text):
        text = squash(text)
        return _LEADING_REGION_CITY.sub("", text) or text
    return "".join(STREET_WORDS.get(w, w) for w in words(text)) or None


def postcode(value: str) -> str | None:
    text = squash(fold(value)).upper()
    return text or None
