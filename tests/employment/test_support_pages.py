"""Pages of employment services: who opens which page (404 otherwise), the list's filters and
export, picking a person, the form with every refusal shown and nothing stored, editing, and the
timeline on the person's page."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from canpei.audit.models import AuditEntry
from canpei.employment.models import EmploymentService
from canpei.employment.support.services import service_create
from tests.conftest import ANHAI, CIZAO

ROLES = (
    "city_admin",
    "town_staff",
    "institution_staff",
    "employment_service",
    "auditor",
    "sys_admin",
    "security_admin",
    "audit_admin",
)
READERS = {"city_admin", "town_staff", "employment_service", "auditor"}
WRITERS = {"city_admin", "town_staff", "employment_service"}
TODAY = dt.date.today()


def html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def records(users: Any, person_in: Any, person_out: Any) -> dict[str, Any]:
    own = service_create(
        actor=users.town_staff,
        data={
            "person": person_in.pk,
            "kind": "job_referral",
            "date": TODAY.isoformat(),
            "employer": "晋江恒安集团",
            "position": "包装工",
            "result": "pending",
        },
    )
    other = service_create(
        actor=users.other_town_staff,
        data={
            "person": person_out.pk,
            "kind": "rights_protection",
            "date": "2024-05-06",
            "content": "协助追讨拖欠工资",
        },
    )
    return {"own": own, "other": other}


# (path, roles that get 200 for the town staff's own record, ... for another town's record)
PAGES = [
    ("/employment/services", READERS, READERS),
    ("/employment-services/export", READERS, READERS),
    ("/employment/services/new", WRITERS, WRITERS),
    ("/employment/services/new?person={person}", WRITERS, WRITERS - {"town_staff"}),
    ("/employment/services/{service}", READERS, READERS - {"town_staff"}),
    ("/employment/services/{service}/edit", WRITERS, WRITERS - {"town_staff"}),
]
CASES = [(p, own, "own") for p, own, _o in PAGES] + [(p, other, "other") for p, _w, other in PAGES]


@pytest.mark.parametrize("path,allowed,where", CASES, ids=[f"{p} {w}" for p, _a, w in CASES])
@pytest.mark.parametrize("role", ROLES)
def test_each_page_opens_only_for_the_roles_that_may(
    role: str, path: str, allowed: set[str], where: str, users: Any, records: Any, login: Any
) -> None:
    service = records[where]
    url = path.format(service=service.pk, person=service.person_id)
    response = login(users.by_role()[role]).get(url)
    assert response.status_code == (200 if role in allowed else 404), (url, response.status_code)
    if "{" in path and response.status_code == 404:
        assert service.person.name not in html(response)


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_offers_services_to_their_readers(role: str, users: Any, login: Any) -> None:
    page = html(login(users.by_role()[role]).get("/"))
    assert ('href="/employment/services"' in page) is (role in READERS)
    assert "就业服务" in page or role not in READERS


def test_the_list_masks_numbers_filters_and_links_its_export(
    users: Any, records: Any, login: Any, person_in: Any, person_out: Any
) -> None:
    client = login(users.city_admin)
    page = html(client.get("/employment/services"))
    assert person_in.id_number_masked in page and person_in.id_number not in page
    assert person_out.name in page and "晋江恒安集团 · 包装工" in page
    assert person_out.name not in html(client.get(f"/employment/services?town={ANHAI}"))
    assert person_in.name not in html(client.get("/employment/services?kind=rights_protection"))
    pending = html(client.get("/employment/services?kind=job_referral&result=pending"))
    assert person_in.name in pending and person_out.name not in pending
    assert 'href="/employment-services/export?kind=job_referral&amp;result=pending"' in pending
    assert "职业介绍结果待定：1 条" in page
    assert 'href="/employment/services?kind=job_referral&amp;result=pending"' in page
    bad = html(client.get("/employment/services?kind=x&date_from=2025-01-02&date_to=2025-01-01"))
    assert 'role="alert"' in bad and "结束日期不能早于开始日期" in bad and "服务类别须为" in bad
    town_page = html(login(users.town_staff).get("/employment/services"))
    assert person_out.name not in town_page and 'id="f-town"' not in town_page
    assert "职业介绍结果待定：1 条" in town_page
    assert "职业介绍结果待定" not in html(login(users.other_town_staff).get("/employment/services"))
    assert 'href="/employment/services/new"' in town_page
    assert 'href="/employment/services/new"' not in html(
        login(users.auditor).get("/employment/services")
    )


def test_the_export_follows_scope_and_filters(users: Any, records: Any, login: Any) -> None:
    response = login(users.town_staff).get("/employment-services/export")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [r[1] for r in rows[4:]] == ["张三"]
    assert str(rows[4][2]).count("*") >= 8
    assert AuditEntry.objects.get(action="export.employment_services").changes["rows"] == 1
    bad = login(users.city_admin).get("/employment-services/export?year=abc")
    assert bad.status_code == 302 and bad["Location"] == "/employment/services"


def test_picking_a_person_searches_the_scope(
    users: Any, person_in: Any, person_out: Any, login: Any
) -> None:
    client = login(users.town_staff)
    page = html(client.get("/employment/services/new?q=zhangsan"))
    assert f'href="/employment/services/new?person={person_in.pk}"' in page
    assert html(client.get("/employment/services/new?q=lisi")).count("没有找到符合条件的人员") == 1
    city = html(login(users.employment_service).get("/employment/services/new?q=lisi"))
    assert f"?person={person_out.pk}" in city
    long = html(client.get("/employment/services/new?q=" + "字" * 31))
    assert "搜索内容不能超过 30 个字符" in long


def test_record_from_the_person_page_with_every_refusal_shown(
    users: Any, person_in: Any, login: Any
) -> None:
    client = login(users.town_staff)
    person_page = html(client.get(f"/persons/{person_in.pk}"))
    assert f'href="/employment/services/new?person={person_in.pk}"' in person_page
    assert "/employment/services/new" not in html(
        login(users.auditor).get(f"/persons/{person_in.pk}")
    )
    url = f"/employment/services/new?person={person_in.pk}"
    form = html(client.get(url))
    assert f'value="{TODAY.isoformat()}"' in form
    empty = {"kind": "", "date": "", "content": "", "employer": "", "position": "", "result": ""}
    refused = client.post(url, {**empty, "provider": ""})
    assert refused.status_code == 422
    page = html(refused)
    assert "请选择服务类别" in page and "请填写服务日期" in page
    refused = client.post(
        url, {**empty, "kind": "job_referral", "date": (TODAY + dt.timedelta(days=1)).isoformat()}
    )
    page = html(refused)
    for message in (
        "服务日期不能晚于今天",
        "职业介绍须填写推荐单位",
        "职业介绍须填写推荐岗位",
        "职业介绍须选择推荐结果（已录用、未录用或待定）",
    ):
        assert message in page
    refused = client.post(
        url, {**empty, "kind": "policy_consultation", "date": "1999-12-31", "employer": "恒安"}
    )
    page = html(refused)
    assert "服务日期不能早于 2000-01-01" in page
    assert "推荐单位仅用于职业介绍，政策咨询不填" in page
    assert not EmploymentService.objects.exists()
    done = client.post(
        url,
        {
            **empty,
            "kind": "job_referral",
            "date": TODAY.isoformat(),
            "employer": "晋江恒安集团",
            "position": "包装工",
            "result": "hired",
            "provider": "林专干",
        },
    )
    service = EmploymentService.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/employment/services/{service.pk}"
    assert (service.person_id, service.town_id, service.result) == (person_in.pk, ANHAI, "hired")
    detail = html(client.get(done["Location"]))
    assert "晋江恒安集团" in detail and "已录用" in detail and person_in.id_number not in detail
    timeline = html(client.get(f"/persons/{person_in.pk}"))
    assert '<ol class="timeline"' in timeline
    assert f'href="/employment/services/{service.pk}"' in timeline
    assert f'<time datetime="{TODAY.isoformat()}">' in timeline


def test_editing_writes_only_what_changed(users: Any, records: Any, login: Any) -> None:
    service = records["own"]
    client = login(users.employment_service)
    url = f"/employment/services/{service.pk}/edit"
    form = html(client.get(url))
    assert 'value="晋江恒安集团"' in form
    posted = {
        "kind": "job_referral",
        "date": TODAY.isoformat(),
        "content": "",
        "employer": "晋江恒安集团",
        "position": "包装工",
        "result": "not_hired",
        "provider": "",
    }
    done = client.post(url, posted)
    assert done.status_code == 302 and done["Location"] == f"/employment/services/{service.pk}"
    entry = AuditEntry.objects.get(action="employment_service.update")
    assert entry.changes["diff"] == {"result": ["pending", "not_hired"]}
    refused = client.post(url, {**posted, "kind": "career_guidance"})
    assert refused.status_code == 422
    assert "推荐单位仅用于职业介绍，职业指导不填" in html(refused)
    service.refresh_from_db()
    assert (service.kind, service.result) == ("job_referral", "not_hired")


def test_the_person_page_timeline_keeps_to_the_viewers_scope(
    users: Any, records: Any, login: Any, person_out: Any
) -> None:
    own = html(login(users.other_town_staff).get(f"/persons/{person_out.pk}"))
    assert "维权服务" in own and "协助追讨拖欠工资" in own
    assert f'href="/employment/services/{records["other"].pk}"' in own
    assert login(users.town_staff).get(f"/persons/{person_out.pk}").status_code == 404
    auditor = html(login(users.auditor).get(f"/persons/{person_out.pk}"))
    assert f'href="/employment/services/{records["other"].pk}"' in auditor
    assert person_out.town_id == CIZAO


def test_the_pages_speak_english_when_asked(
    users: Any, records: Any, login: Any, person_in: Any
) -> None:
    from django.conf import settings

    client = login(users.town_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    listing = html(client.get("/employment/services"))
    assert (
        "Employment services" in listing and "Job referrals with the result pending: 1" in listing
    )
    person = html(client.get(f"/persons/{person_in.pk}"))
    assert "Timeline" in person and "Record an employment service" in person
    form = html(client.get(f"/employment/services/{records['own'].pk}/edit"))
    assert "Employer referred to" in form and "Job referrals only, and required for them" in form
