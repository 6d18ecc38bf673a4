"""The audit officer reads the log, but may not read who a person is or how to reach them
(issue 8, item 10): person entries hold the name masked, no address and no phone, the ID and
certificate numbers masked; changes of any of them still show as changes; revealing the full
numbers is itself an audit entry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.audit.services import audit_verify
from canpei.people.imports import persons_import
from canpei.people.models import Person
from canpei.people.services import (
    mask_name,
    person_create,
    person_snapshot,
    person_update,
    snapshot_diff,
)
from tests.conftest import ANHAI, make_id, person_data
from tests.spreadsheets.files import PERSON_HEADER, xlsx

pytestmark = pytest.mark.django_db

NAME, PHONE, ADDRESS = "欧阳小明", "13912345678", "安海镇中山路188号3单元"


def stored(entry: AuditEntry) -> str:
    """Everything the entry holds, as the audit officer's page and the API read it."""
    return json.dumps([entry.summary, entry.changes], ensure_ascii=False)


def assert_no_contact_data(entry: AuditEntry, *values: str) -> None:
    text = stored(entry)
    for value in (NAME, PHONE, ADDRESS, PHONE[-4:], "中山路", *values):
        assert value not in text, value


@pytest.mark.parametrize(
    "name, masked",
    [("张小三", "张*三"), ("欧阳小明", "欧**明"), ("张三", "张*"), ("张", "*"), ("", "")],
)
def test_names_are_masked_like_a_printed_list(name, masked):
    assert mask_name(name) == masked


def test_a_diff_of_masked_snapshots_sees_every_change_and_stores_only_the_masks(users):
    person = person_create(actor=users.city_admin, data=person_data(name=NAME, phone=PHONE))
    before = person_snapshot(person)
    person.phone, person.name = "13700001111", "欧阳大明"
    after = person_snapshot(person)
    diff = snapshot_diff(before, after)
    assert set(diff) == {"name", "phone"}
    assert (
        json.dumps(diff, ensure_ascii=False)
        == '{"name": ["欧**明", "欧**明"], "phone": ["****", "****"]}'
    )
    # Against nothing (a new person) every field is a change; against the stored text, equal.
    assert {"name", "phone", "address"} <= set(snapshot_diff({}, after))
    assert snapshot_diff(json.loads(json.dumps(after)), after) == {}


def test_a_person_create_entry_holds_no_name_address_or_phone(users):
    person = person_create(
        actor=users.city_admin, data=person_data(name=NAME, phone=PHONE, address=ADDRESS)
    )
    entry = AuditEntry.objects.get(action="person.create", object_id=str(person.pk))
    after = entry.changes["after"]
    assert (after["name"], after["phone"], after["address"]) == ("欧**明", "****", "****")
    assert after["id_number"] == person.id_number_masked and person.id_number not in stored(entry)
    assert_no_contact_data(entry, person.cert_number)
    # Without contact data the other fields stay, for the audit officer to follow what happened.
    assert (after["town"], after["category"], after["grade"]) == (ANHAI, "4", "2")
    assert audit_verify().ok


def test_a_person_without_phone_or_address_shows_them_empty(users):
    person = person_create(actor=users.city_admin, data=person_data(name="张小三"))
    after = AuditEntry.objects.get(action="person.create", object_id=str(person.pk)).changes[
        "after"
    ]
    assert (after["name"], after["phone"], after["address"]) == ("张*三", "", "")


def test_a_person_update_entry_shows_what_changed_without_the_values(users):
    person = person_create(
        actor=users.city_admin, data=person_data(name=NAME, phone=PHONE, address=ADDRESS)
    )
    updated = person_update(
        actor=users.city_admin,
        person=person,
        data={"name": "欧阳大明", "phone": "13700001111", "address": "磁灶镇大埔村"},
    )
    # Saved, although every masked value looks the same before and after.
    stored_person = Person.objects.get(pk=updated.pk)
    assert (stored_person.name, stored_person.phone) == ("欧阳大明", "13700001111")
    entry = AuditEntry.objects.get(action="person.update", object_id=str(person.pk))
    assert entry.changes["diff"] == {
        "name": ["欧**明", "欧**明"],
        "phone": ["****", "****"],
        "address": ["****", "****"],
    }
    assert_no_contact_data(entry, "欧阳大明", "13700001111", "磁灶镇大埔村", "大埔")
    # Clearing the phone is a change too; saving the same values again is none.
    person_update(actor=users.city_admin, person=stored_person, data={"phone": ""})
    cleared = AuditEntry.objects.filter(action="person.update").latest("id")
    assert cleared.changes["diff"] == {"phone": ["****", ""]}
    before = AuditEntry.objects.count()
    person_update(
        actor=users.city_admin,
        person=Person.objects.get(pk=person.pk),
        data={"name": "欧阳大明", "address": "磁灶镇大埔村"},
    )
    assert AuditEntry.objects.count() == before
    assert audit_verify().ok


def test_an_import_audits_persons_without_their_contact_data(users):
    number = make_id("35058219800101001")
    header = PERSON_HEADER + ["联系电话", "家庭住址"]
    row = [NAME, number, number + "42", "4", "2", ANHAI, PHONE, ADDRESS]
    result = persons_import(actor=users.city_admin, data=xlsx([header, row]), filename="名册.xlsx")
    assert result.ok, [str(e) for e in result.errors]
    entry = AuditEntry.objects.filter(action="person.create").latest("id")
    assert_no_contact_data(entry, number)
    assert "欧**明" in stored(entry)
    # The same file with a new phone number: the change is found and audited, still masked.
    row[6] = "13700001111"
    result = persons_import(actor=users.city_admin, data=xlsx([header, row]), filename="名册.xlsx")
    assert result.ok and result.updated == 1
    assert Person.objects.get(name=NAME).phone == "13700001111"
    update = AuditEntry.objects.filter(action="person.update").latest("id")
    assert_no_contact_data(update, "13700001111")
    assert audit_verify().ok


def test_revealing_the_full_numbers_through_the_api_is_audited(users, person_in, api):
    client = api(users.city_admin)
    before = AuditEntry.objects.filter(action="person.reveal").count()
    answer = client.get(f"/persons/{person_in.pk}/identity")
    assert answer.status_code == 200 and answer.json()["id_number"] == person_in.id_number
    entries = AuditEntry.objects.filter(action="person.reveal").order_by("id")
    assert entries.count() == before + 1
    last: Any = entries.last()
    assert (last.actor_username, last.object_id) == ("city", str(person_in.pk))
    assert last.summary == f"查看人员 #{person_in.pk} 完整证件号"
    assert person_in.id_number not in stored(last)
    # A refused reveal (out of scope) reveals nothing.
    outsider = api(users.institution_staff)
    assert outsider.get(f"/persons/{person_in.pk}/identity").status_code == 404
    assert AuditEntry.objects.filter(action="person.reveal").count() == before + 1


def test_a_snapshot_only_written_to_the_log_holds_the_same_text_as_plain_strings(users):
    person = person_create(
        actor=users.city_admin, data=person_data(name=NAME, phone=PHONE, address=ADDRESS)
    )
    comparable, written = person_snapshot(person), person_snapshot(person, comparable=False)
    assert json.dumps(written, ensure_ascii=False) == json.dumps(comparable, ensure_ascii=False)
    assert (written["name"], written["phone"], written["address"]) == ("欧**明", "****", "****")
    assert {type(written[key]) for key in ("name", "phone", "address")} == {str}
    person.phone = ""
    assert person_snapshot(person, comparable=False)["phone"] == ""
