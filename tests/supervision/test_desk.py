"""The alerts table: recompute (idempotent, resolve, reopen), the desk's lifecycle, the role and
scope matrix of the pages and the API, the export."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook

from canpei.audit.models import AuditEntry
from canpei.errors import InvalidInput
from canpei.errors import Message as _
from canpei.selectors import YEAR_FILTER_INVALID, record_id_invalid
from canpei.supervision.compute import recompute
from canpei.supervision.models import Alert, AlertEvent
from canpei.supervision.selectors import STATE_INVALID, AlertFilters
from tests.conftest import CIZAO, Users
from tests.supervision.conftest import World, day

pytestmark = pytest.mark.django_db


def _overlap(world: World, town: str = "350582101000") -> tuple[Any, Any, Any]:
    p = world.person(name="王五", town=town)
    a = world.new_class(start=day(3, 2), end=day(3, 20))
    b = world.new_class(
        institution=world.other_institution,
        start=day(3, 10),
        end=day(4, 5),
        occupation="中式面点师",
    )
    world.enroll(a, p)
    world.enroll(b, p)
    return p, a, b


def test_recompute_raises_once_and_is_idempotent(world: World) -> None:
    p, a, b = _overlap(world)
    first = recompute(2026)
    assert (first.raised, first.resolved, first.open) == (1, 0, 1)
    second = recompute(2026)
    assert (second.raised, second.resolved, second.reopened) == (0, 0, 0)
    alert = Alert.objects.get()
    assert alert.rule == "overlap" and alert.state == "open"
    assert set(alert.persons.values_list("pk", flat=True)) == {p.pk}
    assert set(alert.classes.values_list("pk", flat=True)) == {a.pk, b.pk}
    assert [e.action for e in AlertEvent.objects.all()] == ["raise"]
    assert AuditEntry.objects.filter(action="alert.recompute").count() == 1


def test_a_corrected_alert_is_resolved_and_reopened_when_raised_again(world: World) -> None:
    p, _a, b = _overlap(world)
    recompute(2026)
    enrollment = b.enrollments.get(person=p)
    enrollment.status = "withdrawn"
    enrollment.save()
    assert recompute(2026).resolved == 1
    assert Alert.objects.get().state == "resolved"
    enrollment.status = "enrolled"
    enrollment.save()
    assert recompute(2026).reopened == 1
    alert = Alert.objects.get()
    assert alert.state == "open"
    assert [e.action_label for e in alert.events.all()] == ["发现", "消除", "重新出现"]


def test_a_dismissed_alert_stays_dismissed(world: World) -> None:
    p, _a, b = _overlap(world)
    recompute(2026)
    from canpei.supervision.services import alert_transition

    alert = Alert.objects.get()
    alert_transition(
        alert=alert, actor=world.users.city_admin, action="dismiss", comment="线上线下同一课程"
    )
    b.enrollments.filter(person=p).update(status="withdrawn")
    recompute(2026)
    assert Alert.objects.get().state == "dismissed"


# ---- the lifecycle -------------------------------------------------------------------------------


def test_confirm_and_dismiss_by_the_city(world: World, api: Any) -> None:
    _overlap(world)
    recompute(2026)
    alert = Alert.objects.get()
    city = api(world.users.city_admin)
    r = city.post(f"/alerts/{alert.pk}/transitions", {"action": "dismiss"})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "comment", "message": "「排除」预警须填写理由"}]
    r = city.post(f"/alerts/{alert.pk}/transitions", {"action": "confirm", "comment": "已约谈"})
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == "confirmed"
    assert [(h["action"], h["actor"], h["comment"]) for h in body["history"]] == [
        ("raise", None, ""),
        ("confirm", "city", "已约谈"),
    ]
    r = city.post(f"/alerts/{alert.pk}/transitions", {"action": "dismiss", "comment": "x"})
    assert r.status_code == 409
    assert r.json()["detail"] == "预警当前状态为「已确认」，不能执行「排除」"
    entry = AuditEntry.objects.get(action="alert.confirm")
    assert entry.summary == f"监管预警 #{alert.pk} 确认"
    r = city.post(f"/alerts/{alert.pk}/transitions", {"action": "resolve"})
    assert r.status_code == 422


def test_the_auditor_reads_but_may_not_decide(world: World, api: Any, login: Any) -> None:
    _overlap(world)
    recompute(2026)
    alert = Alert.objects.get()
    auditor = api(world.users.auditor)
    assert auditor.get(f"/alerts/{alert.pk}").status_code == 200
    r = auditor.post(f"/alerts/{alert.pk}/transitions", {"action": "confirm"})
    assert r.status_code == 403
    assert r.json()["detail"] == "「确认」须由市残联执行"
    page = login(world.users.auditor).get(f"/alerts/{alert.pk}")
    assert page.status_code == 200
    assert "transitions" not in page.content.decode()
    posted = login(world.users.auditor).post(
        f"/alerts/{alert.pk}/transitions", {"action": "confirm"}
    )
    assert posted.status_code in (403, 404)
    assert Alert.objects.get().state == "open"


def test_the_page_dismisses_with_a_reason(world: World, login: Any) -> None:
    _overlap(world)
    recompute(2026)
    alert = Alert.objects.get()
    client = login(world.users.city_admin)
    bare = client.post(f"/alerts/{alert.pk}/transitions", {"action": "dismiss"})
    assert bare.status_code == 422
    assert "「排除」预警须填写理由" in bare.content.decode()
    done = client.post(
        f"/alerts/{alert.pk}/transitions",
        {"action": "dismiss", "dismiss-comment": "核实为同一学员的补课"},
    )
    assert done.status_code == 302
    assert Alert.objects.get().state == "dismissed"
    page = client.get(f"/alerts/{alert.pk}").content.decode()
    assert "核实为同一学员的补课" in page and "已排除" in page


# ---- scope and roles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "count"),
    [
        ("city_admin", 200, 2),
        ("auditor", 200, 2),
        ("town_staff", 200, 1),
        ("institution_staff", 403, None),
        ("employment_service", 403, None),
        ("sys_admin", 403, None),
        ("security_admin", 403, None),
        ("audit_admin", 403, None),
    ],
)
def test_api_role_matrix(world: World, api: Any, role: str, status: int, count: int | None) -> None:
    _overlap(world)
    _overlap(world, town=CIZAO)
    recompute(2026)
    r = api(world.users.by_role()[role]).get("/alerts")
    assert r.status_code == status
    if count is not None:
        assert r.json()["count"] == count


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("city_admin", 200),
        ("auditor", 200),
        ("town_staff", 200),
        ("institution_staff", 404),
        ("employment_service", 404),
        ("sys_admin", 404),
        ("security_admin", 404),
        ("audit_admin", 404),
    ],
)
def test_page_role_matrix(world: World, login: Any, role: str, status: int) -> None:
    r = login(world.users.by_role()[role]).get("/alerts")
    assert r.status_code == status


def test_town_staff_see_alerts_about_their_persons_only(world: World, api: Any, login: Any) -> None:
    _overlap(world)
    _p, a, _b = _overlap(world, town=CIZAO)
    recompute(2026)
    theirs = Alert.objects.get(persons__town_id=CIZAO)
    town = world.users.town_staff  # 安海镇
    assert api(town).get(f"/alerts/{theirs.pk}").status_code == 404
    page = login(town).get("/alerts").content.decode()
    assert "王五" in page and page.count("同时在不同机构") == 1
    assert login(town).get(f"/alerts/{theirs.pk}").status_code == 404
    assert api(world.users.other_town_staff).get(f"/alerts/{theirs.pk}").status_code == 200


def test_filters(world: World, api: Any) -> None:
    p, a, _b = _overlap(world)
    c = world.new_class(start=day(5, 1), end=day(5, 20))
    world.enroll(c, world.person(cert_number=""))
    recompute(2026)
    city = api(world.users.city_admin)
    assert city.get("/alerts", rule="overlap").json()["count"] == 1
    assert city.get("/alerts", rule="eligibility").json()["count"] == 1
    assert city.get("/alerts", **{"class": c.pk}).json()["count"] == 1
    assert city.get("/alerts", person=p.pk).json()["count"] == 1
    assert city.get("/alerts", institution=world.other_institution.pk).json()["count"] == 1
    assert city.get("/alerts", date_from="2026-04-01").json()["count"] == 1
    assert city.get("/alerts", state="open", town=CIZAO).json()["count"] == 0
    bad = city.get("/alerts", rule="nope", date_to="2026-13-01")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"rule", "date_to"}
    one = city.get("/alerts", rule="overlap").json()["results"][0]
    assert set(one) >= {"id", "rule", "state", "summary", "links", "raised_on"}
    assert {"type": "person", "id": p.pk, "label": "王五"} in one["links"]
    assert {"type": "class", "id": a.pk, "label": f"{a.code} {a.name}"} in one["links"]


def test_the_record_filters_refuse_anything_but_an_id() -> None:
    with pytest.raises(InvalidInput) as refused:
        AlertFilters.from_params(
            {"class": "x", "institution": "机构", "person": "1.5", "state": "gone", "year": "1999"}
        )
    assert refused.value.errors == [
        ("state", STATE_INVALID),
        ("class", "培训班须为培训班的编号（数字）"),
        ("institution", "培训机构须为机构的编号（数字）"),
        ("person", "人员须为人员的编号（数字）"),
        ("year", YEAR_FILTER_INVALID),
    ]
    with translation.override("en"):
        assert (
            str(record_id_invalid(_("人员"))) == "Person: expected the ID (a number) of the Person"
        )
    filters = AlertFilters.from_params({"class": "7", "person": " 8 "})
    assert (filters.training_class, filters.person) == (7, 8)
    assert filters.as_params() == {"class": "7", "person": "8"}


def test_record_pages_show_their_alerts(world: World, login: Any) -> None:
    p, a, _b = _overlap(world)
    recompute(2026)
    client = login(world.users.city_admin)
    for url in (f"/classes/{a.pk}", f"/persons/{p.pk}", f"/institutions/{world.institution.pk}"):
        page = client.get(url).content.decode()
        assert "与本记录有关的监管预警" in page and "同时在不同机构" in page, url
    institution_page = login(world.users.institution_staff).get(f"/classes/{a.pk}")
    assert "与本记录有关的监管预警" not in institution_page.content.decode()


def test_export(world: World, login: Any, users: Users) -> None:
    _overlap(world)
    recompute(2026)
    r = login(users.city_admin).get("/alerts/export", {"rule": "overlap"})
    assert r.status_code == 200
    sheet = load_workbook(
        io.BytesIO(b"".join(r.streaming_content))
        if hasattr(r, "streaming_content")
        else io.BytesIO(r.content)
    ).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    flat = [str(v) for row in values for v in row if v is not None]
    assert any("同时在不同机构" in v for v in flat)
    assert AuditEntry.objects.filter(action="export.alerts").exists()
    assert login(users.institution_staff).get("/alerts/export").status_code == 404


# ---- recomputed after the writes that affect them ------------------------------------------------


def test_a_roster_write_queues_the_recompute_after_commit(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    from canpei import hooks

    p, _a, _b = _overlap(world)
    assert not Alert.objects.exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        from django.db import transaction

        with transaction.atomic():
            hooks.outcomes_changed([p.pk])
    assert callbacks  # the job queued once the write committed (run inline in the tests)
    assert Alert.objects.filter(rule="overlap", state="open").count() == 1


def test_no_recompute_queued_when_turned_off(
    world: World, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    from canpei import hooks

    settings.ALERT_AUTO_RECOMPUTE = False
    p, _a, _b = _overlap(world)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        from django.db import transaction

        with transaction.atomic():
            hooks.outcomes_changed([p.pk])
    assert callbacks == []
    assert not Alert.objects.exists()


def test_the_cli_recomputes_a_year(world: World, capsys: Any) -> None:
    from canpei.cli import main

    _overlap(world)
    assert main(["alerts", "recompute", "--year", "2026"]) == 0
    assert main(["alerts", "recompute", "--year", "2026"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "2026 年度：新发现 1 条，消除 0 条，重新出现 0 条，待处理 1 条",
        "2026 年度：新发现 0 条，消除 0 条，重新出现 0 条，待处理 1 条",
    ]
    assert Alert.objects.count() == 1


def test_the_institution_filter_offers_every_institution_and_keeps_the_choice(
    world: World, login: Any
) -> None:
    from django.utils.html import escape

    chosen, other = world.other_institution, world.institution
    page = login(world.users.city_admin).get("/alerts", {"institution": chosen.pk})
    html = page.content.decode()
    assert f'<option value="{chosen.pk}" selected>{escape(chosen.name)}</option>' in html
    assert f'<option value="{other.pk}">{escape(other.name)}</option>' in html
    town_page = login(world.users.town_staff).get("/alerts").content.decode()
    assert 'id="f-institution"' not in town_page
