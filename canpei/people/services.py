"""Writes to the registry. Each takes the acting user, checks the rules, locks what it changes
and writes its audit entry in the same transaction."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_noop

from canpei import hooks
from canpei.accounts.models import User
from canpei.accounts.roles import Perm, has_perm
from canpei.audit.actions import AuditAction
from canpei.audit.services import audit_record
from canpei.codes import field_label, field_length
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.people import crypto, rules
from canpei.people.models import Person
from canpei.people.pinyin import name_pinyin
from canpei.people.selectors import persons_visible_to
from canpei.regions.models import Region
from canpei.regions.scope import town_codes_writable_by
from canpei.validation import (  # noqa: F401  (snapshot_diff: the people imports take it here)
    BOOLEAN_INVALID, NUL_IN_TEXT, TOO_LONG_ZI, UNKNOWN_FIELD, Fields, choose, fill_in, has_nul,
    one_line, snapshot_diff, text, too_long_for,
)

# CJK ideographs: the basic block, extension A, compatibility, and extensions B–H (rare
# characters of names, GB 18030-2022); the middle dots of minority names; Latin letters.
NAME_PATTERN = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff\U00020000-\U000323af·•A-Za-z\s]{2,30}$")

EDITABLE_FIELDS = (
    "name", "id_number", "cert_number", "category", "grade", "town", "village", "address",
    "phone", "education", "hardship", "employment_form", "not_working_reason", "new_entrant",
    "registered_unemployed", "entrepreneurship_intention", "status",
)
BOOLEAN_FIELDS = ("new_entrant", "registered_unemployed", "entrepreneurship_intention")

_EDITABLE = frozenset(EDITABLE_FIELDS)

_CERT_INPUTS = frozenset(("cert_number", "id_number", "category", "grade"))


class Masked(str):
    """A value as the audit log shows it: the masked text is the string (what JSON encodes,
    hence all the log stores), but it compares by the value it masks, so a snapshot diff still
    sees that a phone number or a name changed without ever writing either."""

    _value: Any

    def __new__(cls, shown: str, value: Any) -> Masked:
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


@dataclass
class _Cleaned:
    values: dict[str, Any]
    id_number: str | None
    cert_number: str | None


def clean_person_input(data: dict[str, Any], *, actor: User, current: Person | None,
                       today: dt.date, towns: dict[str, Region] | None = None,
                       villages: dict[str, Region] | None = None) -> _Cleaned:
    """Validate every given field at once, so the user sees all problems together.

    Shared by the page, the API and the spreadsheet import; `towns` and `villages` (code ->
    Region, all of them) spare the import a query per row.
    """
    # PostgreSQL cannot store U+0000: such a field gets that one message, for every caller.
    f = Fields(data, allowed=_EDITABLE, current=current, text_check=has_nul,
               text_message=NUL_IN_TEXT)
    given = f.data
    values = f.values

    def final(key: str) -> Any:
        # What the record will hold; a value refused here counts as given, so its conflict with
        # another field shows too.
        if key in given and key not in values:
            return text(given[key])
        return f.final(key)

    if f.wanted("name"):
        name = one_line(given.get("name"))
        if not name:
            f.error("name", fill_in(field_label(Person, "name")))
        elif not NAME_PATTERN.match(name):
            f.error("name", _(rules.NAME_INVALID))
        else:
            values["name"] = name

    id_number: str | None = None
    if f.wanted("id_number"):
        id_number = rules.normalize_id_number(text(given.get("id_number")))
        message = rules.id_number_error(id_number, today=today)
        if message:
            f.error("id_number", message)
            id_number = None

    f.choice("category", rules.Category, _(rules.CATEGORY_INVALID), required=True,
             missing=choose(field_label(Person, "category")))
    f.choice("grade", rules.Grade, _(rules.GRADE_INVALID), required=True,
             missing=choose(field_label(Person, "grade")))

    cert_number: str | None = None
    if current is None or not _CERT_INPUTS.isdisjoint(given):
        raw_cert = given.get("cert_number", current.cert_number if current else "")
        cert = rules.normalize_id_number(text(raw_cert))
        if not cert:
            cert_number = ""
        else:
            # Check against the values the record will hold; a field that failed its own check
            # (None here) has its error already, and nothing is written.
            effective_id = id_number if (current is None or "id_number" in given) else current.id_number
            category = values.get("category") if (current is None or "category" in given) else current.category
            grade = values.get("grade") if (current is None or "grade" in given) else current.grade
            if effective_id and category and grade:
                message = rules.cert_number_error(cert, id_number=effective_id,
                                                  category=category, grade=grade)
                if message:
                    f.error("cert_number", message)
                else:
                    cert_number = cert
            elif len(cert) != 20:
                f.error("cert_number", _(rules.CERT_FORMAT))

    if f.wanted("town"):
        code = text(given.get("town"))
        if towns is not None:
            town = towns.get(code)
        else:
            town = Region.objects.filter(code=code, level=Region.Level.TOWN).first() if code else None
        allowed = town_codes_writable_by(actor)
        if not code:
            f.error("town", choose(field_label(Person, "town")))
        elif town is None:
            f.error("town", _(rules.TOWN_INVALID))
        elif allowed is not None and town.code not in allowed:
            f.error("town", _(rules.TOWN_OUT_OF_SCOPE))
        else:
            values["town"] = town

    if "village" in given or "town" in values:
        # A person moved to another town leaves the old town's village behind.
        moved = current is not None and "town" in values and values["town"].code != current.town_id
        code = text(given.get("village")) if "village" in given else (
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
                f.error("village", _(rules.VILLAGE_INVALID))
            else:
                values["village"] = village
        else:
            values["village"] = None

    length = field_length(Person, "address")
    f.text("address", max_length=length,
           too_long=too_long_for(field_label(Person, "address"), length, TOO_LONG_ZI.msgid))
    f.phone("phone", message=rules.PHONE_INVALID)
    f.choice("education", rules.Education, _(rules.EDUCATION_INVALID), blank=True)
    if "hardship" in given:
        flags = given["hardship"] or []
        if isinstance(flags, str):
            flags = [flag for flag in re.split(r"[,，\s]+", flags) if flag]
        if not isinstance(flags, (list, tuple)) or any(flag not in rules.HARDSHIP_FLAGS for flag in flags):
            f.error("hardship", _(rules.HARDSHIP_INVALID))
        else:
            for flag in rules.HARDSHIP_FLAGS:
                values[f"hardship_{flag}"] = flag in flags
    f.choice("employment_form", rules.EmploymentForm, _(rules.EMPLOYMENT_FORM_INVALID), blank=True)
    f.choice("not_working_reason", rules.NotWorkingReason, _(rules.NOT_WORKING_REASON_INVALID),
             blank=True)
    f.choice("status", rules.PersonStatus, _(rules.STATUS_INVALID))
    if final("employment_form") and final("not_working_reason"):
        f.error("not_working_reason", _(rules.NOT_WORKING_WITH_FORM))
    for key in BOOLEAN_FIELDS:
        f.boolean(key)
    return _Cleaned(values=f.finish(), id_number=id_number, cert_number=cert_number)


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
        raise Conflict(_(rules.ID_DUPLICATE), [("id_number", _(rules.ID_DUPLICATE))])
    if person.cert_hash and others.filter(cert_hash=person.cert_hash).exists():
        raise Conflict(_(rules.CERT_DUPLICATE), [("cert_number", _(rules.CERT_DUPLICATE))])


def _save_unique(person: Person) -> None:
    """Save, turning a lost race on the unique hashes into the same 409 as the check."""
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        _check_unique(person)
        raise


def person_create(*, actor: User, data: dict[str, Any]) -> Person:
    if not has_perm(actor, Perm.PERSON_CREATE):
        raise Forbidden()
    today = timezone.localdate()
    cleaned = clean_person_input(data, actor=actor, current=None, today=today)
    person = Person()
    apply_person_input(person, cleaned)
    with transaction.atomic():
        _check_unique(person)
        _save_unique(person)
        hooks.persons_added([person.pk])
        audit_record(actor=actor, action=AuditAction.PERSON_CREATE, obj=person,  # zh-data
                     summary=f"登记人员 #{person.pk}", changes={"after": person_snapshot(person)})
    return person


def _locked_for_edit(actor: User, person_id: int) -> Person:
    if not has_perm(actor, Perm.PERSON_EDIT):
        raise Forbidden()
    # Lock the row: two clerks saving the same person must not interleave their diffs.
    person = persons_visible_to(actor).select_for_update().filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    return person


def person_update(*, actor: User, person: Person, data: dict[str, Any]) -> Person:
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
            hooks.person_moved({locked.pk: locked.town_id})
        hooks.outcomes_changed([locked.pk])
        audit_record(actor=actor, action=AuditAction.PERSON_UPDATE, obj=locked,  # zh-data
                     summary=f"修改人员 #{locked.pk}", changes={"diff": changes})
    return locked


STATUS_COMMENT_REQUIRED = gettext_noop("变更状态须填写说明")


def person_change_status(*, actor: User, person: Person, status: str, comment: str) -> Person:
    if status not in rules.PersonStatus.values:
        raise InvalidInput([("status", _(rules.STATUS_INVALID))])
    if not comment.strip():
        raise InvalidInput([("comment", _(STATUS_COMMENT_REQUIRED))])
    with transaction.atomic():
        locked = _locked_for_edit(actor, person.pk)
        if locked.status == status:
            return locked
        before = locked.status
        locked.status = status
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "updated_at"])
        hooks.outcomes_changed([locked.pk])
        audit_record(actor=actor, action=AuditAction.PERSON_STATUS, obj=locked,  # zh-data
                     summary=f"人员 #{locked.pk} 状态变更",
                     changes={"diff": {"status": [before, status]}, "comment": comment.strip()})
    return locked


@dataclass(frozen=True)
class Identity:
    id_number: str
    cert_number: str


def person_reveal_identity(*, actor: User, person_id: int | str) -> Identity:
    """Full numbers for the roles allowed to see them; every reveal is audited."""
    if not has_perm(actor, Perm.PERSON_REVEAL):
        raise NotFound()
    with transaction.atomic():
        try:
            person = persons_visible_to(actor).get(pk=int(person_id))
        except (Person.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        audit_record(actor=actor, action=AuditAction.PERSON_REVEAL, obj=person,  # zh-data
                     summary=f"查看人员 #{person.pk} 完整证件号")
    return Identity(id_number=person.id_number, cert_number=person.cert_number)


LOOKUP_NOT_FOUND = gettext_noop("未找到该身份证号对应的在册人员")


def person_lookup(*, actor: User, id_number: str) -> Person:
    """Exact lookup by full ID number (enrolment). Audited: it tells whether someone is disabled."""
    if not has_perm(actor, Perm.PERSON_LOOKUP):
        raise NotFound(_(LOOKUP_NOT_FOUND))
    number = rules.normalize_id_number(id_number or "")
    message = rules.id_number_error(number)
    if message:
        raise InvalidInput([("id_number", message)])
    from canpei.people.selectors import lookup_candidates

    base = lookup_candidates(user=actor)
    with transaction.atomic():
        person = base.select_related("town").filter(id_hash=crypto.lookup_hash(number)).first()
        audit_record(actor=actor, action=AuditAction.PERSON_LOOKUP, object_type="people.person",  # zh-data
                     object_id=person.pk if person else "",
                     summary="按身份证号查找人员" + ("" if person else "（未找到）"))
    if person is None:
        raise NotFound(_(LOOKUP_NOT_FOUND))
    return person


EMPLOYMENT_SOURCE_REQUIRED = gettext_noop("须说明就业情况的来源")


def person_set_employment(*, actor: User, person: Person, employment_form: str,
                          not_working_reason: str, source: str) -> Person:
    """Set the person's current employment form (or, not employed, the reason) from another
    record that found it out, e.g. a follow-up (`source` names it in the audit entry).

    Narrower than person_update: only these two fields, and open to whoever records follow-ups
    (FOLLOWUP_RECORD: the employment service centre holds no PERSON_EDIT) as well as to the
    registry's editors, each within their scope of persons. Call it inside the caller's
    transaction so both writes commit together; nothing changes (and nothing is audited) when the
    values are the ones already held.
    """
    if not (has_perm(actor, Perm.FOLLOWUP_RECORD) or has_perm(actor, Perm.PERSON_EDIT)):
        raise Forbidden()
    errors: list[tuple[str, str]] = []
    if employment_form and employment_form not in rules.EmploymentForm.values:
        errors.append(("employment_form", _(rules.EMPLOYMENT_FORM_INVALID)))
    if not_working_reason and not_working_reason not in rules.NotWorkingReason.values:
        errors.append(("not_working_reason", _(rules.NOT_WORKING_REASON_INVALID)))
    if employment_form and not_working_reason:
        errors.append(("not_working_reason", _(rules.NOT_WORKING_WITH_FORM)))
    if not source.strip():
        errors.append(("source", _(EMPLOYMENT_SOURCE_REQUIRED)))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        if not persons_visible_to(actor).filter(pk=person.pk).exists():
            raise NotFound()
        locked = Person.objects.select_for_update().get(pk=person.pk)
        changes = {key: [getattr(locked, key), value] for key, value in (
            ("employment_form", employment_form), ("not_working_reason", not_working_reason))
            if getattr(locked, key) != value}
        if not changes:
            return locked
        locked.employment_form = employment_form
        locked.not_working_reason = not_working_reason
        locked.updated_at = timezone.now()
        locked.save(update_fields=["employment_form", "not_working_reason", "updated_at"])
        audit_record(actor=actor, action=AuditAction.PERSON_EMPLOYMENT, obj=locked,  # zh-data
                     summary=f"人员 #{locked.pk} 就业情况更新（{source.strip()[:60]}）",
                     changes={"diff": changes, "source": source.strip()[:200]})
    return locked
