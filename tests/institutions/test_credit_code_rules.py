"""Unified social credit codes (GB 32100-2015): canpei.institutions.rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canpei.institutions.rules import (
    ALPHABET,
    CREDIT_CODE_CHECKSUM,
    CREDIT_CODE_FORMAT,
    credit_code_check_char,
    credit_code_error,
    normalize_credit_code,
)

# Codes published by the enterprise credit information system (国家企业信用信息公示系统).
PUBLISHED = [
    "91350100M000100Y43",
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "91110000802100433B",  # 百度在线网络技术（北京）有限公司
]


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    first17 = draw(st.text(ALPHABET, min_size=17, max_size=17))
    return first17 + credit_code_check_char(first17)


def test_the_alphabet_leaves_out_i_o_z_s_v():
    assert len(ALPHABET) == 31
    assert not set("IOZSV") & set(ALPHABET)


@pytest.mark.parametrize("code", PUBLISHED)
def test_it_computes_the_check_char_of_published_codes(code):
    assert credit_code_check_char(code[:17]) == code[17]
    assert credit_code_error(code) is None


def test_it_maps_a_remainder_of_zero_to_the_check_char_zero():
    # 31 - 0 would be 31, outside the alphabet; the standard writes 0.
    assert credit_code_check_char("0" * 17) == "0"
    assert credit_code_error("0" * 18) is None


@given(valid_codes())
def test_it_accepts_every_code_with_its_check_char(code):
    assert credit_code_error(code) is None


@given(valid_codes(), st.data())
def test_it_rejects_every_single_character_change(code, data):
    position = data.draw(st.integers(0, 17), label="position")
    replacement = data.draw(
        st.sampled_from([c for c in ALPHABET if c != code[position]]), label="replacement"
    )
    changed = code[:position] + replacement + code[position + 1 :]
    assert credit_code_error(changed) == CREDIT_CODE_CHECKSUM


def test_it_rejects_every_single_character_change_of_a_published_code_exhaustively():
    code = PUBLISHED[0]
    for position in range(18):
        for replacement in ALPHABET:
            if replacement != code[position]:
                changed = code[:position] + replacement + code[position + 1 :]
                assert credit_code_error(changed) == CREDIT_CODE_CHECKSUM, changed


@given(valid_codes(), st.integers(0, 17), st.sampled_from("IOZSV"))
def test_it_rejects_a_letter_outside_the_alphabet_with_the_format_message(code, position, letter):
    changed = code[:position] + letter + code[position + 1 :]
    assert credit_code_error(changed) == CREDIT_CODE_FORMAT


@pytest.mark.parametrize(
    "code",
    ["", "91350100M000100Y4", "91350100M000100Y433", "91350100m000100y43", "91350100M000100Y4-"],
)
def test_it_rejects_a_code_that_is_not_eighteen_characters_of_the_alphabet(code):
    assert credit_code_error(code) == CREDIT_CODE_FORMAT


@given(valid_codes())
def test_it_normalises_lower_case_and_full_width_characters(code):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    for variant in (code.lower(), f" {code} ", full_width, full_width.lower()):
        assert normalize_credit_code(variant) == code
        assert credit_code_error(normalize_credit_code(variant)) is None
