"""Small parsers shared by the training services: each turns a raw value (from a form, the API
or a spreadsheet) into a typed one, or records the field's message."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from canpei.training import rules

Errors = list[tuple[str, str]]


def text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def bad_text(value: Any) -> bool:
    """U+0000 (PostgreSQL cannot store it), lone surrogates and control characters other than line
    breaks and tabs."""
    if isinstance(value, (list, tuple)):
        return any(bad_text(item) for item in value)
    if isinstance(value, dict):
        return any(bad_text(k) or bad_text(v) for k, v in value.items())
    if not isinstance(value, str):
        return False
    return any(unicodedata.category(c) in ("Cs", "Cc") and c not in "\n\r\t" for c in value)


def one_line(value: Any) -> str:
    return re.sub(r"\s+", " ", text(value))


def parse_date(value: Any, field: str, errors: Errors, *, required: bool = False) -> dt.date | None:
    if value is None or value == "":
        if required:
            errors.append((field, rules.DATE_REQUIRED))
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.append((field, rules.DATE_INVALID))
        return None


def parse_int(value: Any, field: str, errors: Errors, *, low: int, high: int,
              message: str) -> int | None:
    if isinstance(value, bool):
        errors.append((field, message))
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        errors.append((field, message))
        return None
    if not low <= number <= high:
        errors.append((field, message))
        return None
    return number


def parse_decimal(value: Any, field: str, errors: Errors, *, low: Decimal, high: Decimal,
                  places: int, message: str) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        errors.append((field, message))
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.append((field, message))
        return None
    if not number.is_finite() or not low <= number <= high or number != round(number, places):
        errors.append((field, message))
        return None
    return number.quantize(Decimal(1).scaleb(-places))


def parse_bool(value: Any, field: str, errors: Errors) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in ("true", "on", "1", "是", 1):
        return True
    if value in ("false", "off", "0", "否", "", None, 0):
        return False
    errors.append((field, rules.BOOLEAN_INVALID))
    return None


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {key: [before.get(key), after[key]] for key in after if before.get(key) != after[key]}
