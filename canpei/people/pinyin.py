"""Pinyin forms of a name for search: 张三 → "zhangsan" and "zs"."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pypinyin import Style, lazy_pinyin

# Surnames read differently from the same character in ordinary words.
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha", "朴": "piao",
    "覃": "qin", "盖": "ge", "缪": "miao", "翟": "zhai", "种": "chong", "尉": "yu", "乐": "yue",
    "繁": "po", "召": "shao", "员": "yun", "万": "wan", "沈": "shen", "柏": "bai", "长": "chang",
}


def _latin_words(chunk: str) -> Any:
    """What stands for a run of characters without pinyin: its Latin words, one a syllable.

    Names the registry allows in Latin letters ("Anna") are then found by their letters like
    any other name; separators (·, spaces) and anything else are dropped.
    """
    return re.findall(r"[A-Za-z]+", chunk)


@lru_cache(maxsize=65536)
def name_pinyin(name: str) -> tuple[str, str]:
    """Return (full pinyin, initials), lower case ASCII with no separators."""
    if not name:
        return "", ""
    syllables = lazy_pinyin(name, style=Style.NORMAL, errors=_latin_words)
    if name[0] in SURNAME_READINGS and syllables:
        syllables[0] = SURNAME_READINGS[name[0]]
    syllables = ["".join(ch for ch in s.lower() if ch.isascii() and ch.isalpha()) for s in syllables]
    syllables = [s for s in syllables if s]
    return "".join(syllables), "".join(s[0] for s in syllables)
