"""The pages /reports/targets, /reports/targets/uncovered and /plans: who sees what, the plan
picker, the progress bars and the create form."""

from __future__ import annotations

from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.reports.models import Plan
from tests.conftest import ANHAI, CIZAO
from tests.reports.targets_data import build


@pytest.fixture
def data(users: Any, institution: Any) -> dict[str, Any]:
    return build(users, institution)


def test_town_staff_see_their_town_without_the_city(users, data, login):
    html = (
        login(users.town_staff).get("/reports/targets", {"plan": data["plan"].pk}).content.decode()
    )
    assert "安海镇" in html
    assert "磁灶镇" not in html
    assert '<th scope="row">全市</th>' not in html
    # 安海镇, target 1: 3 of 6, as a percentage and a progress bar.
    assert '<progress max="100" value="50.0"' in html
    assert f"town={ANHAI}" in html


def test_another_towns_uncovered_list_is_not_found(users, data, login):
    response = login(users.town_staff).get(
        "/reports/targets/uncovered", {"plan": data["plan"].pk, "target": 1, "town": CIZAO}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "role", ["institution_staff", "sys_admin", "security_admin", "audit_admin"]
)
def test_institutions_and_officers_find_no_targets_page(users, data, login, role):
    client = login(getattr(users, role))
    assert client.get("/reports/targets").status_code == 404
    assert client.get("/reports/targets/uncovered").status_code == 404
    assert client.get("/targets/export").status_code == 404


def test_bad_filters_are_shown_not_crashed(users, data, login):
    response = login(users.city_admin).get(
        "/reports/targets/uncovered", {"target": "9", "year": "abc", "plan": "zz"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "目标须为 1、2 或 3" in html and "年度须为四位数字" in html and "计划不存在" in html


def test_the_plan_picker_lists_every_plan(users, data, login):
    Plan.objects.create(name="2025—2027 年计划", period_start="2025-01-01", period_end="2027-12-31")
    html = login(users.city_admin).get("/reports/targets").content.decode()
    assert "2025—2027 年计划" in html and "残疾人职业技能提升计划（2019-2020年）" in html


def test_the_city_admin_creates_a_plan_on_the_plans_page(users, login):
    client = login(users.city_admin)
    assert "新建计划" in client.get("/plans").content.decode()
    refused = client.post("/plans", {"name": "", "period_start": "2025-01-01", "period_end": ""})
    assert refused.status_code == 422
    assert "请填写计划名称" in refused.content.decode()
    assert "请填写结束日期" in refused.content.decode()
    done = client.post(
        "/plans",
        {"name": "2025—2027 年计划", "period_start": "2025-01-01", "period_end": "2027-12-31"},
    )
    assert done.status_code == 302
    assert Plan.objects.filter(name="2025—2027 年计划").exists()
    assert AuditEntry.objects.filter(action="plan.create").count() == 1


def test_others_read_the_plans_without_the_form(users, login):
    client = login(users.town_staff)
    html = client.get("/plans").content.decode()
    assert "残疾人职业技能提升计划（2019-2020年）" in html
    assert "新建计划" not in html
    assert (
        client.post(
            "/plans", {"name": "x", "period_start": "2025-01-01", "period_end": "2025-12-31"}
        ).status_code
        == 404
    )
    assert login(users.sys_admin).get("/plans").status_code == 404


def test_the_uncovered_export_gives_full_numbers_only_with_a_purpose(users, data, login):
    from canpei.audit.models import AuditEntry

    plan = data["plan"]
    client = login(users.city_admin)
    page = client.get("/reports/targets/uncovered", {"plan": plan.pk, "target": 1}).content.decode()
    assert 'name="full_numbers" value="1"' in page
    query = {"plan": plan.pk, "target": 1, "format": "csv"}
    masked = b"".join(client.get("/targets-uncovered/export", query).streaming_content)
    full = b"".join(
        client.get(
            "/targets-uncovered/export", {**query, "full_numbers": "1", "purpose": "入户动员"}
        ).streaming_content
    )
    masked_ids = [row.split(",")[2] for row in masked.decode("utf-8-sig").splitlines()[2:]]
    full_ids = [row.split(",")[2] for row in full.decode("utf-8-sig").splitlines()[2:]]
    assert masked_ids and all("*" in n for n in masked_ids)
    assert all("*" not in n and len(n) == 18 for n in full_ids)
    assert (
        AuditEntry.objects.filter(action="export.targets_uncovered").latest("pk").changes["purpose"]
        == "入户动员"
    )


def test_an_export_naming_a_town_outside_the_scope_is_not_found(users, data, login):
    client = login(users.town_staff)
    for path, extra in (("/targets/export", {}), ("/targets-uncovered/export", {"target": 1})):
        for town in (CIZAO, "999999999999", "350582000000"):
            response = client.get(path, {"plan": data["plan"].pk, "town": town, **extra})
            assert response.status_code == 404, (path, town)


def test_a_clerks_uncovered_list_is_eight_statements(users, data, login, django_assert_num_queries):
    """Session, user, plan, the count (from the tallies), the page, its wanted skills, the
    clerk's town (for the heading and the page header alike) and the plan picker: eight, the
    same for a list of three persons as for one of thousands."""
    client = login(users.town_staff)
    params = {"plan": data["plan"].pk, "target": 1, "town": ANHAI}
    client.get("/reports/targets/uncovered", params)
    with django_assert_num_queries(8):
        html = client.get("/reports/targets/uncovered", params).content.decode()
    assert "目标1：尚未覆盖的人员" in html
    assert "（安海镇）</h1>" in html
    # Without the town, no town in the heading; the clerk's own town still in the header.
    html = client.get("/reports/targets/uncovered", {"plan": data["plan"].pk, "target": 1})
    text = html.content.decode()
    assert "（安海镇）</h1>" not in text
    assert "安海镇" in text
