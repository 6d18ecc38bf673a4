"""Staff online training records: town staff for their own town, the city for any town."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.errors import Forbidden, InvalidInput, NotFound
from canpei.training import rules
from canpei.training.applications.selectors import (
    StaffTrainingFilters,
    staff_training_get,
    staff_training_list,
)
from canpei.training.applications.services import staff_training_create, staff_training_update
from canpei.training.models import StaffTraining
from tests.conftest import ANHAI, CIZAO

TODAY = dt.date.today()


def staff_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "town": ANHAI,
        "staff_name": "王丽",
        "position": "liaison",
        "course": "残疾人就业政策与服务实务",
        "year": TODAY.year,
        "hours": "24",
        "completed": False,
        "fee_paid": "0",
    }
    data.update(overrides)
    return data


def errors_of(exc: Any) -> dict[str, str]:
    return dict(exc.value.errors)


def test_town_staff_record_their_own_towns_staff(users: Any) -> None:
    record = staff_training_create(actor=users.town_staff, data=staff_data(town=""))
    stored = StaffTraining.objects.get(pk=record.pk)
    assert (stored.town_id, stored.staff_name, stored.hours) == (ANHAI, "王丽", Decimal("24.0"))
    assert AuditEntry.objects.filter(
        action="staff_training.create", object_id=str(record.pk)
    ).exists()


def test_town_staff_cannot_record_another_town(users: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        staff_training_create(actor=users.town_staff, data=staff_data(town=CIZAO))
    assert errors_of(exc) == {"town": rules.STAFF_TOWN_FIXED}
    assert not StaffTraining.objects.exists()


def test_the_city_records_any_town_and_must_name_it(users: Any) -> None:
    record = staff_training_create(actor=users.city_admin, data=staff_data(town=CIZAO))
    assert record.town_id == CIZAO
    with pytest.raises(InvalidInput) as exc:
        staff_training_create(actor=users.city_admin, data=staff_data(town=""))
    assert errors_of(exc) == {"town": rules.STAFF_TOWN_REQUIRED}
    with pytest.raises(InvalidInput) as exc:
        staff_training_create(actor=users.city_admin, data=staff_data(town="350582000000"))
    assert errors_of(exc) == {"town": rules.STAFF_TOWN_INVALID}


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
def test_other_roles_cannot_record(role: str, users: Any) -> None:
    with pytest.raises(Forbidden):
        staff_training_create(actor=users.by_role()[role], data=staff_data())


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"staff_name": ""}, "staff_name", rules.STAFF_NAME_REQUIRED),
        ({"staff_name": "名" * 31}, "staff_name", rules.STAFF_NAME_TOO_LONG),
        ({"position": "director"}, "position", rules.STAFF_POSITION_INVALID),
        ({"course": " "}, "course", rules.STAFF_COURSE_REQUIRED),
        ({"course": "课" * 101}, "course", rules.STAFF_COURSE_TOO_LONG),
        ({"year": 1999}, "year", rules.STAFF_YEAR_INVALID.format(last=TODAY.year + 1)),
        ({"year": TODAY.year + 2}, "year", rules.STAFF_YEAR_INVALID.format(last=TODAY.year + 1)),
        ({"year": "twenty"}, "year", rules.STAFF_YEAR_INVALID.format(last=TODAY.year + 1)),
        ({"hours": "0"}, "hours", rules.STAFF_HOURS_INVALID),
        ({"hours": "1000.5"}, "hours", rules.STAFF_HOURS_INVALID),
        ({"hours": "1.25"}, "hours", rules.STAFF_HOURS_INVALID),
        ({"hours": None}, "hours", rules.STAFF_HOURS_INVALID),
        ({"fee_paid": "-1"}, "fee_paid", rules.STAFF_FEE_INVALID),
        ({"fee_paid": "0.001"}, "fee_paid", rules.STAFF_FEE_INVALID),
        ({"completed": "maybe"}, "completed", rules.BOOLEAN_INVALID),
        ({"completed": True}, "completed_on", rules.STAFF_COMPLETED_ON_REQUIRED),
        ({"completed_on": TODAY.isoformat()}, "completed_on", rules.STAFF_COMPLETED_ON_UNEXPECTED),
        (
            {"completed": True, "completed_on": (TODAY + dt.timedelta(days=1)).isoformat()},
            "completed_on",
            rules.STAFF_COMPLETED_ON_FUTURE,
        ),
        (
            {"completed": True, "completed_on": f"{TODAY.year - 1}-12-31"},
            "completed_on",
            rules.STAFF_COMPLETED_ON_EARLY.format(year=TODAY.year),
        ),
        ({"completed": True, "completed_on": "yesterday"}, "completed_on", rules.DATE_INVALID),
        ({"grade": "A"}, "grade", rules.UNKNOWN_FIELD),
        ({"course": "a\x00"}, "course", rules.TEXT_INVALID),
    ],
)
def test_each_bad_field_is_refused_with_its_message(
    data: dict[str, Any], field: str, message: str, users: Any
) -> None:
    with pytest.raises(InvalidInput) as exc:
        staff_training_create(actor=users.city_admin, data=staff_data(**data))
    assert errors_of(exc)[field] == message
    assert not StaffTraining.objects.exists()


def test_completion_is_recorded_with_its_date(users: Any) -> None:
    record = staff_training_create(actor=users.town_staff, data=staff_data())
    staff_training_update(
        actor=users.town_staff,
        record=record,
        data={"completed": True, "completed_on": TODAY.isoformat(), "fee_paid": "120.50"},
    )
    stored = StaffTraining.objects.get(pk=record.pk)
    assert (stored.completed, stored.completed_on, stored.fee_paid) == (
        True,
        TODAY,
        Decimal("120.50"),
    )
    entry = AuditEntry.objects.get(action="staff_training.update")
    assert entry.changes["diff"]["completed"] == [False, True]
    # Undoing the completion without clearing its date is refused: the two go together.
    with pytest.raises(InvalidInput) as exc:
        staff_training_update(actor=users.town_staff, record=record, data={"completed": False})
    assert errors_of(exc) == {"completed_on": rules.STAFF_COMPLETED_ON_UNEXPECTED}


def test_another_towns_record_is_not_found(users: Any) -> None:
    record = staff_training_create(actor=users.city_admin, data=staff_data(town=CIZAO))
    with pytest.raises(NotFound):
        staff_training_update(actor=users.town_staff, record=record, data={"hours": "10"})
    with pytest.raises(NotFound):
        staff_training_get(user=users.town_staff, record_id=record.pk)
    assert StaffTraining.objects.get(pk=record.pk).hours == Decimal("24.0")


def test_lists_follow_the_scope_and_the_filters(users: Any) -> None:
    mine = staff_training_create(actor=users.town_staff, data=staff_data())
    last_year = staff_training_create(
        actor=users.town_staff,
        data=staff_data(year=TODAY.year - 1, staff_name="陈明", position="counsellor"),
    )
    other = staff_training_create(actor=users.city_admin, data=staff_data(town=CIZAO))
    assert set(staff_training_list(user=users.town_staff)) == {mine, last_year}
    assert set(staff_training_list(user=users.auditor)) == {mine, last_year, other}
    assert list(staff_training_list(user=users.institution_staff)) == []
    city = users.city_admin
    assert list(staff_training_list(user=city, filters=StaffTrainingFilters(town=CIZAO))) == [other]
    assert set(staff_training_list(user=city, filters=StaffTrainingFilters(year=TODAY.year))) == {
        mine,
        other,
    }
    with pytest.raises(InvalidInput):
        StaffTrainingFilters.from_params({"year": "last"})
