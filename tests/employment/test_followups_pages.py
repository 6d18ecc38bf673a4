"""The follow-up pages: /employment (the worklist), a follow-up's page and its record form."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.employment.models import FollowUp
from canpei.people.models import Person

TODAY = dt.date.today()


@pytest.fixture
def followup(audited_class: Any) -> FollowUp:
    return FollowUp.objects.get(enrollment=audited_class.enrollments.order_by("pk")[0], months=3)


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "date": TODAY.isoformat(),
        "method": "visit",
        "employed": "true",
        "employment_form": "2",
        "employer": "晋江市福利企业",
        "position": "包装工",
        "contract_signed": "true",
        "social_insurance": "true",
        "monthly_income": "2800",
        "business_started": "",
        "not_working_reason": "",
        "note": "",
    }
    data.update(overrides)
    return data


def test_the_worklist_shows_the_tabs_counts_and_rows(
    users: Any, login: Any, followup: FollowUp
) -> None:
    page = login(users.town_staff).get("/employment?status=overdue")
    assert page.status_code == 200
    html = page.content.decode()
    assert "就业跟踪" in html and "已逾期（2）" in html
    assert followup.person.name in html
    assert followup.person.id_number_masked in html
    assert followup.person.id_number not in html
    assert f"/employment/followups/{followup.pk}/edit" in html
    assert "/followups/export?status=overdue" in html
    assert 'href="/employment"' in html  # the navigation link
    city = login(users.city_admin).get("/employment").content.decode()
    assert "各镇街就业跟踪情况" in city and "磁灶镇" in city


def test_pages_in_and_out_of_scope(users: Any, login: Any, followup: FollowUp) -> None:
    detail, edit = (
        f"/employment/followups/{followup.pk}",
        f"/employment/followups/{followup.pk}/edit",
    )
    assert login(users.town_staff).get(detail).status_code == 200
    assert login(users.other_town_staff).get(detail).status_code == 404
    assert login(users.other_town_staff).get(edit).status_code == 404
    assert login(users.institution_staff).get("/employment").status_code == 404
    assert login(users.sys_admin).get(detail).status_code == 404
    assert login(users.auditor).get(detail).status_code == 200
    assert login(users.auditor).get(edit).status_code == 404
    assert login(users.auditor).post(edit, form_data()).status_code == 404
    assert "/edit" not in login(users.auditor).get(detail).content.decode().split("<main")[1]
    assert FollowUp.objects.get(pk=followup.pk).date is None


def test_recording_through_the_form(users: Any, login: Any, followup: FollowUp) -> None:
    client = login(users.employment_service)
    edit = f"/employment/followups/{followup.pk}/edit"
    form = client.get(edit).content.decode()
    assert f'value="{TODAY.isoformat()}"' in form
    response = client.post(edit, form_data())
    assert response.status_code == 302
    assert response["Location"] == f"/employment/followups/{followup.pk}"
    stored = FollowUp.objects.get(pk=followup.pk)
    assert (stored.date, stored.method, stored.employment_form) == (TODAY, "visit", "2")
    assert Person.objects.get(pk=followup.person_id).employment_form == "2"
    # A correction sends what changed: the audit diff shows just that.
    response = client.post(edit, form_data(monthly_income="3000"))
    assert response.status_code == 302
    diff = AuditEntry.objects.get(action="followup.update").changes["diff"]
    assert diff == {"monthly_income": ["2800.00", "3000.00"]}


def test_errors_show_next_to_their_fields_and_nothing_is_stored(
    users: Any, login: Any, followup: FollowUp
) -> None:
    edit = f"/employment/followups/{followup.pk}/edit"
    response = login(users.town_staff).post(
        edit,
        form_data(
            date=(TODAY + dt.timedelta(days=1)).isoformat(), monthly_income="-5", employment_form=""
        ),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_date_error"' in html and "跟踪日期不能晚于今天" in html
    assert 'id="id_monthly_income_error"' in html
    assert "月收入（元）须为 0 至 200000 元，最多两位小数" in html
    assert "已就业须填写就业形式" in html
    assert FollowUp.objects.get(pk=followup.pk).date is None
    assert not AuditEntry.objects.filter(action__startswith="followup.").exists()


def test_the_worklist_in_english(users: Any, login: Any, followup: FollowUp) -> None:
    from django.conf import settings

    client = login(users.city_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/employment?status=overdue").content.decode()
    assert "Employment follow-up" in html and "Due this month" in html
    assert "Follow-ups (ID numbers masked)" in html
    edit = client.get(f"/employment/followups/{followup.pk}/edit").content.decode()
    assert "Follow-up date" in edit and "Monthly income (yuan)" in edit
