"""Pinyin search forms of a name: canpei.people.pinyin."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canpei.people.pinyin import SURNAME_READINGS, name_pinyin


@pytest.mark.parametrize(
    "name, full, initials",
    [
        ("张三", "zhangsan", "zs"),
        ("欧阳娜娜", "ouyangnana", "oynn"),
        ("曾小明", "zengxiaoming", "zxm"),  # surname 曾 is zeng, not ceng
        ("单田芳", "shantianfang", "stf"),  # surname 单 is shan, not dan
        ("解缙", "xiejin", "xj"),
        ("区家明", "oujiaming", "ojm"),
        ("长孙无忌", "changsunwuji", "cswj"),
        ("吕布", "lvbu", "lb"),  # ü typed as v, as on a pinyin keyboard
        ("李 四", "lisi", "ls"),
        ("买买提·艾力", "maimaitiaili", "mmtal"),
        ("Anna", "anna", "a"),
        ("Anna Li", "annali", "al"),
        ("张Tom", "zhangtom", "zt"),
        ("", "", ""),
    ],
)
def test_it_gives_the_full_pinyin_and_the_initials(name, full, initials):
    assert name_pinyin(name) == (full, initials)


def test_only_the_surname_takes_the_surname_reading():
    # 曾 inside a given name keeps its ordinary reading.
    assert name_pinyin("曾曾") == ("zengceng", "zc")


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            "张王李赵陈林黄吴曾单解区长孙欧阳买提艾力重庆行银乐朴查覃 ·AnaTom明华志强一二三"
        ),
        max_size=8,
    )
)
def test_remembered_words_give_exactly_what_pypinyin_gives(name):
    from pypinyin import Style, lazy_pinyin

    from canpei.people.pinyin import _latin_words

    expected = lazy_pinyin(name, style=Style.NORMAL, errors=_latin_words)
    assert name_pinyin.__wrapped__(name) == name_pinyin.__wrapped__(name)
    full, _initials = name_pinyin.__wrapped__(name)
    plain = ["".join(ch for ch in s.lower() if ch.isascii() and ch.isalpha()) for s in expected]
    if name and name[0] in SURNAME_READINGS and expected:
        plain[0] = SURNAME_READINGS[name[0]]
    assert full == "".join(s for s in plain if s)
