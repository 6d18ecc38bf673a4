"""Small things a clerk stumbled over (issue 13): the register's date moves on after a session is
saved, a class not yet started shows its trainees as signed up (已报名), not 在训, and a required
field's marker is never an empty "（）"."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from canpei.training.classes import services
from tests.training.conftest import class_data, designated, make_class, trainee_factory  # noqa: F401


def html(response: Any) -> str:
    return response.content.decode()


def _date_offered(page: str) -> str:
    found = re.search(r'name="date"[^>]*value="([^"]*)"', page) or re.search(
        r'value="([^"]*)"[^>]*name="date"', page
    )
    assert found, "no date field"
    return found.group(1)


def test_the_register_date_moves_on_after_each_session(
    users: Any, make_class: Any, login: Any
) -> None:
    running = make_class("running", trainees=1)
    client = login(users.institution_staff)
    first = running.start_date
    services.session_record(
        actor=users.institution_staff, training_class=running, date=first, hours="4", attendance={}
    )
    page = html(client.get(f"/classes/{running.pk}/register"))
    assert _date_offered(page) == (first + dt.timedelta(days=1)).isoformat()
    # Never past today (the class runs on: its last day is still to come).
    today = dt.date.today()
    assert running.end_date > today
    services.session_record(
        actor=users.institution_staff, training_class=running, date=today, hours="4", attendance={}
    )
    page = html(client.get(f"/classes/{running.pk}/register"))
    assert _date_offered(page) == today.isoformat()


def test_the_register_date_stops_at_the_class_s_last_day(
    users: Any, make_class: Any, login: Any
) -> None:
    today = dt.date.today()
    ended = make_class(
        "running",
        trainees=1,
        start_date=(today - dt.timedelta(days=20)).isoformat(),
        end_date=(today - dt.timedelta(days=3)).isoformat(),
    )
    services.session_record(
        actor=users.institution_staff,
        training_class=ended,
        date=ended.end_date,
        hours="4",
        attendance={},
    )
    page = html(login(users.institution_staff).get(f"/classes/{ended.pk}/register"))
    assert _date_offered(page) == ended.end_date.isoformat()


def test_a_class_not_yet_started_has_its_trainees_signed_up(
    users: Any, make_class: Any, login: Any
) -> None:
    client = login(users.institution_staff)
    for state in ("draft", "submitted", "approved"):
        training_class = make_class(state, trainees=1)
        for path in (f"/classes/{training_class.pk}", f"/classes/{training_class.pk}/enroll"):
            page = html(client.get(path))
            assert "<td>已报名</td>" in page and "<td>在训</td>" not in page, (state, path)
    running = make_class("running", trainees=1)
    assert "<td>在训</td>" in html(client.get(f"/classes/{running.pk}"))


def test_the_enrol_page_marks_its_required_field_in_words(
    users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class("draft", trainees=0)
    page = html(login(users.institution_staff).get(f"/classes/{training_class.pk}/enroll"))
    assert "（）" not in page
    assert '<span class="required">（必填）</span>' in page


def test_an_implausible_age_is_accepted_with_a_warning(users: Any, login: Any) -> None:
    from django.utils import timezone

    from canpei.people.services import person_create
    from tests.conftest import make_id, person_data

    year = timezone.localdate().year
    client = login(users.town_staff)
    for birth, warned in ((f"{year - 100}0101", False), (f"{year - 101}0101", True)):
        person = person_create(
            actor=users.city_admin,
            data=person_data(id_number=make_id(f"350582{birth}011"), cert_number=""),
        )
        page = html(client.get(f"/persons/{person.pk}"))
        warning = f"年龄 {person.age} 岁，超过 100 岁：请核对身份证号中的出生日期"
        assert (warning in page) is warned, (birth, person.age)


def test_a_new_skill_needs_no_code_typed(users: Any, login: Any) -> None:
    from canpei.audit.models import AuditEntry
    from canpei.people.models import Skill

    client = login(users.city_admin)
    for name, code in (("闽南茶艺", "minnanchayi"), ("闽南茶艺（高级）", "minnanchayigaoji")):
        response = client.post("/surveys/skills", {"code": "", "name": name, "active": "on"})
        assert response.status_code == 302, html(response)
        assert Skill.objects.get(name=name).code == code
    # A code taken already gets a number; a code typed is kept as typed.
    Skill.objects.filter(code="minnanchayi").update(name="茶艺旧称")
    client.post("/surveys/skills", {"code": "", "name": "闽南茶艺", "active": "on"})
    assert Skill.objects.get(name="闽南茶艺").code == "minnanchayi_2"
    client.post("/surveys/skills", {"code": "tea_art", "name": "茶道", "active": "on"})
    assert Skill.objects.get(name="茶道").code == "tea_art"
    assert AuditEntry.objects.filter(action="skill.save").count() == 4
    page = html(client.get("/surveys/skills"))
    assert "按名称的拼音生成" in page


def test_checkbox_groups_are_fieldsets_with_their_legend_first(
    users: Any, person_in: Any, login: Any
) -> None:
    page = html(login(users.town_staff).get(f"/surveys/new?person={person_in.pk}"))
    for caption, first_choice in (
        ("需求培训类型", "就业技能培训"),
        ("需求技能", ""),
        ("无障碍需求", "手语翻译"),
    ):
        group = re.search(rf"<fieldset[^>]*><legend>{caption}</legend>(.*?)</fieldset>", page, re.S)
        assert group, caption
        assert 'type="checkbox"' in group.group(1) and first_choice in group.group(1)
    person_form = html(login(users.town_staff).get("/persons/new"))
    assert re.search(r"<fieldset[^>]*><legend>困难类型</legend>", person_form)
