"""The validation collector (canpei.validation.Fields) check by check, and the database's own
choices check (issue 18: mutation testing found these read only through the services)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import models

from canpei.errors import InvalidInput
from canpei.validation import (
    TEXT_INVALID,
    UNKNOWN_FIELD,
    Fields,
    bad_text,
    choice_values,
    choices_constraint,
    parse_text,
)

ALLOWED = {"name", "day", "count", "hours", "amount", "flag", "phone", "kind"}


class Kind(models.TextChoices):
    A = "a", "甲"
    B = "b", "乙"


def checked(data, *, current=None):
    fields = Fields(data, allowed=ALLOWED, current=current)
    fields.text("name", max_length=3, too_long="名称过长", required="请填写名称")
    fields.date("day", required="请填写日期")
    fields.integer("count", low=1, high=9, message="人数须为 1 至 9", required=True)
    fields.decimal(
        "hours",
        low=Decimal("0.5"),
        high=Decimal("24"),
        places=1,
        message="课时须为 0.5 至 24",
        required=True,
    )
    fields.money("amount", message="金额无效", required="请填写金额")
    fields.boolean("flag")
    fields.phone("phone")
    fields.choice("kind", Kind, "类别须为 a 或 b", required=True, missing="请选择类别")
    return fields


def test_a_record_created_with_every_field_good_keeps_every_value():
    data = {
        "name": " 张三 ",
        "day": "2026-01-31",
        "count": "3",
        "hours": "1.5",
        "amount": "12.30",
        "flag": "是",
        "phone": "13800138000",
        "kind": "b",
    }
    assert checked(data).finish() == {
        "name": "张三",
        "day": dt.date(2026, 1, 31),
        "count": 3,
        "hours": Decimal("1.5"),
        "amount": Decimal("12.30"),
        "flag": True,
        "phone": "13800138000",
        "kind": "b",
    }


def test_a_record_created_without_its_required_fields_hears_of_each():
    with pytest.raises(InvalidInput) as refused:
        checked({}).finish()
    assert refused.value.errors == [
        ("name", "请填写名称"),
        ("day", "请填写日期"),
        ("count", "人数须为 1 至 9"),
        ("hours", "课时须为 0.5 至 24"),
        ("amount", "请填写金额"),
        ("kind", "请选择类别"),
    ]


def test_an_update_checks_only_the_fields_given():
    current = SimpleNamespace(name="李四", count=2)
    fields = checked({"count": "7", "hours": "2.5"}, current=current)
    assert fields.finish() == {"count": 7, "hours": Decimal("2.5")}
    assert (fields.final("count"), fields.final("name"), fields.final("kind", "x")) == (
        7,
        "李四",
        "x",
    )


def test_bad_values_are_refused_each_with_its_message():
    data = {
        "name": "张三丰五",
        "day": "2026-02-30",
        "count": "10",
        "hours": "0.25",
        "amount": "-1",
        "flag": "也许",
        "phone": "12345",
        "kind": "c",
    }
    fields = checked(data, current=SimpleNamespace())
    assert fields.failed("count") and fields.failed("name", "x") and not fields.failed("x")
    with pytest.raises(InvalidInput) as refused:
        fields.finish()
    assert [field for field, _message in refused.value.errors] == [
        "name",
        "day",
        "count",
        "hours",
        "amount",
        "flag",
        "phone",
        "kind",
    ]
    assert dict(refused.value.errors)["hours"] == "课时须为 0.5 至 24"


def test_raw_reads_the_input_or_the_default():
    fields = Fields({"name": "x"}, allowed=ALLOWED)
    assert (fields.raw("name"), fields.raw("day"), fields.raw("day", 5)) == ("x", None, 5)
    assert fields.wanted("day") and not Fields({}, allowed=ALLOWED, current=1).wanted("day")


def test_an_unknown_field_and_bad_text_are_refused_and_the_rest_checked():
    fields = Fields(
        {"name": "a\x07", "other": "1", "count": "3"},
        allowed=ALLOWED,
        current=SimpleNamespace(),
        refuse=lambda key: "不能修改" if key == "count" else None,
    )
    fields.text("name", max_length=3, too_long="名称过长")
    with pytest.raises(InvalidInput) as refused:
        fields.finish()
    assert refused.value.errors == [
        ("other", UNKNOWN_FIELD),
        ("count", "不能修改"),
        ("name", TEXT_INVALID),
    ]


def test_line_breaks_and_tabs_alone_are_not_bad_text_other_controls_are():
    assert not bad_text("甲\n乙\r\n丙\t丁X")
    assert bad_text("甲\x0b乙") and bad_text("\x00") and bad_text("\ud800")


def test_the_database_check_of_a_choice_allows_blank_only_where_told():
    assert choices_constraint("kind", Kind, "k").condition == models.Q(kind__in=["a", "b"])
    assert choices_constraint("kind", Kind, "k", blank=True).condition == models.Q(
        kind__in=["a", "b", ""]
    )


def test_a_code_tables_values_are_built_once_and_shared():
    first = choice_values(Kind)
    assert first == {"a", "b"}
    assert choice_values(Kind) is first
    assert choice_values(["x", "y"]) == ["x", "y"]


def test_text_keeps_its_line_breaks_unless_told_to_fold_them():
    errors: list[tuple[str, str]] = []
    assert parse_text(" 一\n二  三 ", "note", errors, max_length=10, too_long="长") == "一\n二  三"
    assert (
        parse_text(" 一\n二  三 ", "note", errors, max_length=10, too_long="长", single_line=True)
        == "一 二 三"
    )
    assert errors == []


def test_a_refused_field_is_not_checked_again():
    """The refusal is the field's one message: its declared check does not run on the value."""
    fields = Fields(
        {"name": "太长的名字", "day": "2020-01-01"},
        allowed=ALLOWED,
        current=SimpleNamespace(name="甲"),
        refuse=lambda key: "名称登记后不能修改" if key == "name" else None,
    )
    fields.text("name", max_length=3, too_long="名称过长")
    fields.date("day")
    with pytest.raises(InvalidInput) as caught:
        fields.finish()
    assert caught.value.errors == [("name", "名称登记后不能修改")]
