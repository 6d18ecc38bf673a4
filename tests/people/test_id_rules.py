"""Citizen ID numbers (GB 11643) and disability certificate numbers: canpei.people.rules."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from canpei.people import rules
from canpei.people.rules import (
    CERT_CATEGORY_MISMATCH,
    CERT_FORMAT,
    CERT_GRADE_MISMATCH,
    CERT_ID_MISMATCH,
    ID_BIRTH_DATE,
    ID_CHECKSUM,
    ID_FORMAT,
    ID_REGION,
    ID_REQUIRED,
    PROVINCE_CODES,
    Gender,
    age_implausible,
    birth_date_from_id,
    cert_number_error,
    gender_from_id,
    id_check_char,
    id_number_error,
    mask_cert_number,
    mask_id_number,
    normalize_id_number,
)

TODAY = dt.date.today()
ID_ALPHABET = "0123456789X"
ID_ERRORS = {ID_REQUIRED, ID_FORMAT, ID_CHECKSUM, ID_BIRTH_DATE, ID_REGION}
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    """A valid ID: province-prefixed address code, birth date 1900..today, sequence, check char."""
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    rest_of_address = draw(st.text("0123456789", min_size=4, max_size=4))
    birth = draw(st.dates(min_value=rules.EARLIEST_BIRTH, max_value=TODAY))
    sequence = draw(st.integers(0, 999))
    first17 = f"{province}{rest_of_address}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def make_id(first17: str) -> str:
    return first17 + id_check_char(first17)


# The two examples printed in GB 11643-1999 itself.
@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_it_accepts_the_examples_of_the_standard(number):
    assert id_check_char(number[:17]) == number[17]


def test_it_rejects_the_standard_example_born_in_1880_as_before_the_earliest_birth_date():
    # 440524188001010014 has a correct checksum; its 1880 birth date predates the registry's range.
    assert id_number_error("440524188001010014") == ID_BIRTH_DATE
    assert id_number_error("11010519491231002X") is None


@given(valid_ids())
@example("11010519491231002X")
def test_it_accepts_every_well_formed_id_number(number):
    assert id_number_error(number) is None


@given(valid_ids(), st.data())
def test_it_rejects_every_single_character_change(number, data):
    position = data.draw(st.integers(0, 17), label="position")
    replacement = data.draw(
        st.sampled_from([c for c in ID_ALPHABET if c != number[position]]), label="replacement"
    )
    changed = number[:position] + replacement + number[position + 1 :]
    assert id_number_error(changed) in ID_ERRORS


def test_it_rejects_every_single_character_change_of_one_number_exhaustively():
    number = make_id("35058219900307001")
    for position in range(18):
        for replacement in ID_ALPHABET:
            if replacement == number[position]:
                continue
            changed = number[:position] + replacement + number[position + 1 :]
            assert id_number_error(changed) is not None, changed


@given(valid_ids())
def test_it_normalises_full_width_digits_and_lower_case_x_to_the_same_number(number):
    for variant in (
        number.translate(FULL_WIDTH),
        number.lower(),
        f"  {number.lower()}\u3000",
        number[:9].translate(FULL_WIDTH) + number[9:].lower(),
    ):
        assert normalize_id_number(variant) == number
        assert id_number_error(normalize_id_number(variant)) is None


def test_it_treats_a_lower_case_x_check_char_as_x_not_as_a_change():
    number = make_id("11010519491231002")
    assert number.endswith("X")
    assert id_number_error(normalize_id_number(number[:17] + "x")) is None
    assert id_number_error(normalize_id_number(number[:17] + "ｘ")) is None
    # Un-normalised, a lower-case x is a format error rather than silently accepted.
    assert id_number_error(number[:17] + "x") == ID_FORMAT


@pytest.mark.parametrize(
    "look_alike",
    [
        "²",  # superscript two
        "②",  # circled two
        "𝟐",  # mathematical bold two
        "٢",  # Arabic-Indic two
    ],
)
def test_it_rejects_digit_look_alikes_other_than_full_width_digits(look_alike):
    number = make_id("35058219900307002")
    changed = normalize_id_number(number[:16] + look_alike + number[17])
    assert id_number_error(changed) == ID_FORMAT


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", ID_REQUIRED),
        ("   ", ID_REQUIRED),
        ("35058219900307001", ID_FORMAT),  # 17 characters
        ("3505821990030700123", ID_FORMAT),  # 19 characters
        ("35058219900307A01X", ID_FORMAT),  # a letter in the body
        ("X50582199003070011", ID_FORMAT),  # X anywhere but the end
        ("35058219900307001Y", ID_FORMAT),  # a check char that is not a digit or X
    ],
)
def test_it_rejects_malformed_numbers_with_the_format_message(raw, message):
    assert id_number_error(normalize_id_number(raw)) == message


def test_it_rejects_an_unknown_province_with_the_region_message():
    assert id_number_error(make_id("99058219900307001")) == ID_REGION
    assert id_number_error(make_id("00058219900307001")) == ID_REGION


def test_it_rejects_a_wrong_check_char_with_the_checksum_message():
    number = make_id("35058219900307001")
    wrong = "0" if number[17] != "0" else "1"
    assert id_number_error(number[:17] + wrong) == ID_CHECKSUM


@pytest.mark.parametrize(
    "birth", ["19900230", "19900431", "19901301", "19900000", "20230229", "18991231"]
)
def test_it_rejects_an_impossible_or_too_early_birth_date(birth):
    assert id_number_error(make_id(f"350582{birth}001")) == ID_BIRTH_DATE


def test_it_accepts_29_february_of_a_leap_year():
    assert id_number_error(make_id("35058220000229001")) is None
    assert id_number_error(make_id("35058219000101001")) is None  # the earliest birth accepted


def test_it_rejects_a_birth_date_after_today():
    tomorrow = TODAY + dt.timedelta(days=1)
    assert id_number_error(make_id(f"350582{tomorrow:%Y%m%d}001")) == ID_BIRTH_DATE
    assert id_number_error(make_id(f"350582{TODAY:%Y%m%d}001")) is None
    # `today` is the date the check runs on.
    assert (
        id_number_error(make_id(f"350582{TODAY:%Y%m%d}001"), today=TODAY - dt.timedelta(days=1))
        == ID_BIRTH_DATE
    )


@given(st.dates(min_value=rules.EARLIEST_BIRTH, max_value=TODAY), st.integers(0, 999))
def test_it_derives_birth_date_and_gender_from_the_number(birth, sequence):
    number = make_id(f"350582{birth:%Y%m%d}{sequence:03d}")
    assert birth_date_from_id(number) == birth
    assert gender_from_id(number) == (Gender.MALE if sequence % 2 else Gender.FEMALE)


def test_it_reads_the_gender_from_the_seventeenth_digit():
    assert gender_from_id("11010519491231002X") == Gender.FEMALE  # 2: even
    assert gender_from_id(make_id("35058219900307001")) == Gender.MALE


# Certificate numbers: ID + category + grade.


@given(valid_ids(), st.sampled_from(rules.Category.values), st.sampled_from(rules.Grade.values))
def test_it_accepts_a_certificate_number_of_the_id_category_and_grade(number, category, grade):
    assert (
        cert_number_error(
            number + category + grade, id_number=number, category=category, grade=grade
        )
        is None
    )


@given(
    valid_ids(),
    valid_ids(),
    st.sampled_from(rules.Category.values),
    st.sampled_from(rules.Grade.values),
)
def test_it_rejects_a_certificate_of_another_id(number, other, category, grade):
    assume(number != other)
    assert (
        cert_number_error(
            other + category + grade, id_number=number, category=category, grade=grade
        )
        == CERT_ID_MISMATCH
    )


@given(
    valid_ids(),
    st.sampled_from(rules.Category.values),
    st.sampled_from(rules.Category.values),
    st.sampled_from(rules.Grade.values),
)
def test_it_rejects_a_certificate_of_another_category(number, category, other, grade):
    assume(category != other)
    assert (
        cert_number_error(number + other + grade, id_number=number, category=category, grade=grade)
        == CERT_CATEGORY_MISMATCH
    )


@given(
    valid_ids(),
    st.sampled_from(rules.Category.values),
    st.sampled_from(rules.Grade.values),
    st.sampled_from(rules.Grade.values),
)
def test_it_rejects_a_certificate_of_another_grade(number, category, grade, other):
    assume(grade != other)
    assert (
        cert_number_error(
            number + category + other, id_number=number, category=category, grade=grade
        )
        == CERT_GRADE_MISMATCH
    )


@pytest.mark.parametrize("suffix", ["", "4", "423", "4A", "X2", "４２"])
def test_it_rejects_a_certificate_number_not_of_twenty_characters_ending_in_two_digits(suffix):
    number = make_id("35058219900307001")
    assert (
        cert_number_error(number + suffix, id_number=number, category="4", grade="2") == CERT_FORMAT
    )


def test_it_normalises_a_full_width_certificate_number_before_checking_it():
    number = make_id("11010519491231002")
    cert = normalize_id_number((number + "42").lower().translate(FULL_WIDTH))
    assert cert == number + "42"
    assert cert_number_error(cert, id_number=number, category="4", grade="2") is None


# Masks.


def test_it_masks_an_id_number_as_on_a_printed_list():
    assert mask_id_number("35058219900307123X") == "350582********123X"


@given(valid_ids())
def test_it_masks_the_birth_date_and_keeps_the_address_code_and_the_last_four(number):
    masked = mask_id_number(number)
    assert len(masked) == 18
    assert masked == number[:6] + "*" * 8 + number[-4:]


@given(valid_ids(), st.sampled_from(rules.Category.values), st.sampled_from(rules.Grade.values))
def test_it_masks_a_certificate_number_like_its_id_number(number, category, grade):
    assert mask_cert_number(number + category + grade) == mask_id_number(number) + category + grade


def test_it_masks_a_malformed_number_entirely():
    assert mask_id_number("12345") == "*****"
    assert mask_cert_number("1234567") == "*******"


@pytest.mark.parametrize("age,implausible", [(0, False), (100, False), (101, True), (130, True)])
def test_an_age_is_implausible_only_above_a_hundred(age, implausible):
    assert age_implausible(age) is implausible
