"""The validation toolkit's parsers at their boundaries, both sides, with the literal messages;
and the collector's prologue and epilogue that every validator shares."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canpei import validation as v
from canpei.errors import InvalidInput
from canpei.people.rules import Category


def run(parser, value, **options):
    """The parser's result and the messages it recorded for field "f"."""
    errors: v.Errors = []
    result = parser(value, "f", errors, **options)
    return result, [message for field, message in errors if field == "f"]


# ---- text --------------------------------------------------------------------------------------


@given(st.text(max_size=40))
def test_text_is_trimmed_and_one_line_collapses_white_space(value):
    assert v.text(value) == value.strip()
    assert v.one_line(value) == " ".join(value.split())


def test_text_of_none_is_empty_and_of_a_number_its_digits():
    assert v.text(None) == "" and v.text(12) == "12"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30))
def test_printable_text_is_not_bad(value):
    assert not v.bad_text(value) and not v.bad_text([value, {"k": value}])


@given(
    st.text(max_size=10), st.sampled_from(["\x00", "\x07", "\ud800", "\x1b"]), st.text(max_size=10)
)
def test_a_control_character_or_a_lone_surrogate_is_bad_anywhere(head, bad, tail):
    value = head + bad + tail
    assert v.bad_text(value) and v.bad_text(["ok", value]) and v.bad_text({value: "ok"})


def test_line_breaks_and_tabs_are_not_bad_text_but_nul_is_checked_on_its_own():
    assert not v.bad_text("a\nb\r\tc")
    assert v.has_nul(["a", {"b": "c\x00"}]) and not v.has_nul("a\x07")


@given(st.integers(min_value=1, max_value=50), st.data())
def test_text_up_to_the_limit_is_kept_one_more_is_too_long(limit, data):
    body = data.draw(st.text(alphabet="残疾人abc", min_size=limit, max_size=limit))
    assert run(v.parse_text, body, max_length=limit, too_long="长") == (body, [])
    assert run(v.parse_text, body + "x", max_length=limit, too_long="长") == (None, ["长"])


def test_blank_text_is_empty_unless_required():
    assert run(v.parse_text, "  ", max_length=5, too_long="长") == ("", [])
    assert run(v.parse_text, None, max_length=5, too_long="长", required="必填") == (None, ["必填"])
    assert run(v.parse_text, " a \n b ", max_length=5, too_long="长", single_line=True) == (
        "a b",
        [],
    )


# ---- dates -------------------------------------------------------------------------------------


@given(st.dates())
def test_a_date_reads_from_iso_text_a_date_and_a_datetime(day):
    assert run(v.parse_date, f" {day.isoformat()} ") == (day, [])
    assert run(v.parse_date, day) == (day, [])
    assert run(v.parse_date, dt.datetime.combine(day, dt.time(23, 59))) == (day, [])


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "yesterday", "2026/03/01", "0"])
def test_an_impossible_or_unreadable_date_is_refused(value):
    assert run(v.parse_date, value) == (None, [v.DATE_INVALID])


def test_a_blank_date_is_none_unless_required():
    assert run(v.parse_date, "") == (None, [])
    assert run(v.parse_date, None, required=True) == (None, [v.DATE_REQUIRED])
    assert run(v.parse_date, "", required="请填写调查日期") == (None, ["请填写调查日期"])


def test_a_date_reader_replaces_iso_and_its_value_error_is_the_invalid_message():
    def reader(value):
        if value == "bad":
            raise ValueError
        return dt.date(2026, 1, 31)

    assert run(v.parse_date, "20260131", reader=reader) == (dt.date(2026, 1, 31), [])
    assert run(v.parse_date, "bad", reader=reader, invalid="日期无效") == (None, ["日期无效"])


# ---- integers ----------------------------------------------------------------------------------


@given(st.integers(min_value=-(10**6), max_value=10**6), st.integers(min_value=0, max_value=10**4))
def test_an_integer_inside_the_bounds_is_kept_and_outside_refused(low, span):
    high = low + span
    for inside in (low, high):
        assert run(v.parse_int, inside, low=low, high=high, message="整数") == (inside, [])
        assert run(v.parse_int, f" {inside} ", low=low, high=high, message="整数") == (inside, [])
    for outside in (low - 1, high + 1):
        assert run(v.parse_int, outside, low=low, high=high, message="整数") == (None, ["整数"])
        assert run(v.parse_int, str(outside), low=low, high=high, message="整数") == (
            None,
            ["整数"],
        )


@pytest.mark.parametrize("value", [True, False, 1.0, "1.0", "1e3", "1_000", "１２", "", None, "十"])
def test_only_whole_decimal_digits_are_an_integer(value):
    assert run(v.parse_int, value, low=0, high=10**6, message="整数") == (None, ["整数"])


# ---- money and decimals ------------------------------------------------------------------------

amounts = st.decimals(
    min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False
)


@given(amounts)
def test_an_amount_in_fen_reads_exactly_from_text_decimal_and_int(amount):
    assert run(v.parse_money, str(amount)) == (amount, [])
    assert run(v.parse_money, amount) == (amount, [])
    assert run(v.parse_money, str(amount))[0].as_tuple().exponent == -2
    if amount == int(amount):
        assert run(v.parse_money, int(amount)) == (amount, [])


@given(amounts, amounts)
def test_amounts_add_exactly(a, b):
    total = run(v.parse_money, str(a))[0] + run(v.parse_money, str(b))[0]
    assert total == a + b


def test_a_json_float_is_read_by_its_decimal_text_never_as_a_binary_fraction():
    a, _ = run(v.parse_money, 0.1)
    b, _ = run(v.parse_money, 0.2)
    assert a + b == Decimal("0.3")
    assert run(v.parse_money, 1500.5) == (Decimal("1500.50"), [])


@pytest.mark.parametrize("value", ["12.345", "0.125", "0.001", 0.125])
def test_a_third_decimal_is_refused(value):
    assert run(v.parse_money, value) == (None, [v.MONEY_INVALID.format(low=0, high=100000)])


@pytest.mark.parametrize(
    "value",
    [
        "1e3",
        "1E2",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        float("nan"),
        float("inf"),
        Decimal("NaN"),
        Decimal("Infinity"),
        "1,000",
        "１０",
        "¥10",
        "10元",
        True,
        [],
        ".",
    ],
)
def test_anything_but_plain_decimal_notation_is_refused(value):
    assert run(v.parse_money, value, message="金额") == (None, ["金额"])


def test_the_bounds_of_an_amount_hold_on_both_sides():
    assert run(v.parse_money, "100000") == (Decimal("100000.00"), [])
    assert run(v.parse_money, "100000.01", message="金额") == (None, ["金额"])
    assert run(v.parse_money, "0") == (Decimal("0.00"), [])
    assert run(v.parse_money, "-0.01", message="金额") == (None, ["金额"])
    assert run(v.parse_money, "0.01", min=Decimal("0.01")) == (Decimal("0.01"), [])
    assert run(v.parse_money, "0", min=Decimal("0.01"), message="金额") == (None, ["金额"])
    assert run(v.parse_money, "500.01", max=Decimal("500"), message="金额") == (None, ["金额"])


def test_a_blank_amount_is_zero_unless_required():
    assert run(v.parse_money, "") == (Decimal("0.00"), [])
    assert run(v.parse_money, None, required="请填写金额") == (None, ["请填写金额"])


@given(st.decimals(min_value=Decimal("0.5"), max_value=1000, places=1))
def test_a_decimal_keeps_its_places(hours):
    result = run(
        v.parse_decimal,
        str(hours),
        low=Decimal("0.5"),
        high=Decimal(1000),
        places=1,
        message="学时",
    )
    assert result == (hours, []) and result[0].as_tuple().exponent == -1


def test_decimal_bounds_and_places():
    options = dict(low=Decimal("0.5"), high=Decimal("24"), places=1, message="学时")
    assert run(v.parse_decimal, "0.5", **options) == (Decimal("0.5"), [])
    assert run(v.parse_decimal, "24", **options) == (Decimal("24.0"), [])
    for value in ("0.4", "24.1", "1.25", ""):
        assert run(v.parse_decimal, value, **options) == (None, ["学时"])


# ---- booleans, phones, choices -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        (True, True),
        ("是", True),
        ("true", True),
        (" TRUE ", True),
        ("1", True),
        ("on", True),
        (1, True),
        (False, False),
        ("否", False),
        ("false", False),
        ("0", False),
        ("off", False),
        ("", False),
        (None, False),
        (0, False),
    ],
)
def test_yes_and_no_words(value, expected):
    assert run(v.parse_bool, value) == (expected, [])


@given(
    st.one_of(
        st.integers().filter(lambda n: n not in (0, 1)),
        st.text().filter(
            lambda t: (
                t.strip().lower() not in {"true", "1", "是", "on", "false", "0", "否", "off", ""}
            )
        ),
        st.floats(),
        st.lists(st.booleans()),
    )
)
def test_anything_else_is_not_a_yes_or_no(value):
    assert run(v.parse_bool, value) == (None, [v.BOOLEAN_INVALID])


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_a_mobile_number_is_a_phone_spaces_and_all(second, rest):
    number = "1" + second + rest
    assert run(v.parse_phone, number) == (number, [])
    assert run(v.parse_phone, f" {number[:3]} {number[3:7]} {number[7:]} ") == (number, [])
    assert run(v.parse_phone, number + "0") == (None, [v.PHONE_INVALID])
    assert run(v.parse_phone, number[:-1]) == (None, [v.PHONE_INVALID])


@pytest.mark.parametrize("value", ["0595-85012345", "059585012345", "010-1234567"])
def test_a_landline_with_its_area_code_is_a_phone(value):
    assert run(v.parse_phone, value) == (value, [])


@pytest.mark.parametrize("value", ["12012345678", "85012345", "0595-123456", "+8613800000000"])
def test_other_numbers_are_not_phones(value):
    assert run(v.parse_phone, value, message="电话") == (None, ["电话"])


def test_a_blank_phone_is_empty():
    assert run(v.parse_phone, "  ") == ("", [])


@given(st.sampled_from(Category.values))
def test_a_code_of_the_table_is_a_choice(code):
    assert run(v.parse_choice, f" {code} ", choices=Category, message="类别") == (code, [])


@given(st.text().filter(lambda t: t.strip() not in Category.values))
def test_anything_else_is_refused_and_blank_only_where_allowed(value):
    expected = ("", []) if not value.strip() else (None, ["类别"])
    assert run(v.parse_choice, value, choices=Category, message="类别", blank=True) == expected
    assert run(v.parse_choice, value, choices=Category, message="类别") == (None, ["类别"])


# ---- the collector -----------------------------------------------------------------------------


def test_unknown_and_refused_fields_are_named_first_and_bad_text_replaces_a_fields_message():
    fields = v.Fields(
        {"name": "x\x00" * 60, "colour": "blue", "state": "done", "note": "ok"},
        allowed=("name", "note"),
        refuse=lambda key: "状态不能改" if key == "state" else None,
    )
    fields.text("name", max_length=10, too_long="太长", required="必填")
    fields.text("note", max_length=10, too_long="太长")
    with pytest.raises(InvalidInput) as refused:
        fields.finish()
    assert refused.value.errors == [
        ("colour", v.UNKNOWN_FIELD),
        ("state", "状态不能改"),
        ("name", v.TEXT_INVALID),
    ]


def test_a_refused_field_with_bad_text_is_reported_not_dropped():
    fields = v.Fields({"colour": "blue\x00", "note\x07": "x"}, allowed=("note",))
    with pytest.raises(InvalidInput) as refused:
        fields.finish()
    assert refused.value.errors == [("colour", v.TEXT_INVALID), ("note\x07", v.TEXT_INVALID)]


def test_the_collector_checks_a_required_field_on_create_and_given_fields_on_edit():
    creating = v.Fields({}, allowed=("name", "note"))
    creating.text("name", max_length=10, too_long="太长", required="必填")
    creating.text("note", max_length=10, too_long="太长")
    with pytest.raises(InvalidInput) as refused:
        creating.finish()
    assert refused.value.errors == [("name", "必填")]

    editing = v.Fields(
        {"note": " 好 "}, allowed=("name", "note"), current=SimpleNamespace(name="甲")
    )
    editing.text("name", max_length=10, too_long="太长", required="必填")
    editing.text("note", max_length=10, too_long="太长")
    assert editing.finish() == {"note": "好"}
    assert editing.final("name") == "甲" and editing.final("note") == "好"


def test_nul_alone_can_be_the_bad_text_with_its_own_message():
    fields = v.Fields(
        {"a": "x\x07", "b": ["y\x00"]},
        allowed=("a", "b"),
        text_check=v.has_nul,
        text_message=v.NUL_IN_TEXT,
    )
    with pytest.raises(InvalidInput) as refused:
        fields.finish()
    assert refused.value.errors == [("b", v.NUL_IN_TEXT)]


def test_model_update_sets_the_values_and_returns_the_snapshot_diff():
    record = SimpleNamespace(name="甲", day=dt.date(2026, 1, 1), fee=Decimal("1.00"))

    def snapshot(r):
        return {"name": r.name, "day": r.day.isoformat(), "fee": str(r.fee)}

    changes = v.model_update(
        record, {"day": dt.date(2026, 2, 1), "fee": Decimal("1.00")}, snapshot=snapshot
    )
    assert changes == {"day": ["2026-01-01", "2026-02-01"]}
    assert record.day == dt.date(2026, 2, 1)
    assert v.model_update(record, {}, snapshot=snapshot) == {}


@pytest.mark.parametrize(
    "parser,value,options,written",
    [
        (v.parse_money, "12.5", {}, "12.50"),
        (v.parse_money, 7, {}, "7.00"),
        (v.parse_money, "", {}, "0.00"),
        (
            v.parse_decimal,
            "3",
            {"low": Decimal(0), "high": Decimal(24), "places": 1, "message": "m"},
            "3.0",
        ),
    ],
)
def test_a_number_comes_back_with_exactly_its_fields_places(parser, value, options, written):
    # What the database stores and a page shows: 12.50, not 12.5.
    result, messages = run(parser, value, **options)
    assert (str(result), messages) == (written, [])
