"""Text folding shared by every attribute: one spelling per way of writing a value.

Chinese text is folded to simplified characters (OpenCC's ``t2s`` tables) and read as pinyin (pypinyin's
dictionaries); Latin text is case-folded and stripped of accents, so ``張偉``, ``张伟``, ``Zhang Wei`` and
``ZHĀNG wei`` can meet. Every function is pure and cached: the same values recur across records.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc
from pypinyin import Style, lazy_pinyin

_T2S = opencc.OpenCC("t2s")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
"""CJK unified ideographs (with extension A and the compatibility block)."""
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
_SPACES = re.compile(r"\s+")


def has_han(text: str) -> bool:
    return HAN.search(text) is not None


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII), simplified Chinese, lower case, no accents, one space."""
    text = unicodedata.normalize("NFKC", text)
    if has_han(text):
        text = _T2S.convert(text)
    text = text.casefold().replace("ü", "v")  # pinyin's ü is typed v: Lü and 吕 (lv) meet
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip()


def squash(text: str) -> str:
    """Letters, digits and Chinese characters only: spacing and punctuation never decide a comparison."""
    return _NOT_WORD.sub("", text)


def words(text: str) -> list[str]:
    return [w for w in _NOT_WORD.split(text) if w]


@lru_cache(maxsize=65536)
def pinyin(text: str) -> str:
    """Toneless pinyin of the Chinese characters in ``text`` (other characters kept), no separators: ``lvjia``.

    ``ü`` is written ``v`` (as in pypinyin and on Chinese keyboards), as :func:`fold` writes a Latin ``ü``."""
    return "".join(lazy_pinyin(text, style=Style.NORMAL, errors="default", v_to_u=False))
