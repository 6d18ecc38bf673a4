"""Validation of personal identifiers and the registry's code tables.

Citizen ID numbers follow GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check character.
The second-generation disability certificate number (第二代残疾人证) is the holder's ID number
followed by one digit of category and one of grade.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_noop
from canpei.codes import Codes

from canpei.codes import code_table
from canpei.masking import mask_id_number
from canpei.validation import PHONE_INVALID  # noqa: F401  (re-exported: the shared message)

# Messages (shown to users; tests assert against these constants): Chinese, translated where
# they are raised.
ID_REQUIRED = gettext_noop("请填写身份证号")
ID_FORMAT = gettext_noop("身份证号须为 18 位：17 位数字加 1 位数字或 X")
ID_CHECKSUM = gettext_noop("身份证号校验位不正确")
ID_BIRTH_DATE = gettext_noop("身份证号中的出生日期无效")
ID_REGION = gettext_noop("身份证号中的地区代码无效")
ID_DUPLICATE = gettext_noop("该身份证号已登记")
CERT_FORMAT = gettext_noop("残疾证号须为 20 位：身份证号加残疾类别、等级各 1 位")
CERT_ID_MISMATCH = gettext_noop("残疾证号前 18 位须与身份证号一致")
CERT_CATEGORY_MISMATCH = gettext_noop("残疾证号第 19 位须与残疾类别一致")
CERT_GRADE_MISMATCH = gettext_noop("残疾证号第 20 位须与残疾等级一致")
CERT_DUPLICATE = gettext_noop("该残疾证号已登记")
NAME_INVALID = gettext_noop("姓名须为 2 至 30 个字，不含数字或符号")
CATEGORY_INVALID = gettext_noop("残疾类别须为 1 至 7")
GRADE_INVALID = gettext_noop("残疾等级须为 1 至 4")
TOWN_INVALID = gettext_noop("所属镇街不存在")
TOWN_OUT_OF_SCOPE = gettext_noop("只能登记本镇街的人员")
# Older than this is possible but rare enough that a typing error in the ID number's birth date
# is likelier: the person is accepted, and their page asks for the number to be checked.
PLAUSIBLE_AGE = 100


def age_implausible(age: int) -> bool:
    return age > PLAUSIBLE_AGE
VILLAGE_INVALID = gettext_noop("村（社区）不属于所选镇街")
EDUCATION_INVALID = gettext_noop("文化程度不在可选范围内")
EMPLOYMENT_FORM_INVALID = gettext_noop("就业形式须为 1 至 7")
NOT_WORKING_REASON_INVALID = gettext_noop("未就业原因须为 1 至 7")
NOT_WORKING_WITH_FORM = gettext_noop("已就业人员不填未就业原因")
HARDSHIP_INVALID = gettext_noop("困难类型须为 dibao（低保）、tekun（特困）或 poverty_monitoring（防返贫监测）")
STATUS_INVALID = gettext_noop("状态不在可选范围内")

CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Province-level prefixes of the address code (GB/T 2260), Taiwan, Hong Kong and Macao included.
PROVINCE_CODES = frozenset(
    ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83"]  # noqa: E501
)
EARLIEST_BIRTH = dt.date(1900, 1, 1)


class Gender(Codes):
    # GB/T 2261.1 codes.
    MALE = "1", "男"
    FEMALE = "2", "女"


PersonStatus = code_table("PersonStatus", "person_status")


# The national code tables (残疾类别, 等级, 就业形式, 未就业原因), read from the package's copy of
# the national code list (data/national_codes.csv), where their sources are noted. Members are
# named by code (C1 …): the code, not a name, is what every reader uses.
NATIONAL_CODES = Path(__file__).parent / "data" / "national_codes.csv"


def national_choices(name: str, table: str) -> type[models.TextChoices]:
    return code_table(name, table, source=NATIONAL_CODES, member="C{code}")


Category = national_choices("Category", "disability_category")
Grade = national_choices("Grade", "disability_grade")
EmploymentForm = national_choices("EmploymentForm", "employment_form")
NotWorkingReason = national_choices("NotWorkingReason", "not_working_reason")


Education = code_table("Education", "education")


# Translated where shown (pages); the ledgers and the import keep the Chinese.
HARDSHIP_FLAGS = {  # zh-msgid
    "dibao": "低保",
    "tekun": "特困",
    "poverty_monitoring": "建档立卡/防返贫监测",
}


# Only full-width digits and x/X are normalised (GB 11643 numbers typed with a Chinese IME);
# any other digit look-alike (superscripts, circled or Arabic-Indic digits) stays and is an error.
_ID_CHARS = {0xFF10 + i: str(i) for i in range(10)} | {ord("Ｘ"): "X", ord("ｘ"): "X"}


def normalize_id_number(raw: str) -> str:
    """Full-width digits and X become ASCII, a lower-case x becomes X, edges are trimmed."""
    if not raw:
        return ""
    if raw.isascii():  # nothing to translate: the common case, once or twice a row of an import
        return raw.strip().upper()
    return raw.strip().translate(_ID_CHARS).upper()


# Each digit's contribution by position: id_check_char runs once a row of an import.
_DIGIT_WEIGHTS = tuple({str(d): d * w for d in range(10)} for w in CHECK_WEIGHTS)


def id_check_char(first17: str) -> str:
    total = 0
    try:
        for table, digit in zip(_DIGIT_WEIGHTS, first17):
            total += table[digit]
    except KeyError:  # not an ASCII digit: as int() reads it
        total = sum(int(d) * w for d, w in zip(first17, CHECK_WEIGHTS))
    return CHECK_CHARS[total % 11]


def id_number_error(number: str, *, today: dt.date | None = None) -> str | None:
    """Return the message for an invalid, already normalised, ID number; None when valid."""
    if not number:
        return _(ID_REQUIRED)
    if len(number) != 18 or not number[:17].isdigit() or not number[:17].isascii() \
            or not (number[17].isdigit() and number[17].isascii() or number[17] == "X"):
        return _(ID_FORMAT)
    if number[:2] not in PROVINCE_CODES:
        return _(ID_REGION)
    if id_check_char(number[:17]) != number[17]:
        return _(ID_CHECKSUM)
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _(ID_BIRTH_DATE)
    if birth < EARLIEST_BIRTH or birth > (today or timezone.localdate()):
        return _(ID_BIRTH_DATE)
    return None


def birth_date_from_id(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def gender_from_id(number: str) -> str:
    # The 17th digit is the sequence code: odd for men, even for women.
    return Gender.MALE if int(number[16]) % 2 else Gender.FEMALE


def cert_number_error(cert: str, *, id_number: str, category: str, grade: str) -> str | None:
    if len(cert) != 20 or not cert[18:].isdigit() or not cert[18:].isascii():
        return _(CERT_FORMAT)
    if cert[:18] != id_number:
        return _(CERT_ID_MISMATCH)
    if cert[18] != category:
        return _(CERT_CATEGORY_MISMATCH)
    if cert[19] != grade:
        return _(CERT_GRADE_MISMATCH)
    return None


def mask_cert_number(cert: str) -> str:
    if len(cert) != 20:
        return "*" * len(cert)
    return mask_id_number(cert[:18]) + cert[18:]


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def latest_birth_for_age(on: dt.date, years: int) -> dt.date:
    """The latest birth date of someone who is at least `years` old on `on`."""
    year = on.year - years
    try:
        return on.replace(year=year)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 2, 28)


def working_age_span(gender: str) -> tuple[int, int]:
    key = "male" if gender == Gender.MALE else "female"
    low, high = settings.WORKING_AGE[key]
    return low, high


def working_age_on(*, birth: dt.date, gender: str, on: dt.date) -> bool:
    low, high = working_age_span(gender)
    return low <= age_on(birth, on) <= high


def working_age_birth_range(gender: str, on: dt.date) -> tuple[dt.date, dt.date]:
    """Birth dates (exclusive lower, inclusive upper) of the working-age persons on `on`."""
    low, high = working_age_span(gender)
    return latest_birth_for_age(on, high + 1), latest_birth_for_age(on, low)
