"""The audit log read in English (issue 13): actions, records, field names and values in the
reader's language; the stored summaries stay as they were written (Chinese)."""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.utils import translation

from canpei.audit.actions import AuditAction, action_label
from canpei.audit.models import AuditEntry
from canpei.audit.readable import Change, readable_changes, shown
from canpei.people.services import person_set_employment

pytestmark = pytest.mark.django_db


@pytest.fixture
def employment_logged(users, person_in):
    person_set_employment(
        actor=users.city_admin,
        person=person_in,
        employment_form="1",
        not_working_reason="",
        source="跟踪",
    )
    return AuditEntry.objects.get(action=AuditAction.PERSON_EMPLOYMENT)


def _page(client, query: str = "") -> str:
    response = client.get("/audit" + query)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_log_in_english_names_actions_records_and_fields_in_english(
    users, login, employment_logged, person_in
):
    client = login(users.audit_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = _page(client)
    assert "<td>Update a person's employment</td>" in page
    assert '<option value="person.employment">Update a person\'s employment</option>' in page
    assert f">Person #{person_in.pk}</a>" in page
    assert '<th scope="row">Employment type</th>' in page
    assert "更新人员就业情况" not in page and "就业形式" not in page
    # What the log stored is shown as stored.
    assert f"<td>{employment_logged.summary}</td>" in page
    assert employment_logged.summary == f"人员 #{person_in.pk} 就业情况更新（跟踪）"


def test_the_log_in_chinese_reads_as_before(users, login, employment_logged, person_in):
    page = _page(login(users.audit_admin))
    assert "<td>更新人员就业情况</td>" in page
    assert '<option value="person.employment">更新人员就业情况</option>' in page
    assert f">人员 #{person_in.pk}</a>" in page
    assert '<th scope="row">就业形式</th>' in page


def test_a_filter_error_is_in_english(users, login):
    client = login(users.audit_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = _page(client, "?action=drop.tables")
    assert "Choose an action from the list" in page and "请从列表中选择操作" not in page


def test_words_follow_the_language_after_the_labels_were_cached():
    """The field labels are cached once: a Chinese reader first must not fix them in Chinese."""
    assert readable_changes({"name": ["a", "b"]}, "people.person") == [Change("姓名", "a", "b")]
    assert readable_changes({"rows": 3, "full_numbers": True}) == [
        Change("行数", "", "3"),
        Change("完整证件号码", "", "是"),
    ]
    with translation.override("en"):
        assert readable_changes({"name": ["a", "b"]}, "people.person") == [Change("Name", "a", "b")]
        assert readable_changes({"rows": 3, "full_numbers": True}) == [
            Change("Rows", "", "3"),
            Change("Full ID numbers", "", "Yes"),
        ]
        assert [shown(v) for v in (True, False)] == ["Yes", "No"]
        assert action_label("person.employment") == "Update a person's employment"
    assert action_label("person.employment") == "更新人员就业情况"
