"""The one validation toolkit: parsers that turn a raw value (from a form, a JSON body or a
spreadsheet cell) into a typed one or record the field's message, the messages they share, and
`Fields`, the collector a service's `clean_*_input` declares its fields on.

Every parser has the same shape, `parse_x(value, field, errors, ...) -> value | None`: on a bad
value it appends `(field, message)` to `errors` and returns None, so one pass reports every
problem of a form together. The apps' `rules` modules re-export the shared messages, so a test
asserting `rules.UNKNOWN_FIELD` and one asserting `validation.UNKNOWN_FIELD` assert one string.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.functional import lazy

from canpei.codes import listed_labels
from canpei.errors import InvalidInput, Message
from canpei.errors import Message as _

Errors = list[tuple[str, str]]

# ---- shared messages (tests assert against these constants) -----------------------------------

UNKNOWN_FIELD = _("不能修改此字段")
TEXT_INVALID = _("含有无效字符")
NUL_IN_TEXT = _("不能包含空字符（U+0000）")
BOOLEAN_INVALID = _("只能为是或否")
DATE_REQUIRED = _("请填写日期")
DATE_INVALID = _("日期格式须为 YYYY-MM-DD")
START_REQUIRED = _("请填写开始日期")
END_REQUIRED = _("请填写结束日期")
END_BEFORE_START = _("结束日期不能早于开始日期")
PHONE_INVALID = _("联系电话须为 11 位手机号或带区号的固定电话")
MONEY_INVALID = _("金额须为 {low} 至 {high} 元，最多两位小数")
MONEY_REQUIRED = _("请填写金额")

# Messages made from a field's label: a field declared with its label (`f.text("title",
# label=TITLE, max_length=100, required=True)`) says 「请填写案例标题」 and 「案例标题不能超过 100 个
# 字符」 without a constant of its own. The label is a msgid of its own, so each language says the
# whole sentence its way; the Chinese text is the sentence itself, as a written constant's is.
FILL_IN = _("请填写{label}")
CHOOSE = _("请选择{label}")
TOO_LONG = _("{label}不能超过 {max} 个字符")
# Older forms count in 「字」 or 「个字」; their sentences stay as their users know them.
TOO_LONG_ZI = _("{label}不能超过 {max} 字")
TOO_LONG_GE_ZI = _("{label}不能超过 {max} 个字")
ONE_OF = _("{label}须为{values}之一")
NOT_AFTER_TODAY = _("{label}不能晚于今天")
NOT_BEFORE = _("{label}不能早于 {day}")
DATE_FORMAT = _("{label}格式须为 YYYY-MM-DD")

# The largest amount any form takes: a subsidy, a fee or a reimbursement of one person.
MONEY_MAX = Decimal("100000")
# The earliest day a record's date may name: before it is a typing error.
EARLIEST_DAY = dt.date(2000, 1, 1)

# Mainland mobile numbers (11 digits from 13x) and landlines with their area code (GB/T 19000
# numbering: 0 + 2-3 digits, then 7-8 digits), the hyphen optional.
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}$")

_SPACES = re.compile(r"\s+")
# Plain decimal notation only: an exponent ("1e3") or a thousands separator is refused rather
# than read, and so are the non-ASCII digits Decimal() and int() would accept.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_TRUE_WORDS = frozenset({"true", "1", "是", "on"})  # zh-data: the words a form or a file may say
_FALSE_WORDS = frozenset({"false", "0", "否", "off", ""})  # zh-data


# ---- text --------------------------------------------------------------------------------------

def text(value: Any) -> str:
    """The value as trimmed text; None is empty."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    return str(value).strip()


def one_line(value: Any) -> str:
    """The value as trimmed text on one line: every run of white space becomes one space."""
    return _SPACES.sub(" ", text(value))


def bad_text(value: Any) -> bool:
    """Whether the value (or any item of a list, or key or value of a dict) holds U+0000, which
    PostgreSQL cannot store, a lone surrogate, which cannot be encoded, or a control character
    other than line breaks and tabs."""
    if isinstance(value, (list, tuple)):
        return any(bad_text(item) for item in value)
    if isinstance(value, dict):
        return any(bad_text(k) or bad_text(v) for k, v in value.items())
    if not isinstance(value, str):
        return False
    return any(unicodedata.category(c) in ("Cs", "Cc") and c not in "\n\r\t" for c in value)


def has_nul(value: Any) -> bool:
    """Whether the value (or any item of a list, or key or value of a dict) holds U+0000."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    return False


# ---- messages from labels --------------------------------------------------------------------

@functools.lru_cache(maxsize=1024)
def _message(msgid: str, **partial: Any) -> Message:
    # A form or an import row asks for the same few messages again and again (a Message is not
    # changed once made, so one serves every asker).
    return Message(msgid, **partial)


def fill_in(label: str) -> str:
    """「请填写{label}」: a blank field that must be written."""
    return _message(FILL_IN.msgid, label=label)


def choose(label: str) -> str:
    """「请选择{label}」: a blank field that must be chosen."""
    return _message(CHOOSE.msgid, label=label)


def too_long_for(label: str, max_length: int, unit: str = TOO_LONG.msgid) -> str:
    """「{label}不能超过 N 个字符」 (`unit`: TOO_LONG_ZI.msgid for 「N 字」, TOO_LONG_GE_ZI.msgid
    for 「N 个字」)."""
    return _message(unit, label=label, max=max_length)


def one_of(label: str, table: type[models.TextChoices]) -> str:
    """「{label}须为市级、省级之一」: the table's labels, in the reader's language when shown."""
    return _message(ONE_OF.msgid, label=label, values=lazy(listed_labels, str)(table))


def not_after_today(label: str) -> str:
    """「{label}不能晚于今天」."""
    return _message(NOT_AFTER_TODAY.msgid, label=label)


def not_before(label: str, day: dt.date = EARLIEST_DAY) -> str:
    """「{label}不能早于 2000-01-01」."""
    return _message(NOT_BEFORE.msgid, label=label, day=day.isoformat())


def date_format(label: str) -> str:
    """「{label}格式须为 YYYY-MM-DD」."""
    return _message(DATE_FORMAT.msgid, label=label)


def _required(required: bool | str | None, label: str | None, message: Callable[[str], str],
              ) -> str | None:
    """The message for a blank required field: the one given, else the label's."""
    if required is True:
        if label is None:
            raise TypeError("required=True needs the field's label")
        return message(label)
    return required or None


def _labelled(given: str | None, label: str | None, message: Callable[[str], str]) -> str:
    if given is not None:
        return given
    if label is None:
        raise TypeError("a field without its message needs its label")
    return message(label)


# ---- parsers -----------------------------------------------------------------------------------

def parse_text(value: Any, field: str, errors: Errors, *, max_length: int, too_long: str,
               required: str | None = None, single_line: bool = False) -> str | None:
    """Trimmed text (on one line with `single_line`) of at most `max_length` characters; blank is
    "" unless `required` gives the message for it."""
    result = one_line(value) if single_line else text(value)
    if not result and required is not None:
        errors.append((field, required))
        return None
    if len(result) > max_length:
        errors.append((field, too_long))
        return None
    return result


def parse_date(value: Any, field: str, errors: Errors, *, required: bool | str = False,
               invalid: str = DATE_INVALID,
               reader: Callable[[Any], dt.date | None] | None = None) -> dt.date | None:
    """A date from a date, a datetime (its day) or ISO text; blank is None, or the `required`
    message (DATE_REQUIRED when True). `reader` replaces the ISO reading (a spreadsheet's cells)
    and signals a bad value with ValueError."""
    if value is None or value == "":
        if required:
            errors.append((field, DATE_REQUIRED if required is True else str(required)))
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return reader(value) if reader is not None else dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.append((field, invalid))
        return None


def parse_int(value: Any, field: str, errors: Errors, *, low: int, high: int,
              message: str) -> int | None:
    """A whole number from low to high, both included, from an int or decimal-digit text (never a
    boolean, a float or an exponent)."""
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        number = None
    if number is None or not low <= number <= high:
        errors.append((field, message))
        return None
    return number


def _decimal(value: Any) -> Decimal | None:
    """An exact Decimal, or None for anything that is not a plain decimal number.

    A float is read by its shortest repr, which is the decimal text a JSON number was written as
    (for the at most 15 significant digits of any amount here), so no binary fraction ever
    reaches a sum: 0.1 arrives as Decimal("0.1"), not 0.1000000000000000055….
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        value = repr(value)  # "nan" and "inf" fail the pattern below
    if not isinstance(value, str):
        return None
    raw = value.strip()
    if not _DECIMAL.fullmatch(raw):
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        return None


def parse_decimal(value: Any, field: str, errors: Errors, *, low: Decimal, high: Decimal,
                  places: int, message: str) -> Decimal | None:
    """A Decimal from low to high, both included, with at most `places` decimals, returned with
    exactly `places` (so "12.5" is 12.50 and reads back the same from the database)."""
    number = _decimal(value)
    if number is None or not low <= number <= high or number != round(number, places):
        errors.append((field, message))
        return None
    return number.quantize(Decimal(1).scaleb(-places))


def parse_money(value: Any, field: str, errors: Errors, *, min: Decimal = Decimal(0),
                max: Decimal = MONEY_MAX, required: str | None = None,
                message: str | None = None) -> Decimal | None:
    """An amount in yuan: a Decimal from `min` to `max` with at most two decimals (fen).

    Blank is zero, or the `required` message when the amount must be given. `message` is the
    field's own wording of a bad amount; MONEY_INVALID with the bounds by default.
    """
    if value is None or value == "":
        if required is not None:
            errors.append((field, required))
            return None
        value = Decimal(0)
    return parse_decimal(value, field, errors, low=min, high=max, places=2,
                         message=message or MONEY_INVALID.format(low=min, high=max))


def parse_bool(value: Any, field: str, errors: Errors) -> bool | None:
    """Yes or no: a boolean, 1 or 0, or the words 是/否, true/false, on/off, 1/0 (in any case,
    trimmed); blank and None are no."""
    if isinstance(value, bool):
        return value
    if value is None or (type(value) is int and value == 0):
        return False
    if type(value) is int and value == 1:
        return True
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    errors.append((field, BOOLEAN_INVALID))
    return None


def parse_phone(value: Any, field: str, errors: Errors, *,
                message: str = PHONE_INVALID) -> str | None:
    """A mobile or landline number with its spaces removed; blank is ""."""
    phone = re.sub(r"\s", "", text(value))
    if phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
        errors.append((field, message))
        return None
    return phone


_CHOICE_SETS: dict[type[models.Choices], frozenset[str]] = {}


def choices_constraint(field: str, choices: type[models.Choices], name: str, *,
                       blank: bool = False) -> models.CheckConstraint:
    """The database's own check that `field` holds one of `choices` (or is empty, when `blank`),
    for a model's Meta: a value written around the services (a bulk import, a migration) is
    refused as well."""
    values = [*choices.values, ""] if blank else choices.values
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": values}), name=name)


def choice_values(choices: type[models.Choices] | Collection[str]) -> Collection[str]:
    """The allowed values: a TextChoices' values as a set built once (Choices.values builds a new
    list on every access, which an import of 100,000 rows would pay on every row)."""
    if isinstance(choices, type):
        found = _CHOICE_SETS.get(choices)
        if found is None:
            found = _CHOICE_SETS[choices] = frozenset(str(v) for v in choices.values)
        return found
    return choices


def parse_choice(value: Any, field: str, errors: Errors,
                 choices: type[models.Choices] | Collection[str], message: str, *,
                 blank: bool = False, missing: str = "") -> str | None:
    """One of the code table's values; blank is "" when `blank` allows it. A value left out
    where one is needed says `missing` (「请选择残疾类别」) when given, else `message`."""
    code = text(value)
    if (code or not blank) and code not in choice_values(choices):
        errors.append((field, missing if missing and not code else message))
        return None
    return code


# ---- diffs -------------------------------------------------------------------------------------

def snapshot_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The audit entry's diff of two snapshots: {field: [before, after]} for each field whose
    value changed (a field new in `after` shows None before)."""
    return {key: [before.get(key), after[key]] for key in after if before.get(key) != after[key]}


def model_update(instance: Any, values: Mapping[str, Any], *,
                 snapshot: Callable[[Any], Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Set `values` on `instance` (not saved) and return the audit diff of its `snapshot` (the
    audited view of the record, which decides how each field shows in the log) before and after.
    An empty diff means nothing changed and there is nothing to save."""
    before = snapshot(instance)
    for key, value in values.items():
        setattr(instance, key, value)
    return snapshot_diff(before, snapshot(instance))


# ---- the collector -----------------------------------------------------------------------------

class Fields:
    """One validation pass over a dict of raw input, collecting every field's message so that the
    user sees all problems together, and the values to set.

    The prologue every validator shares happens here: a key outside `allowed` is refused with
    UNKNOWN_FIELD (or the message `refuse` gives for it), and a field whose key or value holds bad
    text (`text_check`) is read as blank and reported with `text_message` alone, in place of any
    other message for it. The declared checks run on a field when it is given, or when a record
    is created (`current` is None) and the check is `required`. `finish` returns the values or
    raises InvalidInput with every message.
    """

    def __init__(self, data: Mapping[str, Any], *, allowed: Collection[str],
                 current: Any = None, refuse: Callable[[str], str | None] | None = None,
                 text_check: Callable[[Any], bool] | None = bad_text,
                 text_message: str = TEXT_INVALID) -> None:
        self.current = current
        self.errors: Errors = []
        self.values: dict[str, Any] = {}
        self._text_message = text_message
        self.bad: set[str] = set()
        if text_check is not None and not _all_plain(data, text_check):
            self.bad = {key for key, value in data.items() if text_check(key) or text_check(value)}
        refused: set[str] = set()
        # The common case in one step, once a row of an import: every key a known field.
        known = refuse is None and isinstance(allowed, (set, frozenset)) and data.keys() <= allowed
        for key in () if known else data:
            message = refuse(key) if refuse is not None else None
            if message is None and key not in allowed:
                message = UNKNOWN_FIELD
            if message is not None:
                self.errors.append((key, message))
                refused.add(key)
        if self.bad or refused:
            data = {key: ("" if key in self.bad else value) for key, value in data.items()
                    if key not in refused}
        self.data: Mapping[str, Any] = data

    # -- reading ---------------------------------------------------------------------------------

    def wanted(self, field: str) -> bool:
        """Whether the field is to be checked: given, or the record is being created."""
        return self.current is None or field in self.data

    def runs(self, field: str, required: bool | str | None) -> bool:
        return field in self.data or (bool(required) and self.current is None)

    def raw(self, field: str, default: Any = None) -> Any:
        return self.data.get(field, default)

    def final(self, field: str, default: Any = "") -> Any:
        """The value the record will hold: the one checked now, else the stored one."""
        if field in self.values:
            return self.values[field]
        if self.current is not None:
            return getattr(self.current, field, default)
        return default

    def failed(self, *fields: str) -> bool:
        """Whether any of the fields has a message already."""
        return any(field in fields for field, _m in self.errors)

    def error(self, field: str, message: str) -> None:
        self.errors.append((field, message))

    def _keep(self, field: str, value: Any, ok: bool) -> Any:
        if ok:
            self.values[field] = value
        return value

    # -- declared checks: each records the value when it is good and returns it (None on error) -

    def text(self, field: str, *, max_length: int, too_long: str | None = None,
             required: bool | str | None = None, label: str | None = None,
             single_line: bool = False) -> str | None:
        """Text of at most `max_length` characters; the messages not given are the `label`'s
        (「请填写{label}」 when `required` is True, 「{label}不能超过 N 个字符」)."""
        if not self.runs(field, required):
            return None
        value = parse_text(self.data.get(field), field, self.errors, max_length=max_length,
                           too_long=_labelled(too_long, label,
                                              lambda name: too_long_for(name, max_length)),
                           required=_required(required, label, fill_in), single_line=single_line)
        return self._keep(field, value, value is not None)

    def choice(self, field: str, choices: type[models.Choices] | Collection[str],
               message: str | None = None, *, label: str | None = None, blank: bool = False,
               required: bool = False, missing: str = "") -> str | None:
        """One of `choices`; the messages not given are the `label`'s (「{label}须为…之一」 for a
        code table, and 「请选择{label}」 for a required one left blank)."""
        if not self.runs(field, required):
            return None
        if message is None:
            if label is None or not isinstance(choices, type) \
                    or not issubclass(choices, models.TextChoices):
                raise TypeError("a choice without its message needs its label and code table")
            message = one_of(label, choices)
            if required and not missing:
                missing = choose(label)
        value = parse_choice(self.data.get(field), field, self.errors, choices, message, blank=blank,
                             missing=missing)
        return self._keep(field, value, value is not None)

    def date(self, field: str, *, required: bool | str = False, invalid: str = DATE_INVALID,
             reader: Callable[[Any], dt.date | None] | None = None) -> dt.date | None:
        """A date; a blank one is stored as None unless `required`."""
        if not self.runs(field, required):
            return None
        before = len(self.errors)
        value = parse_date(self.data.get(field), field, self.errors, required=required,
                           invalid=invalid, reader=reader)
        return self._keep(field, value, len(self.errors) == before)

    def day_since(self, field: str, *, required: bool | str, invalid: str | None = None,
                  too_early: str | None = None, future: bool | str | None = None,
                  earliest: dt.date = EARLIEST_DAY, label: str | None = None) -> dt.date | None:
        """A date of a record: refused (`too_early`) before `earliest` and, when `future` is
        given (True: the label's 「{label}不能晚于今天」), after today; a refused date is returned
        as None. The messages not given are the `label`'s."""
        if label is not None:  # else True says DATE_REQUIRED, 「请填写日期」
            required = _required(required, label, fill_in) or False
        day = self.date(field, required=required,
                        invalid=_labelled(invalid, label, date_format))
        if day is None:
            return None
        if day < earliest:
            self.error(field, _labelled(too_early, label, lambda name: not_before(name, earliest)))
            return None
        if future and day > timezone.localdate():
            self.error(field, _labelled(None if future is True else future, label,
                                        not_after_today))
            return None
        return day

    def integer(self, field: str, *, low: int, high: int, message: str,
                required: bool = False) -> int | None:
        if not self.runs(field, required):
            return None
        value = parse_int(self.data.get(field), field, self.errors, low=low, high=high,
                          message=message)
        return self._keep(field, value, value is not None)

    def decimal(self, field: str, *, low: Decimal, high: Decimal, places: int, message: str,
                required: bool = False) -> Decimal | None:
        if not self.runs(field, required):
            return None
        value = parse_decimal(self.data.get(field), field, self.errors, low=low, high=high,
                              places=places, message=message)
        return self._keep(field, value, value is not None)

    def money(self, field: str, *, message: str | None = None, min: Decimal = Decimal(0),
              max: Decimal = MONEY_MAX, required: str | None = None) -> Decimal | None:
        if not self.runs(field, required):
            return None
        value = parse_money(self.data.get(field), field, self.errors, min=min, max=max,
                            required=required, message=message)
        return self._keep(field, value, value is not None)

    def boolean(self, field: str) -> bool | None:
        if field not in self.data:
            return None
        value = parse_bool(self.data[field], field, self.errors)
        return self._keep(field, value, value is not None)

    def phone(self, field: str, *, message: str = PHONE_INVALID) -> str | None:
        if field not in self.data:
            return None
        value = parse_phone(self.data[field], field, self.errors, message=message)
        return self._keep(field, value, value is not None)

    # -- the end ---------------------------------------------------------------------------------

    def finish(self) -> dict[str, Any]:
        """The values to set, or InvalidInput with every message: a field with bad text shows that
        message alone, after the others."""
        errors = self.errors
        if self.bad:
            errors = [e for e in errors if e[0] not in self.bad] + [
                (key, self._text_message) for key in sorted(self.bad)]
        if errors:
            raise InvalidInput(errors)
        return self.values


def _all_plain(data: Mapping[str, Any], check: Callable[[Any], bool]) -> bool:
    """A fast yes for the common case, one step per form: every key and value a string and none
    with U+0000 or a control character (an import calls this once a row)."""
    try:
        joined = "".join(data) + "".join(data.values())
    except TypeError:
        return False
    return joined.isprintable() or not check(joined)
