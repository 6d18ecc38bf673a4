"""Codes typed in spreadsheets: a national digit, a slug, or the Chinese label."""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Iterable

from django.conf import settings
from django.utils import translation

from canpei.spreadsheets.reader import normalize_header

# The ways a clerk writes a digit, yes and no: Chinese by design.
CHINESE_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7"}  # zh-data

TRUE_WORDS = {"是", "有", "√", "✓", "y", "yes", "true", "1", "t"}  # zh-data
FALSE_WORDS = {"否", "无", "没有", "×", "n", "no", "false", "0", "f", ""}  # zh-data


def code_lookup(choices: Iterable[tuple[str, str]], *extra: tuple[str, str]) -> dict[str, str]:
    """Map every way of writing a code to the code: '4', '肢体残疾', '肢体', '四级' …"""
    table: dict[str, str] = {}
    for code, label in list(choices) + list(extra):
        # A table's labels translate themselves: a sheet is read in the national (Chinese)
        # wording whatever language is active when the lookup is built.
        with translation.override(settings.LANGUAGE_CODE):
            label = str(label)
        for key in {code, label, normalize_header(label), label.removesuffix("残疾"),  # zh-data
                    label.removesuffix("级")}:
            if key:
                table[normalize_header(key).lower()] = code
    return table


@lru_cache(maxsize=4096)
def _key(value: str) -> str:
    # A column of codes repeats a handful of values: normalise each once per process.
    return normalize_header(value).lower()


def to_code(value: str, table: dict[str, str]) -> str:
    """The code for a typed value; an unknown value is returned unchanged for the rule to reject."""
    key = _key(value)
    if key in table:
        return table[key]
    key = "".join(CHINESE_DIGITS.get(ch, ch) for ch in key)
    if key in table:
        return table[key]
    # 2级, 4类
    return table.get(key.removesuffix("级").removesuffix("类"), value.strip())  # zh-data


def to_bool(value: str) -> bool | str:
    key = _key(value)
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    return value


def to_list(value: str) -> list[str]:
    return [part for part in re.split(r"[,，、;；/\s]+", value.strip()) if part]
