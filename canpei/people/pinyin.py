"""Pinyin forms of a name for search: 张三 → "zhangsan" and "zs"."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from collections.abc import Callable

from pypinyin import Style
from pypinyin.converter import UltimateConverter
from pypinyin.core import Pinyin

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


class _RememberingConverter(UltimateConverter):
    """pypinyin's converter with lazy_pinyin's defaults, remembering what each word gives.

    Segmenting a name into words depends on the whole name and still runs every time; turning a
    word into its style (~15 µs) depends on the word alone, and names repeat their characters.
    An import of 100,000 persons spent seconds here.
    """

    LIMIT = 200_000

    def __init__(self) -> None:
        super().__init__(v_to_u=False, neutral_tone_with_five=False, tone_sandhi=False)
        self._seen: dict[tuple[Any, ...], list[list[str]]] = {}

    def convert(self, words: str, style: Style, heteronym: bool,
                errors: Callable[[str], str] | str, strict: bool = True,
                **kwargs: Any) -> list[list[str]]:
        if errors is not _latin_words or kwargs:
            return super().convert(words, style, heteronym, errors, strict, **kwargs)
        key = (words, style, heteronym, strict)
        found = self._seen.get(key)
        if found is None:
            found = super().convert(words, style, heteronym, errors, strict)
            if len(self._seen) < self.LIMIT:
                self._seen[key] = found
        # Copies: pypinyin's callers may change what they are given.
        return [list(item) for item in found]


# lazy_pinyin(name, style=NORMAL, errors=_latin_words) builds this same pair on every call.
_PINYIN = Pinyin(_RememberingConverter())


@lru_cache(maxsize=65536)
def name_pinyin(name: str) -> tuple[str, str]:
    """Return (full pinyin, initials), lower case ASCII with no separators."""
    if not name:
        return "", ""
    syllables = _PINYIN.lazy_pinyin(name, style=Style.NORMAL, errors=_latin_words)
    if name[0] in SURNAME_READINGS and syllables:
        syllables[0] = SURNAME_READINGS[name[0]]
    syllables = ["".join(ch for ch in s.lower() if ch.isascii() and ch.isalpha()) for s in syllables]
    syllables = [s for s in syllables if s]
    return "".join(syllables), "".join(s[0] for s in syllables)
