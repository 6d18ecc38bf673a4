"""API of plans and the targets: scope, refusals naming the field, the plans' writes audited."""

from __future__ import annotations

from typing import Any

import pytest

from canpei.audit.models import AuditEntry
from canpei.reports.models import Plan
from tests.conftest import ANHAI, CIZAO
from tests.reports.targets_data import EXPECTED, UNCOVERED, build, ids

SEED = "残疾人职业技能提升计划（2019-2020年）"


@pytest.fixture
def data(users: Any, institution: Any) -> dict[str, Any]:
    return build(users, institution)


def figures(row: dict[str, Any]) -> list[tuple[int, int]]:
    return [(f["population"], f["covered"]) for f in row["targets"]]


def test_town_staff_read_their_own_town_only(users, data, api):
    client = api(users.town_staff)
    body = client.get("/reports/targets", plan=data["plan"].pk).json()
    assert [t["town"] for t in body["towns"]] == [ANHAI]
    assert body["city"] is None
    assert figures(body["towns"][0]) == EXPECTED[ANHAI]
    assert client.get("/reports/targets", plan=data["plan"].pk, town=CIZAO).status_code == 404
    assert (
        client.get("/reports/targets/uncovered", plan=data["plan"].pk, target=1, town=CIZAO)
    ).status_code == 404
    mine = client.get("/reports/targets/uncovered", plan=data["plan"].pk, target=1).json()
    assert sorted(r["id"] for r in mine["results"]) == ids(data, UNCOVERED[1, ANHAI])
    named = client.get("/reports/targets/uncovered", plan=data["plan"].pk, target=1, town=ANHAI)
    assert named.json() == mine
    unknown = client.get(
        "/reports/targets/uncovered", plan=data["plan"].pk, target=1, town="350582999000"
    )
    assert unknown.status_code == 404


def test_a_city_reader_may_ask_for_one_town(users, data, api):
    body = api(users.auditor).get("/reports/targets", plan=data["plan"].pk, town=CIZAO).json()
    assert [t["town"] for t in body["towns"]] == [CIZAO]
    assert figures(body["towns"][0]) == EXPECTED[CIZAO]
    assert body["city"] is None


def test_the_year_picks_the_plan_holding_it(users, data, api):
    body = api(users.city_admin).get("/reports/targets", year=2019).json()
    assert body["plan_name"] == SEED
    assert body["period_end"] == "2019-12-31"
    assert body["year"] == 2019


@pytest.mark.parametrize(
    "role", ["institution_staff", "sys_admin", "security_admin", "audit_admin"]
)
def test_institutions_and_officers_are_refused(users, data, api, role):
    client = api(getattr(users, role))
    assert client.get("/reports/targets").status_code == 403
    assert client.get("/reports/targets/uncovered", target=1).status_code == 403


def test_anonymous_is_refused(data, client):
    assert client.get("/api/v1/reports/targets").status_code == 401


@pytest.mark.parametrize(
    "params,field,message",
    [
        ({"target": "4"}, "target", "目标须为 1、2 或 3"),
        ({"target": "1", "year": "19"}, "year", "年度须为四位数字"),
        ({"target": "1", "town": "35"}, "town", "镇街代码须为 12 位数字"),
        ({"target": "1", "plan": "999999"}, "plan", "计划不存在"),
        ({"target": "1", "plan": "x"}, "plan", "计划不存在"),
    ],
)
def test_bad_parameters_name_their_field(users, data, api, params, field, message):
    response = api(users.city_admin).get("/reports/targets/uncovered", **params)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": field, "message": message}]


def test_a_year_outside_the_plan_names_the_year(users, data, api):
    response = api(users.city_admin).get("/reports/targets", plan=data["plan"].pk, year=2022)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "year", "message": "年度须在计划期内（2019—2020 年）"}
    ]


def test_the_uncovered_list_pages_and_masks(users, data, api):
    body = (
        api(users.city_admin)
        .get("/reports/targets/uncovered", plan=data["plan"].pk, target=1, page_size=2)
        .json()
    )
    assert body["count"] == 4  # a2, a8, a12 in 安海镇 and c1 in 磁灶镇
    assert len(body["results"]) == 2
    assert all("*" in r["id_number"] for r in body["results"])
    assert body["target"] == 1


# ---- plans ---------------------------------------------------------------------------------------


def test_the_seed_plan_is_there(users, api):
    body = api(users.auditor).get("/plans").json()
    seed = next(p for p in body["results"] if p["name"] == SEED)
    assert seed["period_start"] == "2019-01-01"
    assert seed["period_end"] == "2020-12-31"
    assert seed["document"] == "晋残〔2019〕64号"
    assert api(users.auditor).get(f"/plans/{seed['id']}").json()["name"] == SEED


def test_the_city_admin_creates_a_plan_audited(users, api):
    client = api(users.city_admin)
    response = client.post(
        "/plans",
        {"name": "2025—2027 年计划", "period_start": "2025-01-01", "period_end": "2027-12-31"},
    )
    assert response.status_code == 201
    plan = Plan.objects.get(pk=response.json()["id"])
    assert plan.period_end.isoformat() == "2027-12-31"
    entry = AuditEntry.objects.get(action="plan.create")
    assert entry.changes["after"]["name"] == "2025—2027 年计划"
    patched = client.patch(f"/plans/{plan.pk}", {"period_end": "2027-06-30"})
    assert patched.status_code == 200
    assert AuditEntry.objects.get(action="plan.update").changes["diff"] == {
        "period_end": ["2027-12-31", "2027-06-30"]
    }


@pytest.mark.parametrize(
    "body,errors",
    [
        (
            {"name": "", "period_start": "2025-01-01", "period_end": "2025-12-31"},
            [("name", "请填写计划名称")],
        ),
        (
            {"name": SEED, "period_start": "2025-01-01", "period_end": "2025-12-31"},
            [("name", "已有同名计划")],
        ),
        (
            {
                "name": "计" * 101,
                "document": "文" * 51,
                "period_start": "2025-01-01",
                "period_end": "2025-12-31",
            },
            [("name", "计划名称不能超过 100 个字"), ("document", "文号不能超过 50 个字")],
        ),
        (
            {"name": "新计划", "period_start": "2025-01-01", "period_end": "2024-12-31"},
            [("period_end", "结束日期不能早于开始日期")],
        ),
        ({"name": "新计划", "period_start": "2025-01-01", "period_end": "2025-01-01"}, []),
    ],
)
def test_plan_input_is_checked(users, api, body, errors):
    response = api(users.city_admin).post("/plans", body)
    if not errors:
        assert response.status_code == 201  # a one-day plan: start and end may be the same day
        return
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == errors
    assert not Plan.objects.filter(name="新计划").exists()


@pytest.mark.parametrize("role", ["town_staff", "auditor", "institution_staff"])
def test_only_the_city_admin_writes_plans(users, api, role):
    response = api(getattr(users, role)).post(
        "/plans", {"name": "新计划", "period_start": "2025-01-01", "period_end": "2025-12-31"}
    )
    assert response.status_code == 403
    assert not Plan.objects.filter(name="新计划").exists()


@pytest.mark.parametrize("role", ["sys_admin", "security_admin", "audit_admin"])
def test_officers_see_no_plans(users, api, role):
    client = api(getattr(users, role))
    assert client.get("/plans").status_code == 403
    seed = Plan.objects.get(name=SEED)
    assert client.get(f"/plans/{seed.pk}").status_code == 404
