"""Messages made from a field's label (canpei.validation: fill_in, too_long_for, one_of, ...):
the Chinese is the whole sentence, each language says it its own way, and a field declared with
its label on `Fields` refuses with them (issue 9: one toolkit in place of a constant a message)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import models
from django.utils import translation

from canpei.errors import InvalidInput
from canpei.errors import Message as _
from canpei.validation import (
    DATE_REQUIRED,
    Fields,
    choose,
    date_format,
    fill_in,
    not_after_today,
    not_before,
    one_of,
    too_long_for,
)

TITLE = _("案例标题")


class Grade(models.TextChoices):
    FIRST = "first", _("一等奖")
    SECOND = "second", _("二等奖")


def test_each_message_is_the_chinese_sentence():
    assert fill_in(TITLE) == "请填写案例标题"
    assert choose(TITLE) == "请选择案例标题"
    assert too_long_for(TITLE, 100) == "案例标题不能超过 100 个字符"
    assert one_of(TITLE, Grade) == "案例标题须为一等奖、二等奖之一"
    assert not_after_today(TITLE) == "案例标题不能晚于今天"
    assert not_before(TITLE) == "案例标题不能早于 2000-01-01"
    assert not_before(TITLE, dt.date(2019, 3, 1)) == "案例标题不能早于 2019-03-01"
    assert date_format(TITLE) == "案例标题格式须为 YYYY-MM-DD"


def test_each_message_is_shown_in_the_readers_language():
    with translation.override("en"):
        assert str(fill_in(_("备注"))) == "Note is required"
        assert str(too_long_for(_("备注"), 200)) == "Note: at most 200 characters"
    with translation.override("zh-hans"):
        assert str(fill_in(_("备注"))) == "请填写备注"


def refusals(data, declare, *, current=None):
    fields = Fields(data, allowed=set(data), current=current)
    declare(fields)
    with pytest.raises(InvalidInput) as caught:
        fields.finish()
    return dict(caught.value.errors)


def test_a_text_field_with_its_label_refuses_blank_and_long_text():
    def declare(f):
        f.text("title", label=TITLE, max_length=3, required=True)

    assert refusals({"title": " "}, declare) == {"title": "请填写案例标题"}
    assert refusals({"title": "一二三四"}, declare) == {"title": "案例标题不能超过 3 个字符"}
    f = Fields({"title": "一二三"}, allowed={"title"})
    f.text("title", label=TITLE, max_length=3, required=True)
    assert f.finish() == {"title": "一二三"}


def test_a_given_message_wins_over_the_labels():
    def declare(f):
        f.text("title", label=TITLE, max_length=3, too_long="太长", required="要写")

    assert refusals({"title": ""}, declare) == {"title": "要写"}
    assert refusals({"title": "一二三四"}, declare) == {"title": "太长"}


def test_a_text_field_without_label_or_message_is_a_programming_error():
    with pytest.raises(TypeError, match="^a field without its message needs its label$"):
        Fields({"title": "x"}, allowed={"title"}).text("title", max_length=3)
    with pytest.raises(TypeError, match="^required=True needs the field's label$"):
        Fields({"title": ""}, allowed={"title"}).text(
            "title", max_length=3, too_long="太长", required=True
        )


def test_a_choice_with_its_label_names_the_tables_labels_or_asks_to_choose():
    def declare(f):
        f.choice("grade", Grade, label=_("获奖等次"), required=True)

    assert refusals({"grade": "third"}, declare) == {"grade": "获奖等次须为一等奖、二等奖之一"}
    assert refusals({"grade": ""}, declare) == {"grade": "请选择获奖等次"}
    f = Fields({"grade": "second"}, allowed={"grade"})
    f.choice("grade", Grade, label=_("获奖等次"))
    assert f.finish() == {"grade": "second"}


def test_an_optional_choice_left_blank_says_the_values_not_choose():
    def declare(f):
        f.choice("grade", Grade, label=_("获奖等次"))

    assert refusals({"grade": ""}, declare) == {"grade": "获奖等次须为一等奖、二等奖之一"}


def test_a_choice_without_a_message_needs_a_label_and_a_code_table():
    message = "^a choice without its message needs its label and code table$"
    with pytest.raises(TypeError, match=message):
        Fields({"grade": "x"}, allowed={"grade"}).choice("grade", Grade)
    with pytest.raises(TypeError, match=message):
        Fields({"grade": "x"}, allowed={"grade"}).choice("grade", {"a"}, label=TITLE)


DAY = _("服务日期")


@mock.patch("django.utils.timezone.localdate", return_value=dt.date(2026, 5, 10))
def test_a_day_with_its_label_refuses_blank_bad_early_and_future_days(_today):
    def declare(f):
        f.day_since("day", label=DAY, required=True, future=True)

    assert refusals({"day": ""}, declare) == {"day": "请填写服务日期"}
    assert refusals({"day": "2026-13-01"}, declare) == {"day": "服务日期格式须为 YYYY-MM-DD"}
    assert refusals({"day": "1999-12-31"}, declare) == {"day": "服务日期不能早于 2000-01-01"}
    assert refusals({"day": "2026-05-11"}, declare) == {"day": "服务日期不能晚于今天"}
    for good in ("2000-01-01", "2026-05-10"):
        f = Fields({"day": good}, allowed={"day"})
        f.day_since("day", label=DAY, required=True, future=True)
        assert f.finish() == {"day": dt.date.fromisoformat(good)}


@mock.patch("django.utils.timezone.localdate", return_value=dt.date(2026, 5, 10))
def test_a_day_without_future_allowed_and_an_earliest_of_its_own(_today):
    def declare(f):
        f.day_since("day", label=DAY, required=True, earliest=dt.date(2019, 1, 1))

    assert refusals({"day": "2018-12-31"}, declare) == {"day": "服务日期不能早于 2019-01-01"}
    f = Fields({"day": "2027-01-01"}, allowed={"day"})
    f.day_since("day", label=DAY, required=True, earliest=dt.date(2019, 1, 1))
    assert f.finish() == {"day": dt.date(2027, 1, 1)}


def test_a_day_without_label_keeps_the_shared_date_required_message():
    def declare(f):
        f.day_since("day", required=True, invalid="坏", too_early="早")

    assert refusals({"day": ""}, declare) == {"day": DATE_REQUIRED}
    assert DATE_REQUIRED == "请填写日期"


@mock.patch("django.utils.timezone.localdate", return_value=dt.date(2026, 5, 10))
def test_a_day_with_messages_of_its_own_says_them(_today):
    def declare(f):
        f.day_since(
            "day", required="要日期", invalid="坏日期", too_early="太早", future="不能是将来"
        )

    assert refusals({"day": ""}, declare) == {"day": "要日期"}
    assert refusals({"day": "x"}, declare) == {"day": "坏日期"}
    assert refusals({"day": "1999-12-31"}, declare) == {"day": "太早"}
    assert refusals({"day": "2026-05-11"}, declare) == {"day": "不能是将来"}

    def labelled(f):
        f.day_since("day", label=DAY, required=True, future="不能是将来")

    assert refusals({"day": "2026-05-11"}, labelled) == {"day": "不能是将来"}
