"""Unified social credit code (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

import unicodedata

# The code's alphabet: digits and upper-case letters without I, O, Z, S, V.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

CREDIT_CODE_FORMAT = "统一社会信用代码须为 18 位数字或大写字母（不含 I、O、Z、S、V）"
CREDIT_CODE_CHECKSUM = "统一社会信用代码校验位不正确"


def normalize_credit_code(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw or "").strip().upper()


def credit_code_check_char(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_error(code: str) -> str | None:
    if len(code) != 18 or any(c not in ALPHABET for c in code):
        return CREDIT_CODE_FORMAT
    if credit_code_check_char(code[:17]) != code[17]:
        return CREDIT_CODE_CHECKSUM
    return None
