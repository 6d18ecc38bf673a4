"""Pinyin search forms of a name: canpei.people.pinyin."""

from __future__ import annotations

import pytest

from canpei.people.pinyin import name_pinyin


@pytest.mark.parametrize("name, full, initials", [
    ("张三", "zhangsan", "zs"),
    ("欧阳娜娜", "ouyangnana", "oynn"),
    ("曾小明", "zengxiaoming", "zxm"),     # surname 曾 is zeng, not ceng
    ("单田芳", "shantianfang", "stf"),     # surname 单 is shan, not dan
    ("解缙", "xiejin", "xj"),
    ("区家明", "oujiaming", "ojm"),
    ("长孙无忌", "changsunwuji", "cswj"),
    ("吕布", "lvbu", "lb"),                # ü typed as v, as on a pinyin keyboard
    ("李 四", "lisi", "ls"),
    ("买买提·艾力", "maimaitiaili", "mmtal"),
    ("Anna", "anna", "a"),
    ("Anna Li", "annali", "al"),
    ("张Tom", "zhangtom", "zt"),
    ("", "", ""),
])
def test_it_gives_the_full_pinyin_and_the_initials(name, full, initials):
    assert name_pinyin(name) == (full, initials)


def test_only_the_surname_takes_the_surname_reading():
    # 曾 inside a given name keeps its ordinary reading.
    assert name_pinyin("曾曾") == ("zengceng", "zc")
