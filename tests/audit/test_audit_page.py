"""The audit log as the audit officer reads it: words, not codes; changes as before → after;
real names and roles; filters by date, action, user and object; an export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook

from canpei.audit.actions import LABELS, AuditAction, action_label
from canpei.audit.models import AuditEntry
from canpei.audit.readable import Change, readable_changes, shown
from canpei.audit.services import audit_record
from canpei.people.services import person_update

pytestmark = pytest.mark.django_db


def test_every_action_has_its_words():
    assert set(LABELS) == set(AuditAction)
    assert all(str(LABELS[a]) and not str(LABELS[a]).isascii() for a in AuditAction)
    assert action_label("class.settle") == "结算"
    assert action_label("no.such") == "no.such"


@pytest.mark.parametrize(
    "changes, rows",
    [
        ({"diff": {"phone": ["1", "2"]}}, [Change("联系电话", "1", "2")]),
        ({"name": ["张三", "张三丰"]}, [Change("名称", "张三", "张三丰")]),
        (
            {"before": {"state": "draft", "hours": 4}, "after": {"state": "submitted", "hours": 4}},
            [Change("状态", "draft", "submitted")],
        ),
        ({"after": {"hardship_dibao": True}}, [Change("低保", "—", "是")]),
        (
            {"rows": 3, "full_numbers": False},
            [Change("行数", "", "3"), Change("完整证件号码", "", "否")],
        ),
        ({"reason": None}, [Change("原因", "", "—")]),
    ],
)
def test_changes_read_as_before_and_after(changes, rows):
    assert readable_changes(changes) == rows


def test_fields_are_named_as_the_records_own_model_names_them():
    assert readable_changes({"name": ["张三", "张三丰"]}, "people.person") == [
        Change("姓名", "张三", "张三丰")
    ]
    assert readable_changes({"name": ["a", "b"]}, "no.model") == [Change("名称", "a", "b")]


def test_values_read_as_words():
    assert [shown(v) for v in (True, False, None, "", ["a", "b"], {"rows": 2})] == [
        "是",
        "否",
        "—",
        "—",
        "a、b",
        "行数：2",
    ]


@pytest.fixture
def logged(users, person_in):
    users.city_admin.first_name = "陈主任"
    users.city_admin.save()
    person_update(actor=users.city_admin, person=person_in, data={"phone": "13900000000"})
    return AuditEntry.objects.get(action="person.update")


def test_the_log_shows_words_names_roles_and_a_change_table(users, login, logged, person_in):
    page = login(users.audit_admin).get("/audit").content.decode()
    assert "修改人员信息" in page and "person.update" not in page.replace(
        'value="person.update"', ""
    )
    assert "陈主任" in page and "市残联业务管理员" in page
    assert f"人员 #{person_in.pk}</a>" in page
    assert f'href="/audit?object_type=people.person&amp;object_id={person_in.pk}"' in page
    assert '<th scope="row">联系电话</th>' in page
    assert "True" not in page and "None" not in page
    assert '<option value="person.update">修改人员信息</option>' in page


def test_the_log_filters_by_action_user_object_and_dates(users, login, logged, person_in):
    client = login(users.audit_admin)
    with transaction.atomic():
        audit_record(actor=users.town_staff, action=AuditAction.SKILL_SAVE, summary="技能")

    def ids(query: str) -> list[int]:
        page = client.get("/audit?" + query).content.decode()
        return [
            e.pk
            for e in AuditEntry.objects.order_by("-id")
            if f'<td class="num">{e.pk}</td>' in page
        ]

    skill = AuditEntry.objects.get(action="skill.save").pk
    assert ids("action=skill.save") == [skill]
    assert ids("actor=anhai") == [skill]
    assert ids(f"object_type=people.person&object_id={person_in.pk}") == list(
        AuditEntry.objects.filter(object_type="people.person", object_id=str(person_in.pk))
        .order_by("-id")
        .values_list("pk", flat=True)
    )
    today = timezone.localdate()
    assert skill in ids(f"date_from={today}&date_to={today}")
    assert ids(f"date_to={today - dt.timedelta(days=1)}") == []
    page = client.get("/audit?action=drop.tables&date_from=2026-02-30").content.decode()
    assert "请从列表中选择操作" in page and "日期应为 2026-01-31 这样的格式" in page
    page = client.get(
        f"/audit?date_from={today}&date_to={today - dt.timedelta(days=1)}"
    ).content.decode()
    assert "结束日期不能早于开始日期" in page


def test_the_log_exports_what_the_filters_show_and_the_export_is_audited(users, login, logged):
    client = login(users.audit_admin)
    response = client.get("/audit/export?action=person.update")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[3][:6] == ("编号", "时间", "操作人", "账户", "角色", "操作")
    assert [r[5] for r in rows[4:]] == ["修改人员信息"]
    assert rows[4][2:5] == ("陈主任", "city", "市残联业务管理员")
    assert "联系电话：" in rows[4][8]
    entry = AuditEntry.objects.get(action="export.audit")
    assert entry.changes["filters"] == {"action": "person.update"}


@pytest.mark.parametrize(
    "role", ["city_admin", "sys_admin", "security_admin", "auditor", "town_staff"]
)
def test_no_one_else_reads_or_exports_the_log(role: str, users: Any, login: Any):
    client = login(users.by_role()[role])
    assert client.get("/audit").status_code == 404
    assert client.get("/audit/export").status_code == 404
