"""Writes to the registry. Each takes the acting user, checks the rules, locks what it changes
and writes its audit entry in the same transaction."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from canpei.accounts.roles import Perm, has_perm
from canpei.audit.services import audit_record
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.people import crypto, rules
from canpei.people.models import Person
from canpei.people.pinyin import name_pinyin
from canpei.regions.models import Region
from canpei.regions.scope import persons_visible_to, town_codes_writable_by

# CJK ideographs: the basic block, extension A, compatibility, and extensions B–H (rare
# characters of names, GB 18030-2022); the middle dots of minority names; Latin letters.
NAME_PATTERN = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff\U00020000-\U000323af·•A-Za-z\s]{2,30}$")
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}$")

EDITABLE_FIELDS = (
    "name", "id_number", "cert_number", "category", "grade", "town", "village", "address",
    "phone", "education", "hardship", "employment_form", "not_working_reason", "new_entrant",
    "registered_unemployed", "entrepreneurship_intention", "status",
)
BOOLEAN_FIELDS = ("new_entrant", "registered_unemployed", "entrepreneurship_intention")
BOOLEAN_INVALID = "只能为是或否"
NUL_IN_TEXT = "不能包含空字符（U+0000）"
UNKNOWN_FIELD = "不能修改此字段"

# The code tables as sets, built once: Choices.values makes a new list on every access, which
# an import of 100,000 rows pays six times a row.
_CATEGORIES = frozenset(rules.Category.values)
_GRADES = frozenset(rules.Grade.values)
_EDUCATIONS = frozenset(rules.Education.values)
_EMPLOYMENT_FORMS = frozenset(rules.EmploymentForm.values)
_NOT_WORKING_REASONS = frozenset(rules.NotWorkingReason.values)
_STATUSES = frozenset(rules.PersonStatus.values)
_EDITABLE = frozenset(EDITABLE_FIELDS)


_SPACES = re.compile(r"\s+")
_SPACE = re.compile(r"[\s]")
_CERT_INPUTS = frozenset(("cert_number", "id_number", "category", "grade"))
_BOOLEAN_WORDS = {"true": True, "1": True, "是": True, "false": False, "0": False, "否": False,
                  "": False}


def _text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    return str(value).strip()


def _has_nul(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_has_nul(item) for item in value)
    return isinstance(value, str) and "\x00" in value


class Masked(str):
    """A value as the audit log shows it: the masked text is the string (what JSON encodes,
    hence all the log stores), but it compares by the value it masks, so a snapshot diff still
    sees that a phone number or a name changed without ever writing either."""

    _value: Any

    def __new__(cls, shown: str, value: Any) -> "Masked":
        masked = super().__new__(cls, shown)
        masked._value = value
        return masked

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Masked):
            return bool(self._value == other._value)
        if isinstance(other, str):
            return str.__eq__(self, other)  # against the stored (plain) text: as shown
        return False

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    # Equal Masked values mask equal values, hence show the same text.
    __hash__ = str.__hash__


HIDDEN = "****"


def mask_name(name: str) -> str:
    """`张*三`: the first and last characters (only the first of a two-character name)."""
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def person_snapshot(person: Person, *, id_number: str | None = None,
                    cert_number: str | None = None, comparable: bool = True) -> dict[str, Any]:
    """The audited view of a person: every field, the name and numbers masked, the address and
    phone hidden (the audit officer sees that they changed, not what they hold). A diff of two
    snapshots still sees every change: masked values compare by what they mask (Masked).

    A caller that holds the numbers in clear (an import) passes them, sparing two decryptions.
    `comparable=False` gives the same text as plain strings, for a snapshot that is only
    written to the log and never diffed (an import's new persons: three Masked a row spared).
    """
    name, address, phone = person.name, person.address, person.phone
    shown_name = mask_name(name)
    shown_address = HIDDEN if address else ""
    shown_phone = HIDDEN if phone else ""
    if comparable:
        shown_name = Masked(shown_name, name)
        shown_address = Masked(shown_address, address)
        shown_phone = Masked(shown_phone, phone)
    birth_date = person.birth_date
    return {
        "name": shown_name,
        "id_number": person.id_number_masked if id_number is None else rules.mask_id_number(id_number),
        "cert_number": person.cert_number_masked if cert_number is None else (
            rules.mask_cert_number(cert_number) if cert_number else ""),
        "gender": person.gender,
        "birth_date": birth_date.isoformat() if birth_date else None,
        "category": person.category,
        "grade": person.grade,
        "town": person.town_id,
        "village": person.village_id,
        "address": shown_address,
        "phone": shown_phone,
        "education": person.education,
        "hardship": person.hardship,
        "employment_form": person.employment_form,
        "not_working_reason": person.not_working_reason,
        "new_entrant": person.new_entrant,
        "registered_unemployed": person.registered_unemployed,
        "entrepreneurship_intention": person.entrepreneurship_intention,
        "status": person.status,
    }


def snapshot_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {key: [before.get(key), after[key]] for key in after if before.get(key) != after[key]}


@dataclass
class _Cleaned:
    values: dict[str, Any]
    id_number: str | None
    cert_number: str | None


def clean_person_input(data: dict[str, Any], *, actor: Any, current: Person | None,
                       today: dt.date, towns: dict[str, Region] | None = None,
                       villages: dict[str, Region] | None = None) -> _Cleaned:
    """Validate every given field at once, so the user sees all problems together.

    Shared by the page, the API and the spreadsheet import; `towns` and `villages` (code ->
    Region, all of them) spare the import a query per row.
    """
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    # PostgreSQL cannot store U+0000: such a field gets that one message, for every caller.
    try:  # the common case in one step: every value a string, none with U+0000
        no_nul = "\x00" not in "".join(data.values())
    except TypeError:
        no_nul = False
    with_nul = set() if no_nul else {key for key, value in data.items() if _has_nul(value)}
    if not data.keys() <= _EDITABLE:
        for key in data:
            if key not in _EDITABLE:
                errors.append((key, UNKNOWN_FIELD))
    data = {key: ("" if key in with_nul else value) for key, value in data.items()} if with_nul \
        else dict(data)

    def final(key: str, default: Any = "") -> Any:
        if key in values:
            return values[key]
        if key in data:
            return _text(data[key])
        return getattr(current, key, default) if current else default

    if current is None or "name" in data:
        name = _SPACES.sub(" ", _text(data.get("name")))
        if not name:
            errors.append(("name", rules.NAME_REQUIRED))
        elif not NAME_PATTERN.match(name) or len(name) > 30:
            errors.append(("name", rules.NAME_INVALID))
        else:
            values["name"] = name

    id_number: str | None = None
    if current is None or "id_number" in data:
        id_number = rules.normalize_id_number(_text(data.get("id_number")))
        message = rules.id_number_error(id_number, today=today)
        if message:
            errors.append(("id_number", message))
            id_number = None

    for key, choices, message in (("category", _CATEGORIES, rules.CATEGORY_INVALID),
                                  ("grade", _GRADES, rules.GRADE_INVALID)):
        if current is None or key in data:
            value = _text(data.get(key))
            if value not in choices:
                errors.append((key, message))
            else:
                values[key] = value

    cert_number: str | None = None
    if current is None or not _CERT_INPUTS.isdisjoint(data):
        raw_cert = data["cert_number"] if "cert_number" in data else (
            current.cert_number if current else "")
        cert = rules.normalize_id_number(_text(raw_cert))
        if not cert:
            cert_number = ""
        else:
            # Check against the values the record will hold; a field that failed its own check
            # (None here) has its error already, and nothing is written.
            effective_id = id_number if (current is None or "id_number" in data) else current.id_number
            category = values.get("category") if (current is None or "category" in data) else current.category
            grade = values.get("grade") if (current is None or "grade" in data) else current.grade
            if effective_id and category and grade:
                message = rules.cert_number_error(cert, id_number=effective_id,
                                                  category=category, grade=grade)
                if message:
                    errors.append(("cert_number", message))
                else:
                    cert_number = cert
            elif len(cert) != 20:
                errors.append(("cert_number", rules.CERT_FORMAT))

    if current is None or "town" in data:
        code = _text(data.get("town"))
        if towns is not None:
            town = towns.get(code)
        else:
            town = Region.objects.filter(code=code, level=Region.Level.TOWN).first() if code else None
        allowed = town_codes_writable_by(actor)
        if not code:
            errors.append(("town", rules.TOWN_REQUIRED))
        elif town is None:
            errors.append(("town", rules.TOWN_INVALID))
        elif allowed is not None and town.code not in allowed:
            errors.append(("town", rules.TOWN_OUT_OF_SCOPE))
        else:
            values["town"] = town

    if "village" in data or "town" in values:
        # A person moved to another town leaves the old town's village behind.
        moved = current is not None and "town" in values and values["town"].code != current.town_id
        code = _text(data.get("village")) if "village" in data else (
            current.village_id if current and current.village_id and not moved else "")
        if code:
            town_code = values["town"].code if "town" in values else (current.town_id if current else "")
            if villages is not None:
                found = villages.get(code)
                village = found if found is not None and found.parent_id == town_code else None
            else:
                village = Region.objects.filter(code=code, level=Region.Level.VILLAGE,
                                                parent_id=town_code).first()
            if village is None:
                errors.append(("village", rules.VILLAGE_INVALID))
            else:
                values["village"] = village
        else:
            values["village"] = None

    if "address" in data:
        address = _text(data["address"])
        if len(address) > 200:
            errors.append(("address", rules.ADDRESS_TOO_LONG))
        else:
            values["address"] = address
    if "phone" in data:
        phone = _SPACE.sub("", _text(data["phone"]))
        if phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
            errors.append(("phone", rules.PHONE_INVALID))
        else:
            values["phone"] = phone
    if "education" in data:
        education = _text(data["education"])
        if education and education not in _EDUCATIONS:
            errors.append(("education", rules.EDUCATION_INVALID))
        else:
            values["education"] = education
    if "hardship" in data:
        flags = data["hardship"] or []
        if isinstance(flags, str):
            flags = [f for f in re.split(r"[,，\s]+", flags) if f]
        if not isinstance(flags, (list, tuple)) or any(f not in rules.HARDSHIP_FLAGS for f in flags):
            errors.append(("hardship", rules.HARDSHIP_INVALID))
        else:
            for flag in rules.HARDSHIP_FLAGS:
                values[f"hardship_{flag}"] = flag in flags
    for key, choices, message in (
            ("employment_form", _EMPLOYMENT_FORMS, rules.EMPLOYMENT_FORM_INVALID),
            ("not_working_reason", _NOT_WORKING_REASONS, rules.NOT_WORKING_REASON_INVALID),
            ("status", _STATUSES, rules.STATUS_INVALID)):
        if key in data:
            value = _text(data[key])
            if (value or key == "status") and value not in choices:
                errors.append((key, message))
            else:
                values[key] = value
    if final("employment_form") and final("not_working_reason"):
        errors.append(("not_working_reason", rules.NOT_WORKING_WITH_FORM))
    for key in BOOLEAN_FIELDS:
        if key in data:
            answer: Any = data[key]
            if isinstance(answer, str):
                answer = _BOOLEAN_WORDS.get(answer.strip().lower(), answer)
            if not isinstance(answer, bool):
                errors.append((key, BOOLEAN_INVALID))
            else:
                values[key] = answer

    if with_nul:
        errors = [e for e in errors if e[0] not in with_nul] + [(k, NUL_IN_TEXT) for k in sorted(with_nul)]
    if errors:
        raise InvalidInput(errors)
    return _Cleaned(values=values, id_number=id_number, cert_number=cert_number)


def apply_person_input(person: Person, cleaned: _Cleaned, *, id_hash: str = "") -> None:
    """Set the cleaned values; `id_hash`, when the caller has computed it already, is reused."""
    for key, value in cleaned.values.items():
        setattr(person, key, value)
    if "name" in cleaned.values:
        person.name_pinyin, person.name_initials = name_pinyin(person.name)
    if cleaned.id_number is not None:
        person.id_number_enc = crypto.encrypt(cleaned.id_number)
        person.id_hash = id_hash or crypto.lookup_hash(cleaned.id_number)
        person.id_tail = cleaned.id_number[-4:]
        person.birth_date = rules.birth_date_from_id(cleaned.id_number)
        person.gender = rules.gender_from_id(cleaned.id_number)
    if cleaned.cert_number is not None:
        person.cert_number_enc = crypto.encrypt(cleaned.cert_number) if cleaned.cert_number else ""
        person.cert_hash = crypto.lookup_hash(cleaned.cert_number) if cleaned.cert_number else None


def _check_unique(person: Person) -> None:
    others = Person.objects.exclude(pk=person.pk) if person.pk else Person.objects.all()
    if others.filter(id_hash=person.id_hash).exists():
        raise Conflict(rules.ID_DUPLICATE, [("id_number", rules.ID_DUPLICATE)])
    if person.cert_hash and others.filter(cert_hash=person.cert_hash).exists():
        raise Conflict(rules.CERT_DUPLICATE, [("cert_number", rules.CERT_DUPLICATE)])


def _save_unique(person: Person) -> None:
    """Save, turning a lost race on the unique hashes into the same 409 as the check."""
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        _check_unique(person)
        raise


def person_create(*, actor: Any, data: dict[str, Any]) -> Person:
    if not has_perm(actor, Perm.PERSON_CREATE):
        raise Forbidden()
    today = timezone.localdate()
    cleaned = clean_person_input(data, actor=actor, current=None, today=today)
    person = Person()
    apply_person_input(person, cleaned)
    with transaction.atomic():
        _check_unique(person)
        _save_unique(person)
        audit_record(actor=actor, action="person.create", obj=person,
                     summary=f"登记人员 #{person.pk}", changes={"after": person_snapshot(person)})
    return person


def _locked_for_edit(actor: Any, person_id: int) -> Person:
    if not has_perm(actor, Perm.PERSON_EDIT):
        raise Forbidden()
    # Lock the row: two clerks saving the same person must not interleave their diffs.
    person = persons_visible_to(actor).select_for_update().filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    return person


def person_update(*, actor: Any, person: Person, data: dict[str, Any]) -> Person:
    today = timezone.localdate()
    with transaction.atomic():
        locked = _locked_for_edit(actor, person.pk)
        before = person_snapshot(locked)
        cleaned = clean_person_input(data, actor=actor, current=locked, today=today)
        apply_person_input(locked, cleaned)
        after = person_snapshot(locked)
        changes = snapshot_diff(before, after)
        # Every change of a number shows in the diff (masked part or birth date), so an empty
        # diff means nothing changed, even when a form posted the same ID number back.
        if not changes:
            return locked
        locked.updated_at = timezone.now()
        _check_unique(locked)
        _save_unique(locked)
        if "town" in changes:
            enrollments_follow_town({locked.pk: locked.town_id})
        audit_record(actor=actor, action="person.update", obj=locked,
                     summary=f"修改人员 #{locked.pk}", changes={"diff": changes})
    return locked


def enrollments_follow_town(moved: dict[int, str]) -> None:
    """Copy a moved person's new town onto their enrolments (training.Enrollment.town), in the
    caller's transaction: their new town's staff now follow their classes, the old town's not."""
    from canpei.training.models import Enrollment

    by_town: dict[str, list[int]] = {}
    for person_id, town in moved.items():
        by_town.setdefault(town, []).append(person_id)
    for town, ids in by_town.items():
        for start in range(0, len(ids), 1000):
            Enrollment.objects.filter(person_id__in=ids[start:start + 1000]).update(town_id=town)


STATUS_COMMENT_REQUIRED = "变更状态须填写说明"


def person_change_status(*, actor: Any, person: Person, status: str, comment: str) -> Person:
    if status not in rules.PersonStatus.values:
        raise InvalidInput([("status", rules.STATUS_INVALID)])
    if not comment.strip():
        raise InvalidInput([("comment", STATUS_COMMENT_REQUIRED)])
    with transaction.atomic():
        locked = _locked_for_edit(actor, person.pk)
        if locked.status == status:
            return locked
        before = locked.status
        locked.status = status
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="person.status", obj=locked,
                     summary=f"人员 #{locked.pk} 状态变更",
                     changes={"diff": {"status": [before, status]}, "comment": comment.strip()})
    return locked


@dataclass(frozen=True)
class Identity:
    id_number: str
    cert_number: str


def person_reveal_identity(*, actor: Any, person_id: int | str) -> Identity:
    """Full numbers for the roles allowed to see them; every reveal is audited."""
    if not has_perm(actor, Perm.PERSON_REVEAL):
        raise NotFound()
    with transaction.atomic():
        try:
            person = persons_visible_to(actor).get(pk=int(person_id))
        except (Person.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        audit_record(actor=actor, action="person.reveal", obj=person,
                     summary=f"查看人员 #{person.pk} 完整证件号")
    return Identity(id_number=person.id_number, cert_number=person.cert_number)


LOOKUP_NOT_FOUND = "未找到该身份证号对应的在册人员"


def person_lookup(*, actor: Any, id_number: str) -> Person:
    """Exact lookup by full ID number (enrolment). Audited: it tells whether someone is disabled."""
    if not has_perm(actor, Perm.PERSON_LOOKUP):
        raise NotFound(LOOKUP_NOT_FOUND)
    number = rules.normalize_id_number(id_number or "")
    message = rules.id_number_error(number)
    if message:
        raise InvalidInput([("id_number", message)])
    from canpei.people.selectors import lookup_candidates

    base = lookup_candidates(user=actor)
    with transaction.atomic():
        person = base.select_related("town").filter(id_hash=crypto.lookup_hash(number)).first()
        audit_record(actor=actor, action="person.lookup", object_type="people.person",
                     object_id=person.pk if person else "",
                     summary="按身份证号查找人员" + ("" if person else "（未找到）"))
    if person is None:
        raise NotFound(LOOKUP_NOT_FOUND)
    return person
