"""Writes to the registry through canpei.people.services, and search through the selectors.

Every write leaves exactly one audit entry whose numbers are masked; the ID and certificate
numbers are never stored in clear, neither in the person's row nor in the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.db import connection

from canpei.audit.models import AuditEntry
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.people import rules
from canpei.people.models import Person
from canpei.people.rules import Gender, mask_cert_number, mask_id_number
from canpei.people.selectors import PersonFilters, person_list
from canpei.people.services import (
    LOOKUP_NOT_FOUND,
    STATUS_COMMENT_REQUIRED,
    person_change_status,
    person_create,
    person_lookup,
    person_reveal_identity,
    person_update,
)
from tests.conftest import ANHAI, CIZAO, make_id, person_data

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def raw_rows(table: str) -> list[str]:
    """Every column of every row, as the database returns it (no model decoding)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return [" | ".join(str(value) for value in row) for row in cursor.fetchall()]


def audit_text() -> str:
    return "\n".join(raw_rows(AuditEntry._meta.db_table))


def wrong_check_char(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def counts() -> tuple[int, int]:
    return Person.objects.count(), AuditEntry.objects.count()


class Audited:
    """Asserts that the block writes exactly one audit entry, and gives it."""

    def __enter__(self) -> Audited:
        self.last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            new = list(AuditEntry.objects.filter(pk__gt=self.last).order_by("pk"))
            assert len(new) == 1, [e.action for e in new]
            self.entry = new[0]


def assert_no_full_numbers_in_audit(*numbers: str) -> None:
    text = audit_text()
    for number in numbers:
        if number:
            assert number not in text
            assert number[6:14] + number[14:] not in text  # birth date and sequence together


# Create.


def test_it_creates_a_person_with_one_audit_entry_holding_masked_numbers(users):
    data = person_data()
    with Audited() as audited:
        person = person_create(actor=users.city_admin, data=data)
    entry = audited.entry
    assert (entry.action, entry.object_type, entry.object_id) == (
        "person.create",
        "people.person",
        str(person.pk),
    )
    assert entry.actor_id == users.city_admin.pk
    after = entry.changes["after"]
    assert (
        after["id_number"]
        == mask_id_number(data["id_number"])
        == "350582********" + data["id_number"][-4:]
    )
    assert after["cert_number"] == mask_cert_number(data["cert_number"])
    assert after["name"] == "张*" and after["town"] == ANHAI  # the name masked (issue 8, item 10)
    assert_no_full_numbers_in_audit(data["id_number"], data["cert_number"])


def test_it_derives_gender_and_birth_date_from_the_id_number(users):
    person = person_create(
        actor=users.city_admin,
        data=person_data(name="曾小明", id_number=make_id("35058220000229002"), cert_number=""),
    )
    stored = Person.objects.get(pk=person.pk)
    assert stored.gender == Gender.FEMALE
    assert stored.birth_date == dt.date(2000, 2, 29)
    assert (stored.name_pinyin, stored.name_initials) == ("zengxiaoming", "zxm")


def test_it_stores_neither_number_in_clear(users):
    data = person_data()
    person = person_create(actor=users.city_admin, data=data)
    rows = raw_rows(Person._meta.db_table)
    assert len(rows) == 1
    assert data["id_number"] not in rows[0]
    assert data["id_number"][:14] not in rows[0]  # not even the address code and birth date
    assert data["cert_number"] not in rows[0]
    stored = Person.objects.get(pk=person.pk)
    assert stored.id_number_enc.startswith("v1:") and stored.cert_number_enc.startswith("v1:")
    assert stored.id_tail == data["id_number"][-4:]
    # The lookup hash is keyed: not the plain digest anyone could compute from a guessed ID.
    assert stored.id_hash not in {
        hashlib.sha256(data["id_number"].encode()).hexdigest(),
        hashlib.md5(data["id_number"].encode()).hexdigest(),
    }
    # The service can still read them back.
    assert (stored.id_number, stored.cert_number) == (data["id_number"], data["cert_number"])


def test_it_normalises_a_full_width_id_with_a_lower_case_x(users):
    number = make_id("35058219491231007")
    assert number.endswith("X")
    person = person_create(
        actor=users.city_admin,
        data=person_data(
            id_number=number.lower().translate(FULL_WIDTH), cert_number=(number + "42").lower()
        ),
    )
    stored = Person.objects.get(pk=person.pk)
    assert (stored.id_number, stored.cert_number) == (number, number + "42")


def test_it_rejects_a_duplicate_id_number_and_writes_nothing(person_in, users):
    before = counts()
    variant = person_in.id_number.translate(FULL_WIDTH)  # the same number, typed differently
    with pytest.raises(Conflict) as caught:
        person_create(
            actor=users.city_admin, data=person_data(name="王五", id_number=variant, cert_number="")
        )
    assert caught.value.message == rules.ID_DUPLICATE
    assert caught.value.errors == [("id_number", rules.ID_DUPLICATE)]
    assert counts() == before


def test_it_rejects_a_duplicate_id_number_from_another_town_the_clerk_cannot_see(person_out, users):
    before = counts()
    with pytest.raises(Conflict) as caught:
        person_create(
            actor=users.town_staff, data=person_data(id_number=person_out.id_number, cert_number="")
        )
    assert caught.value.errors == [("id_number", rules.ID_DUPLICATE)]
    assert counts() == before


def test_it_names_every_invalid_field_and_writes_nothing(users):
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        person_create(
            actor=users.city_admin,
            data={
                "name": "张3",
                "id_number": wrong_check_char(make_id("35058219900307001")),
                "category": "8",
                "grade": "5",
                "town": "350582999000",
                "phone": "12345",
                "education": "phd",
                "hardship": ["rich"],
                "employment_form": "9",
                "address": "路" * 201,
                "new_entrant": "maybe",
                "favourite_colour": "blue",
            },
        )
    assert dict(caught.value.errors) == {
        "name": rules.NAME_INVALID,
        "id_number": rules.ID_CHECKSUM,
        "category": rules.CATEGORY_INVALID,
        "grade": rules.GRADE_INVALID,
        "town": rules.TOWN_INVALID,
        "phone": rules.PHONE_INVALID,
        "education": rules.EDUCATION_INVALID,
        "hardship": rules.HARDSHIP_INVALID,
        "employment_form": rules.EMPLOYMENT_FORM_INVALID,
        "address": "地址不能超过 200 字",
        "new_entrant": "只能为是或否",
        "favourite_colour": "不能修改此字段",
    }
    assert counts() == before


def test_it_requires_name_id_category_grade_and_town(users):
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        person_create(actor=users.city_admin, data={})
    assert dict(caught.value.errors) == {
        "name": "请填写姓名",
        "id_number": rules.ID_REQUIRED,
        "category": "请选择残疾类别",
        "grade": "请选择残疾等级",
        "town": "请选择所属镇街",
    }
    assert counts() == before
    # A value given but not in the table still names the codes.
    with pytest.raises(InvalidInput) as caught:
        person_create(actor=users.city_admin, data={"category": "9", "grade": "0"})
    errors = dict(caught.value.errors)
    assert (errors["category"], errors["grade"]) == (rules.CATEGORY_INVALID, rules.GRADE_INVALID)


@pytest.mark.parametrize(
    "cert_suffix_or_number, message",
    [
        ("42", None),
        ("12", rules.CERT_CATEGORY_MISMATCH),
        ("43", rules.CERT_GRADE_MISMATCH),
        ("4", rules.CERT_FORMAT),
        ("other", rules.CERT_ID_MISMATCH),
    ],
)
def test_it_checks_the_certificate_number_against_id_category_and_grade(
    users, cert_suffix_or_number, message
):
    number = make_id("35058219900307001")
    cert = (
        make_id("35058219900307011") + "42"
        if cert_suffix_or_number == "other"
        else (number + cert_suffix_or_number)
    )
    before = counts()
    data = person_data(id_number=number, cert_number=cert, category="4", grade="2")
    if message is None:
        assert person_create(actor=users.city_admin, data=data).cert_number == cert
        return
    with pytest.raises(InvalidInput) as caught:
        person_create(actor=users.city_admin, data=data)
    assert caught.value.errors == [("cert_number", message)]
    assert counts() == before


def test_town_staff_cannot_register_a_person_in_another_town(users):
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        person_create(actor=users.town_staff, data=person_data(town=CIZAO))
    assert caught.value.errors == [("town", rules.TOWN_OUT_OF_SCOPE)]
    assert counts() == before


def test_town_staff_register_persons_of_their_own_town(users):
    with Audited() as audited:
        person = person_create(actor=users.town_staff, data=person_data(town=ANHAI))
    assert person.town_id == ANHAI
    assert audited.entry.actor_id == users.town_staff.pk


@pytest.mark.parametrize(
    "role",
    [
        "institution_staff",
        "employment_service",
        "auditor",
        "sys_admin",
        "security_admin",
        "audit_admin",
    ],
)
def test_roles_without_the_create_permission_cannot_register_anyone(users, role):
    before = counts()
    with pytest.raises(Forbidden):
        person_create(actor=users.by_role()[role], data=person_data())
    assert counts() == before


# Update.


def test_it_updates_with_one_audit_entry_of_the_masked_diff(person_in, users):
    number = make_id("35058219950815002")
    with Audited() as audited:
        person_update(
            actor=users.city_admin,
            person=person_in,
            data={"id_number": number, "cert_number": number + "42", "phone": "13800000000"},
        )
    diff = audited.entry.changes["diff"]
    assert audited.entry.action == "person.update"
    assert diff["id_number"] == [mask_id_number(person_in.id_number), mask_id_number(number)]
    assert diff["cert_number"] == [
        mask_cert_number(person_in.cert_number),
        mask_cert_number(number + "42"),
    ]
    assert diff["phone"] == ["", "****"]  # that it changed, not the number
    assert diff["birth_date"] == ["1990-03-07", "1995-08-15"]
    assert_no_full_numbers_in_audit(
        person_in.id_number, person_in.cert_number, number, number + "42"
    )


def test_editing_the_id_number_re_derives_gender_and_birth_date(person_in, users):
    assert (person_in.gender, person_in.birth_date) == (Gender.MALE, dt.date(1990, 3, 7))
    number = make_id("35058219950815002")
    person_update(
        actor=users.city_admin,
        person=person_in,
        data={"id_number": number, "cert_number": number + "42"},
    )
    stored = Person.objects.get(pk=person_in.pk)
    assert (stored.gender, stored.birth_date) == (Gender.FEMALE, dt.date(1995, 8, 15))
    assert stored.id_number == number and stored.id_tail == number[-4:]
    assert raw_rows(Person._meta.db_table)[0].count(number) == 0


def test_editing_the_id_number_alone_is_refused_while_the_certificate_holds_the_old_one(
    person_in, users
):
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        person_update(
            actor=users.city_admin,
            person=person_in,
            data={"id_number": make_id("35058219950815002")},
        )
    assert caught.value.errors == [("cert_number", rules.CERT_ID_MISMATCH)]
    assert counts() == before
    assert Person.objects.get(pk=person_in.pk).id_number == person_in.id_number


def test_editing_the_category_requires_a_matching_certificate(person_in, users):
    with pytest.raises(InvalidInput) as caught:
        person_update(actor=users.city_admin, person=person_in, data={"category": "1"})
    assert caught.value.errors == [("cert_number", rules.CERT_CATEGORY_MISMATCH)]
    person_update(
        actor=users.city_admin,
        person=person_in,
        data={"category": "1", "cert_number": person_in.id_number + "12"},
    )
    assert Person.objects.get(pk=person_in.pk).category == "1"


def test_editing_to_another_persons_id_number_is_a_conflict(person_in, person_out, users):
    before = counts()
    with pytest.raises(Conflict) as caught:
        person_update(
            actor=users.city_admin, person=person_out, data={"id_number": person_in.id_number}
        )
    assert caught.value.errors == [("id_number", rules.ID_DUPLICATE)]
    assert counts() == before
    assert Person.objects.get(pk=person_out.pk).id_number == person_out.id_number


def test_an_edit_that_changes_nothing_writes_nothing(person_in, users):
    before = counts()
    stored_before = raw_rows(Person._meta.db_table)
    # A form posts every field back, the ID number included.
    person_update(
        actor=users.city_admin,
        person=person_in,
        data={
            "name": person_in.name,
            "id_number": person_in.id_number,
            "cert_number": person_in.cert_number,
            "category": person_in.category,
            "grade": person_in.grade,
            "town": person_in.town_id,
        },
    )
    assert counts() == before
    assert raw_rows(Person._meta.db_table) == stored_before


def test_an_invalid_edit_names_the_field_and_writes_nothing(person_in, users):
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        person_update(
            actor=users.city_admin,
            person=person_in,
            data={"phone": "abc", "employment_form": "1", "not_working_reason": "3"},
        )
    assert dict(caught.value.errors) == {
        "phone": rules.PHONE_INVALID,
        "not_working_reason": rules.NOT_WORKING_WITH_FORM,
    }
    assert counts() == before


def test_town_staff_cannot_move_their_person_to_another_town(person_in, users):
    with pytest.raises(InvalidInput) as caught:
        person_update(actor=users.town_staff, person=person_in, data={"town": CIZAO})
    assert caught.value.errors == [("town", rules.TOWN_OUT_OF_SCOPE)]
    assert Person.objects.get(pk=person_in.pk).town_id == ANHAI


def test_town_staff_cannot_edit_a_person_of_another_town(person_out, users):
    before = counts()
    with pytest.raises(NotFound):
        person_update(actor=users.town_staff, person=person_out, data={"phone": "13800000000"})
    assert counts() == before


# Status.


def test_it_changes_status_with_one_audit_entry(person_in, users):
    with Audited() as audited:
        person_change_status(
            actor=users.town_staff, person=person_in, status="moved_out", comment=" 迁往泉州 "
        )
    assert Person.objects.get(pk=person_in.pk).status == "moved_out"
    assert audited.entry.action == "person.status"
    assert audited.entry.changes == {
        "diff": {"status": ["active", "moved_out"]},
        "comment": "迁往泉州",
    }


@pytest.mark.parametrize(
    "status, comment, field, message",
    [
        ("emigrated", "说明", "status", rules.STATUS_INVALID),
        ("deceased", "  ", "comment", STATUS_COMMENT_REQUIRED),
    ],
)
def test_it_rejects_a_status_change_without_a_valid_status_or_comment(
    person_in, users, status, comment, field, message
):
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        person_change_status(
            actor=users.city_admin, person=person_in, status=status, comment=comment
        )
    assert caught.value.errors == [(field, message)]
    assert counts() == before


def test_town_staff_cannot_change_the_status_of_another_towns_person(person_out, users):
    before = counts()
    with pytest.raises(NotFound):
        person_change_status(
            actor=users.town_staff, person=person_out, status="deceased", comment="误报"
        )
    assert counts() == before
    assert Person.objects.get(pk=person_out.pk).status == "active"


# Reveal and lookup.


def test_revealing_the_full_numbers_is_audited_without_the_numbers(person_in, users):
    with Audited() as audited:
        identity = person_reveal_identity(actor=users.town_staff, person_id=person_in.pk)
    assert (identity.id_number, identity.cert_number) == (
        person_in.id_number,
        person_in.cert_number,
    )
    assert audited.entry.action == "person.reveal"
    assert (audited.entry.object_id, audited.entry.actor_id) == (
        str(person_in.pk),
        users.town_staff.pk,
    )
    assert_no_full_numbers_in_audit(person_in.id_number, person_in.cert_number)


@pytest.mark.parametrize(
    "who",
    [
        "other_town_staff",
        "institution_staff",
        "employment_service",
        "auditor",
        "sys_admin",
        "audit_admin",
    ],
)
def test_a_reveal_outside_scope_or_permission_is_not_found_and_not_logged(person_in, users, who):
    before = counts()
    with pytest.raises(NotFound):
        person_reveal_identity(actor=getattr(users, who), person_id=person_in.pk)
    assert counts() == before


def test_a_lookup_by_full_id_number_is_audited_without_the_number(person_in, users):
    with Audited() as audited:
        found = person_lookup(
            actor=users.institution_staff, id_number=person_in.id_number.translate(FULL_WIDTH)
        )
    assert found.pk == person_in.pk
    assert audited.entry.action == "person.lookup"
    assert audited.entry.object_id == str(person_in.pk)
    assert_no_full_numbers_in_audit(person_in.id_number)


def test_a_failed_lookup_is_audited_too(users):
    with Audited() as audited:
        with pytest.raises(NotFound) as caught:
            person_lookup(actor=users.institution_staff, id_number=make_id("35058219900307991"))
    assert caught.value.message == LOOKUP_NOT_FOUND
    assert audited.entry.action == "person.lookup" and audited.entry.object_id == ""
    assert_no_full_numbers_in_audit(make_id("35058219900307991"))


def test_a_lookup_of_an_invalid_number_names_the_error_and_logs_nothing(users):
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        person_lookup(actor=users.institution_staff, id_number="35058219900307001")
    assert caught.value.errors == [("id_number", rules.ID_FORMAT)]
    assert counts() == before


def test_town_staff_look_up_only_their_own_towns_persons(person_out, users):
    with pytest.raises(NotFound):
        person_lookup(actor=users.town_staff, id_number=person_out.id_number)
    assert (
        person_lookup(actor=users.other_town_staff, id_number=person_out.id_number).pk
        == person_out.pk
    )


def test_the_audit_log_never_holds_a_full_number_after_a_whole_workflow(
    person_in, person_out, users
):
    number = make_id("35058219950815002")
    person_update(
        actor=users.city_admin,
        person=person_in,
        data={"id_number": number, "cert_number": number + "43", "grade": "3"},
    )
    person_change_status(
        actor=users.city_admin, person=person_out, status="deceased", comment="死亡"
    )
    person_reveal_identity(actor=users.city_admin, person_id=person_in.pk)
    person_lookup(actor=users.auditor, id_number=number)  # active persons only: person_in
    assert AuditEntry.objects.count() == 6
    assert_no_full_numbers_in_audit(
        number, number + "43", make_id("35058219900307001"), person_out.id_number
    )


# Search.


def search(user: Any, q: str) -> list[str]:
    return [p.name for p in person_list(user=user, filters=PersonFilters(q=q))]


@pytest.fixture
def registry(users, person_in, person_out):
    person_create(
        actor=users.city_admin,
        data=person_data(name="曾志明", id_number=make_id("35058219491231007"), cert_number=""),
    )
    person_create(
        actor=users.city_admin,
        data=person_data(name="张丽华", id_number=make_id("35058220000101004"), cert_number=""),
    )
    return users


@pytest.mark.parametrize(
    "q, names",
    [
        ("张", ["张三", "张丽华"]),
        ("张三", ["张三"]),
        ("zhangsan", ["张三"]),
        ("zhang", ["张三", "张丽华"]),
        ("ZhangSan", ["张三"]),
        ("zs", ["张三"]),
        ("z", ["张三", "曾志明", "张丽华"]),
        ("zeng", ["曾志明"]),  # the surname reading, not "ceng"
        ("ceng", []),
        ("zzm", ["曾志明"]),
        ("李四", ["李四"]),
        ("ls", ["李四"]),
        ("王", []),
    ],
)
def test_it_finds_persons_by_name_pinyin_and_initials(registry, q, names):
    assert search(registry.city_admin, q) == names


def test_it_finds_persons_by_the_tail_of_the_id_number(registry, person_in):
    assert search(registry.city_admin, person_in.id_number[-4:]) == ["张三"]
    x_tail = make_id("35058219491231007")[-4:]
    assert x_tail.endswith("X")
    assert search(registry.city_admin, x_tail) == ["曾志明"]
    assert search(registry.city_admin, x_tail.lower()) == ["曾志明"]
    assert search(registry.city_admin, x_tail[-2:].lower()) == ["曾志明"]


def test_it_finds_a_person_by_the_full_id_number_however_typed(registry, person_in):
    number = make_id("35058219491231007")
    assert search(registry.city_admin, person_in.id_number) == ["张三"]
    assert search(registry.city_admin, number.lower()) == ["曾志明"]
    full_width = PersonFilters.from_params({"q": number.lower().translate(FULL_WIDTH)})
    assert [p.name for p in person_list(user=registry.city_admin, filters=full_width)] == ["曾志明"]
    assert search(registry.city_admin, make_id("35058219491231015")) == []


def test_town_staff_find_only_their_own_towns_persons(registry, person_out):
    assert search(registry.town_staff, "李四") == []
    assert search(registry.town_staff, "ls") == []
    assert search(registry.town_staff, person_out.id_number) == []
    assert search(registry.town_staff, person_out.id_number[-4:]) == []
    assert search(registry.other_town_staff, person_out.id_number) == ["李四"]


def test_it_finds_a_name_written_in_latin_letters(users):
    person_create(actor=users.city_admin, data=person_data(name="Anna", cert_number=""))
    assert search(users.city_admin, "Anna") == ["Anna"]
    assert search(users.city_admin, "ann") == ["Anna"]


@pytest.mark.parametrize("name", ["王𠮷", "李䶮", "𡒄大宝", "阿卜杜·热合曼", "Anna"])
def test_it_accepts_names_with_rare_characters_minority_separators_or_latin_letters(users, name):
    # Rare characters outside the basic CJK block (GB 18030-2022, extensions A–G) occur in names.
    person = person_create(actor=users.city_admin, data=person_data(name=name, cert_number=""))
    assert Person.objects.get(pk=person.pk).name == name


@pytest.mark.parametrize("name", ["张", "张3", "张三!", "<b>张三</b>", "张" * 31, "😀😀"])
def test_it_rejects_names_with_digits_symbols_or_the_wrong_length(users, name):
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        person_create(actor=users.city_admin, data=person_data(name=name, cert_number=""))
    assert caught.value.errors == [("name", rules.NAME_INVALID)]
    assert counts() == before
