"""Creating and editing institutions and their teachers (canpei.institutions.services)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canpei.audit.models import AuditEntry
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.institutions import rules, selectors
from canpei.institutions.models import Institution, Teacher
from canpei.institutions.services import (
    institution_create,
    institution_update,
    teacher_add,
    teacher_update,
)
from tests.conftest import ANHAI, CIZAO, credit_code

CODE = credit_code("91350582MA2QQQQQ0")


def data(**overrides: Any) -> dict[str, Any]:
    values = {
        "name": "晋江市安海镇盲人按摩培训中心",
        "credit_code": CODE,
        "type": "private",
        "town": ANHAI,
        "address": "安海镇安平路 1 号",
        "license_number": "235058271000999",
        "specialties": "盲人保健按摩",
        "accessibility": ["lift", "step_free"],
        "contact_person": "林老师",
        "phone": "0595-85123456",
    }
    values.update(overrides)
    return values


def errors_of(exc: Any) -> dict[str, str]:
    return dict(exc.value.errors)


def test_city_admin_registers_an_applicant_with_an_audit_entry(users: Any) -> None:
    institution = institution_create(actor=users.city_admin, data=data())
    stored = Institution.objects.get(pk=institution.pk)
    assert (stored.state, stored.designated_from, stored.designated_to) == ("applied", None, None)
    assert stored.town_id == ANHAI and stored.credit_code == CODE
    # Stored in the table's order, whatever order was given.
    assert stored.accessibility == ["step_free", "lift"]
    assert stored.accessibility_labels == ["无障碍通道", "电梯"]
    entry = AuditEntry.objects.filter(action="institution.create").latest("id")
    assert entry.object_id == str(stored.pk) and entry.actor_username == users.city_admin.username
    assert entry.changes["after"]["credit_code"] == CODE


def test_the_credit_code_is_normalised_before_it_is_checked(users: Any) -> None:
    # Full-width characters, lower case and surrounding spaces, as typed from a licence scan.
    typed = " " + "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in CODE.lower()) + " "
    institution = institution_create(actor=users.city_admin, data=data(credit_code=typed))
    assert Institution.objects.get(pk=institution.pk).credit_code == CODE


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("name", "", rules.NAME_REQUIRED),
        ("name", "长" * 101, rules.NAME_TOO_LONG),
        ("credit_code", "", rules.CREDIT_CODE_REQUIRED),
        ("credit_code", "91350582MA2QQQQQ", rules.CREDIT_CODE_FORMAT),
        ("credit_code", "91350582MA2QQQQQ0I", rules.CREDIT_CODE_FORMAT),
        ("credit_code", CODE[:17] + ("0" if CODE[17] != "0" else "1"), rules.CREDIT_CODE_CHECKSUM),
        ("type", "school", rules.TYPE_INVALID),
        ("type", "", rules.TYPE_INVALID),
        ("town", "", rules.TOWN_REQUIRED),
        ("town", "350582000000", rules.TOWN_INVALID),
        ("town", "999999999999", rules.TOWN_INVALID),
        ("address", "路" * 201, rules.ADDRESS_TOO_LONG),
        ("license_number", "1" * 51, rules.LICENSE_TOO_LONG),
        ("accessibility", ["ramp"], rules.ACCESSIBILITY_INVALID),
        ("accessibility", "lift", None),
        ("phone", "12345", rules.PHONE_INVALID),
        ("phone", "13905951234", None),
        ("contact_person", "人" * 31, rules.CONTACT_TOO_LONG),
        ("name", "机构\x00", rules.TEXT_INVALID),
        ("address", "\ud800", rules.TEXT_INVALID),
        ("state", "designated", rules.DESIGNATION_FIELD),
        ("designated_to", "2030-01-01", rules.DESIGNATION_FIELD),
        ("colour", "blue", rules.UNKNOWN_FIELD),
    ],
)
def test_each_field_is_checked_and_named(
    field: str, value: Any, message: str | None, users: Any
) -> None:
    if message is None:
        institution_create(actor=users.city_admin, data=data(**{field: value}))
        return
    with pytest.raises(InvalidInput) as refused:
        institution_create(actor=users.city_admin, data=data(**{field: value}))
    assert errors_of(refused) == {field: message}
    assert not Institution.objects.filter(credit_code=CODE).exists()


def test_every_problem_is_reported_at_once(users: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        institution_create(actor=users.city_admin, data={})
    assert errors_of(refused) == {
        "name": rules.NAME_REQUIRED,
        "credit_code": rules.CREDIT_CODE_REQUIRED,
        "type": rules.TYPE_INVALID,
        "town": rules.TOWN_REQUIRED,
    }


def test_a_second_institution_with_the_same_code_is_a_409_naming_credit_code(
    users: Any, institution: Any
) -> None:
    before = Institution.objects.count()
    with pytest.raises(Conflict) as refused:
        institution_create(
            actor=users.city_admin, data=data(credit_code=institution.credit_code.lower())
        )
    assert refused.value.errors == [("credit_code", rules.CREDIT_CODE_DUPLICATE)]
    assert Institution.objects.count() == before
    other = institution_create(actor=users.city_admin, data=data())
    with pytest.raises(Conflict):
        institution_update(
            actor=users.city_admin, institution=other, data={"credit_code": institution.credit_code}
        )
    assert Institution.objects.get(pk=other.pk).credit_code == CODE


@pytest.mark.parametrize(
    "role",
    [
        "town_staff",
        "institution_staff",
        "employment_service",
        "auditor",
        "sys_admin",
        "security_admin",
        "audit_admin",
    ],
)
def test_only_city_admin_registers_institutions(role: str, users: Any) -> None:
    with pytest.raises(Forbidden):
        institution_create(actor=users.by_role()[role], data=data())
    assert not Institution.objects.filter(credit_code=CODE).exists()


def test_city_admin_edits_any_institution_with_the_diff_audited(
    users: Any, other_institution: Any
) -> None:
    institution_update(
        actor=users.city_admin,
        institution=other_institution,
        data={"town": ANHAI, "phone": "13905951234", "accessibility": ["lift"]},
    )
    stored = Institution.objects.get(pk=other_institution.pk)
    assert (stored.town_id, stored.phone, stored.accessibility) == (ANHAI, "13905951234", ["lift"])
    entry = AuditEntry.objects.filter(action="institution.update").latest("id")
    assert entry.changes["diff"]["town"] == [CIZAO, ANHAI]
    assert set(entry.changes["diff"]) == {"town", "phone", "accessibility"}


def test_an_edit_that_changes_nothing_writes_nothing(users: Any, institution: Any) -> None:
    before = AuditEntry.objects.count()
    institution_update(
        actor=users.city_admin, institution=institution, data={"name": institution.name}
    )
    assert AuditEntry.objects.count() == before


def test_institution_staff_edit_their_own_profile(users: Any, institution: Any) -> None:
    institution_update(
        actor=users.institution_staff,
        institution=institution,
        data={
            "name": "晋江市职业技术学校（新校区）",
            "specialties": "电子商务",
            "accessibility": ["step_free", "hearing_loop"],
            "contact_person": "教务处",
        },
    )
    stored = Institution.objects.get(pk=institution.pk)
    assert stored.name == "晋江市职业技术学校（新校区）"
    assert stored.accessibility == ["step_free", "hearing_loop"]


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("state", "demonstration", rules.DESIGNATION_FIELD),
        ("designated_from", "2020-01-01", rules.DESIGNATION_FIELD),
        ("designated_to", "2099-12-31", rules.DESIGNATION_FIELD),
        ("credit_code", credit_code("91350582MA2WWWWW0"), rules.CITY_ONLY_FIELD),
        ("type", "university", rules.CITY_ONLY_FIELD),
        ("town", ANHAI, rules.CITY_ONLY_FIELD),
    ],
)
def test_institution_staff_cannot_change_their_designation_or_identity(
    field: str, value: Any, message: str, users: Any, institution: Any
) -> None:
    before = Institution.objects.values().get(pk=institution.pk)
    with pytest.raises(InvalidInput) as refused:
        institution_update(
            actor=users.institution_staff,
            institution=institution,
            data={field: value, "phone": "13905951234"},
        )
    assert errors_of(refused) == {field: message}
    assert Institution.objects.values().get(pk=institution.pk) == before


def test_city_admin_cannot_change_the_state_by_editing_either(users: Any, institution: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        institution_update(
            actor=users.city_admin, institution=institution, data={"state": "revoked"}
        )
    assert errors_of(refused) == {"state": rules.DESIGNATION_FIELD}
    assert Institution.objects.get(pk=institution.pk).state == "designated"


def test_institution_staff_cannot_edit_another_institution(
    users: Any, other_institution: Any
) -> None:
    with pytest.raises(NotFound):
        institution_update(
            actor=users.institution_staff,
            institution=other_institution,
            data={"phone": "13905951234"},
        )
    assert Institution.objects.get(pk=other_institution.pk).phone == ""


@pytest.mark.parametrize(
    "role",
    ["town_staff", "employment_service", "auditor", "sys_admin", "security_admin", "audit_admin"],
)
def test_read_only_roles_cannot_edit(role: str, users: Any, institution: Any) -> None:
    with pytest.raises(Forbidden):
        institution_update(
            actor=users.by_role()[role], institution=institution, data={"phone": "13905951234"}
        )


# ---- teachers --------------------------------------------------------------------------------


def test_institution_staff_add_and_retire_their_teachers(users: Any, institution: Any) -> None:
    teacher = teacher_add(
        actor=users.institution_staff,
        institution=institution,
        data={"name": "许秀英", "specialty": "电子商务", "qualification": "中级电子商务师"},
    )
    assert list(selectors.teacher_list(user=users.institution_staff, institution=institution)) == [
        teacher
    ]
    teacher_update(actor=users.institution_staff, teacher=teacher, data={"active": False})
    assert Teacher.objects.get(pk=teacher.pk).active is False
    actions = list(
        AuditEntry.objects.filter(object_type="institutions.teacher")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == ["teacher.create", "teacher.update"]


def test_a_teacher_needs_a_name_and_short_fields(users: Any, institution: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        teacher_add(
            actor=users.city_admin,
            institution=institution,
            data={"name": " ", "specialty": "专" * 51, "qualification": "资" * 101},
        )
    assert errors_of(refused) == {
        "name": rules.TEACHER_NAME_REQUIRED,
        "specialty": rules.TEACHER_SPECIALTY_TOO_LONG,
        "qualification": rules.TEACHER_QUALIFICATION_TOO_LONG,
    }
    assert not Teacher.objects.exists()


def test_teachers_of_another_institution_are_out_of_reach(
    users: Any, other_institution: Any
) -> None:
    teacher = teacher_add(
        actor=users.city_admin, institution=other_institution, data={"name": "王老师"}
    )
    with pytest.raises(NotFound):
        teacher_add(
            actor=users.institution_staff, institution=other_institution, data={"name": "李老师"}
        )
    with pytest.raises(NotFound):
        teacher_update(actor=users.institution_staff, teacher=teacher, data={"active": False})
    assert (
        list(selectors.teacher_list(user=users.institution_staff, institution=other_institution))
        == []
    )
    assert Teacher.objects.get(pk=teacher.pk).active is True
    with pytest.raises(Forbidden):
        teacher_add(actor=users.town_staff, institution=other_institution, data={"name": "李老师"})


# ---- property: any valid code is accepted, any single-character change refused -----------------

ALPHABET = rules.ALPHABET


@settings(max_examples=40, deadline=None)
@given(
    first17=st.text(ALPHABET, min_size=17, max_size=17),
    position=st.integers(0, 17),
    replacement=st.sampled_from(ALPHABET),
)
def test_a_code_with_one_character_changed_is_refused(
    first17: str, position: int, replacement: str
) -> None:
    code = first17 + rules.credit_code_check_char(first17)
    assert rules.credit_code_error(code) is None
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        assert rules.credit_code_error(changed) == rules.CREDIT_CODE_CHECKSUM
