"""The class pages: who may open which, what each shows, the buttons per role and state, and the
forms behind them writing through the training services (or showing why not, writing nothing)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from canpei.training import rules
from canpei.training.models import (
    Attendance,
    ClassEvent,
    ClassSession,
    Enrollment,
    Inspection,
    TrainingClass,
)
from tests.conftest import ANHAI, CIZAO, make_id
from tests.forms import forms_offered
from tests.training.conftest import class_data, designated, make_class, trainee_factory  # noqa: F401

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
READERS = {"city_admin", "town_staff", "institution_staff", "employment_service", "auditor"}
EDITORS = {"city_admin", "institution_staff"}
STATES = (
    "draft",
    "submitted",
    "returned",
    "approved",
    "running",
    "completed",
    "audit_failed",
    "audited",
    "settled",
    "cancelled",
)

# (path, roles that get 200) for a running class of the staff's institution with a trainee of
# the town staff's town.
PAGES = [
    ("/classes", READERS),
    ("/classes/new", EDITORS),
    ("/classes/{id}", READERS),
    ("/classes/{id}/register", READERS),
    ("/classes/{id}/enroll", EDITORS),
    ("/classes/{id}/inspections/new", {"city_admin"}),
    ("/enrollments/{enrollment}/edit", EDITORS),
]


def html(response: Any) -> str:
    return response.content.decode()


def alert(page: str) -> str:
    """The text of the page's error summary (empty when there is none)."""
    found = re.search(r'<div class="error-summary" role="alert"[^>]*>(.*?)</div>', page, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)) if found else ""


@pytest.fixture
def running(make_class: Any) -> Any:
    return make_class("running", trainees=2)


@pytest.mark.parametrize("path,allowed", PAGES, ids=[p for p, _a in PAGES])
@pytest.mark.parametrize("role", ROLES)
def test_each_page_opens_only_for_the_roles_that_may(
    role: str, path: str, allowed: set[str], users: Any, running: Any, login: Any
) -> None:
    enrollment = running.enrollments.order_by("id").first()
    response = login(users.by_role()[role]).get(
        path.format(id=running.pk, enrollment=enrollment.pk)
    )
    assert response.status_code == (200 if role in allowed else 404)
    if "{" in path:
        assert (running.code in html(response)) is (role in allowed)


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_offers_classes_to_the_business_roles(
    role: str, users: Any, login: Any
) -> None:
    page = html(login(users.by_role()[role]).get("/"))
    assert ('href="/classes"' in page) is (role in READERS)


def test_a_class_out_of_scope_looks_exactly_like_an_absent_one(
    users: Any, make_class: Any, trainee_factory: Any, login: Any
) -> None:
    # The class has only a 安海镇 trainee: 磁灶镇's staff do not see it at all.
    training_class = make_class("running", persons=[trainee_factory(town=ANHAI)])
    enrollment = training_class.enrollments.get()
    client = login(users.other_town_staff)
    for path in (f"/classes/{training_class.pk}", f"/classes/{training_class.pk}/register"):
        hidden, absent = (
            client.get(path),
            client.get(path.replace(str(training_class.pk), str(training_class.pk + 1000))),
        )
        assert hidden.status_code == absent.status_code == 404
        assert hidden.content == absent.content
    assert training_class.code not in html(client.get("/classes"))
    # Writes aimed at it are refused the same way and change nothing.
    assert (
        client.post(f"/classes/{training_class.pk}/transitions", {"action": "complete"}).status_code
        == 404
    )
    assert client.get(f"/enrollments/{enrollment.pk}/edit").status_code == 404
    assert TrainingClass.objects.get(pk=training_class.pk).state == "running"


def test_another_institutions_class_is_not_found_for_its_staff(
    users: Any, make_class: Any, other_institution: Any, login: Any
) -> None:
    training_class = make_class("draft", trainees=1)
    enrollment = training_class.enrollments.get()
    TrainingClass.objects.filter(pk=training_class.pk).update(institution=other_institution)
    client = login(users.institution_staff)
    for path in (
        f"/classes/{training_class.pk}",
        f"/classes/{training_class.pk}/edit",
        f"/classes/{training_class.pk}/enroll",
        f"/classes/{training_class.pk}/register",
        f"/enrollments/{enrollment.pk}/edit",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/enrollments/{enrollment.pk}/remove").status_code == 404
    assert (
        client.post(f"/classes/{training_class.pk}/transitions", {"action": "submit"}).status_code
        == 404
    )
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()
    assert TrainingClass.objects.get(pk=training_class.pk).state == "draft"


# ---- list ----------------------------------------------------------------------------------------


def test_the_list_shows_each_class_and_filters(users: Any, make_class: Any, login: Any) -> None:
    draft = make_class("draft", trainees=1, name="面点培训班", training_type="rural_practical")
    running = make_class("running", trainees=2)
    client = login(users.city_admin)
    page = html(client.get("/classes"))
    for c in (draft, running):
        assert c.code in page and c.name in page
    assert "2 / 30" in page and "开班中" in page and "农村实用技术培训" in page
    assert running.start_date.isoformat() in page and running.end_date.isoformat() in page
    page = html(client.get("/classes?state=running"))
    assert running.code in page and draft.code not in page
    page = html(client.get("/classes?q=面点"))
    assert draft.code in page and running.code not in page
    page = html(client.get(f"/classes?q={running.code}"))
    assert running.code in page and draft.code not in page
    page = html(client.get(f"/classes?year={running.start_date.year + 1}"))
    assert running.code not in page and "没有符合条件的培训班" in page
    page = html(client.get("/classes?type=rural_practical&state=draft"))
    assert draft.code in page and running.code not in page
    # The export link carries the same filters, through the ledger export's URL.
    assert 'href="/classes/export?state=draft&amp;type=rural_practical"' in page


def test_bad_filters_are_named_and_the_list_still_shows(
    users: Any, running: Any, login: Any
) -> None:
    page = html(login(users.city_admin).get("/classes?year=20x6&state=nope&town=1"))
    text = alert(page)
    assert "年度须为" in text and "状态须为" in text and "镇街代码须为" in text
    assert running.code in page


def test_the_list_is_paginated(users: Any, make_class: Any, login: Any) -> None:
    for _ in range(3):
        make_class("draft", trainees=0)
    client = login(users.city_admin)
    page = html(client.get("/classes?page_size=20"))
    assert "共 3 条" in page
    codes = re.findall(r'href="/classes/\d+">(PX[0-9-]+)<', page)
    assert len(codes) == 3


def test_institution_staff_see_only_their_classes(
    users: Any, make_class: Any, other_institution: Any, login: Any
) -> None:
    mine, theirs = make_class("draft", trainees=0), make_class("draft", trainees=0)
    TrainingClass.objects.filter(pk=theirs.pk).update(institution=other_institution)
    page = html(login(users.institution_staff).get("/classes"))
    assert mine.code in page and theirs.code not in page
    assert 'id="f-institution"' not in page


# ---- the class page -----------------------------------------------------------------------------


def test_the_class_page_tells_the_whole_story(users: Any, make_class: Any, login: Any) -> None:
    training_class = make_class("audited", trainees=2, free_for_hardship=True, folk_craft=True)
    page = html(login(users.city_admin).get(f"/classes/{training_class.pk}"))
    assert (
        "结业审核通过" in page
        and "短期" in page
        and "困难残疾人免费、民间工艺/闽南传统文化" in page
    )
    # Every step of the history, with who took it.
    for label in ("提交开班申请", "批准开班", "开班", "结业申报", "结业审核通过"):
        assert f"<td>{label}</td>" in page
    assert users.institution_staff.username in page and users.city_admin.username in page
    # The roster with masked numbers, never the whole one.
    for enrollment in training_class.enrollments.select_related("person"):
        assert enrollment.person.id_number_masked in page
        assert enrollment.person.id_number not in page
    assert "结业" in page and "40.0" in page


def test_town_staff_see_only_their_towns_trainees(
    users: Any, make_class: Any, trainee_factory: Any, login: Any
) -> None:
    ours, theirs = (
        trainee_factory(town=ANHAI, name="安海学员"),
        trainee_factory(town=CIZAO, name="磁灶学员"),
    )
    training_class = make_class("running", persons=[ours, theirs])
    page = html(login(users.town_staff).get(f"/classes/{training_class.pk}"))
    assert "安海学员" in page and "磁灶学员" not in page
    page = html(login(users.other_town_staff).get(f"/classes/{training_class.pk}/register"))
    assert "磁灶学员" in page and "安海学员" not in page
    page = html(login(users.city_admin).get(f"/classes/{training_class.pk}"))
    assert "安海学员" in page and "磁灶学员" in page


def test_institution_staff_see_no_link_into_the_registry(
    users: Any, running: Any, login: Any
) -> None:
    page = html(login(users.institution_staff).get(f"/classes/{running.pk}"))
    assert not re.search(r'href="/persons/\d+"', page)
    assert re.search(
        r'href="/persons/\d+"', html(login(users.city_admin).get(f"/classes/{running.pk}"))
    )


@pytest.mark.parametrize("state", STATES)
def test_the_buttons_follow_the_role_and_the_state(
    state: str, users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class(state, trainees=1)
    for role in READERS:
        page = html(login(users.by_role()[role]).get(f"/classes/{training_class.pk}"))
        assert forms_offered(page) == rules.actions_for(role, state), (role, state)
    # The roster's own controls: open before submission, withdrawals until completion.
    staff_page = html(login(users.institution_staff).get(f"/classes/{training_class.pk}"))
    assert (f'action="/classes/{training_class.pk}/enroll"' in staff_page) is (
        state in rules.ROSTER_OPEN_STATES
    )
    assert ("/remove" in staff_page) is (state in rules.ROSTER_OPEN_STATES)
    auditor_page = html(login(users.auditor).get(f"/classes/{training_class.pk}"))
    assert "/remove" not in auditor_page and "/enroll" not in auditor_page
    assert "/edit" not in auditor_page
    city_page = html(login(users.city_admin).get(f"/classes/{training_class.pk}"))
    assert ("/inspections/new" in city_page) is (state == "running")


def test_a_step_from_the_page(users: Any, make_class: Any, login: Any) -> None:
    training_class = make_class("draft", trainees=1)
    client = login(users.institution_staff)
    path = f"/classes/{training_class.pk}"
    response = client.post(path + "/transitions", {"action": "submit", "submit-comment": "请审批"})
    assert response.status_code == 302 and response["Location"] == path
    assert TrainingClass.objects.get(pk=training_class.pk).state == "submitted"
    page = html(client.get(path))
    assert "已提交开班申请" in page and "请审批" in page and "草稿 → 已申请" in page


def test_a_step_without_its_reason_is_refused_beside_the_field(
    users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class("submitted", trainees=1)
    response = login(users.city_admin).post(
        f"/classes/{training_class.pk}/transitions",
        {"action": "return", "return-comment": " ", "return-confirm": "on"},
    )
    assert response.status_code == 422
    message = rules.COMMENT_REQUIRED.format(action="退回")
    assert message in alert(html(response))
    assert 'id="id_return-comment_error"' in html(response)
    assert TrainingClass.objects.get(pk=training_class.pk).state == "submitted"
    assert not ClassEvent.objects.filter(training_class=training_class, action="return").exists()


def test_a_rule_refusal_names_the_rule_and_the_trainee(
    users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class("running", trainees=1)
    enrollment = training_class.enrollments.select_related("person").get()
    from canpei.training.classes import services

    services.enrollment_update(
        actor=users.institution_staff,
        enrollment=enrollment,
        data={"attended_hours": "20", "status": "completed"},
    )
    response = login(users.institution_staff).post(
        f"/classes/{training_class.pk}/transitions", {"action": "complete"}
    )
    assert response.status_code == 409
    assert rules.ATTENDANCE_TOO_LOW.format(
        person=rules.describe_person(enrollment.person), attended="20.0", hours=40, percent=80
    ) in alert(html(response))
    assert TrainingClass.objects.get(pk=training_class.pk).state == "running"


def test_an_empty_roster_cannot_be_submitted(users: Any, make_class: Any, login: Any) -> None:
    training_class = make_class("draft", trainees=0)
    response = login(users.institution_staff).post(
        f"/classes/{training_class.pk}/transitions", {"action": "submit"}
    )
    assert response.status_code == 409 and rules.ROSTER_EMPTY in alert(html(response))


def test_out_of_state_and_out_of_role_steps_are_refused(
    users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class("draft", trainees=1)
    path = f"/classes/{training_class.pk}/transitions"
    refused = login(users.city_admin).post(path, {"action": "approve"})
    assert refused.status_code == 409
    assert rules.transition_refusal("draft", "approve") in alert(html(refused))
    town = login(users.town_staff).post(path, {"action": "submit"})
    assert town.status_code == 403 and rules.role_refusal("submit") in html(town)
    assert login(users.city_admin).post(path, {"action": "fly"}).status_code == 404
    assert TrainingClass.objects.get(pk=training_class.pk).state == "draft"
    assert not ClassEvent.objects.filter(training_class=training_class).exists()


# ---- the application form -----------------------------------------------------------------------


def _form(**overrides: Any) -> dict[str, Any]:
    data = {key: str(value) for key, value in class_data().items()}
    data.update(overrides)
    return data


def test_the_institution_opens_a_class_of_its_own(users: Any, designated: Any, login: Any) -> None:
    client = login(users.institution_staff)
    page = html(client.get("/classes/new"))
    assert 'name="institution"' not in page and "本机构尚未登记在岗教师" in page
    response = client.post("/classes/new", _form(appraisal="on", filing_number="BA-1"))
    created = TrainingClass.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/classes/{created.pk}"
    assert created.institution_id == designated.pk and created.state == "draft"
    assert created.appraisal and created.filing_number == "BA-1"
    assert created.created_by == users.institution_staff


def test_the_city_opens_a_class_for_an_institution(
    users: Any, designated: Any, other_institution: Any, login: Any
) -> None:
    client = login(users.city_admin)
    page = html(client.get("/classes/new"))
    assert other_institution.name in page and designated.name in page
    response = client.post("/classes/new", _form(institution=str(other_institution.pk)))
    assert response.status_code == 302
    assert TrainingClass.objects.get().institution_id == other_institution.pk


def test_a_bad_form_shows_each_problem_beside_its_field_and_writes_nothing(
    users: Any, designated: Any, login: Any
) -> None:
    client = login(users.institution_staff)
    response = client.post(
        "/classes/new", _form(name="", hours="12a", capacity="0", end_date="2000-01-01", mode="")
    )
    assert response.status_code == 422
    page = html(response)
    for field, message in (
        ("name", rules.NAME_REQUIRED),
        ("hours", rules.HOURS_INVALID),
        ("capacity", rules.CAPACITY_INVALID),
        ("end_date", rules.DATES_ORDER),
        ("mode", rules.MODE_INVALID),
    ):
        assert re.search(rf'id="id_{field}_error"><p>{re.escape(message)}</p>', page), field
    # What was typed is kept.
    assert 'value="12a"' in page
    assert not TrainingClass.objects.exists()


def test_a_draft_is_edited_and_only_what_changed_is_written(
    users: Any, make_class: Any, login: Any
) -> None:
    from canpei.institutions.models import Teacher

    teacher = Teacher.objects.create(
        institution=users.institution_staff.institution, name="许秀英", specialty="电子商务"
    )
    training_class = make_class("draft", trainees=0)
    client = login(users.institution_staff)
    page = html(client.get(f"/classes/{training_class.pk}/edit"))
    assert "许秀英" in page and f'value="{training_class.name}"' in page
    form = _form(name="电子商务提高班", teachers=str(teacher.pk))
    response = client.post(f"/classes/{training_class.pk}/edit", form)
    assert response.status_code == 302
    training_class.refresh_from_db()
    assert training_class.name == "电子商务提高班"
    assert list(training_class.teachers.all()) == [teacher]
    assert "许秀英" in html(client.get(f"/classes/{training_class.pk}"))


def test_after_submission_only_the_filing_number_can_be_edited(
    users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class("approved", trainees=1, appraisal=True)
    client = login(users.institution_staff)
    page = html(client.get(f"/classes/{training_class.pk}/edit"))
    assert 'name="filing_number"' in page and 'name="name"' not in page
    response = client.post(
        f"/classes/{training_class.pk}/edit", {"appraisal": "on", "filing_number": "BA2026-001"}
    )
    assert response.status_code == 302
    assert TrainingClass.objects.get(pk=training_class.pk).filing_number == "BA2026-001"
    TrainingClass.objects.filter(pk=training_class.pk).update(state="running")
    response = client.get(f"/classes/{training_class.pk}/edit")
    assert response.status_code == 302
    page = html(client.get(response["Location"]))
    assert rules.NOT_EDITABLE_STATE.format(state="开班中") in page


# ---- roster -------------------------------------------------------------------------------------


def test_a_trainee_is_enrolled_by_id_number_from_the_class_page(
    users: Any, make_class: Any, trainee_factory: Any, login: Any
) -> None:
    training_class = make_class("draft", trainees=0)
    person = trainee_factory(name="陈淑芬")
    client = login(users.institution_staff)
    response = client.post(
        f"/classes/{training_class.pk}/enroll",
        {"from": "class", "enroll-person": person.id_number.lower()},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/classes/{training_class.pk}#roster-heading"
    assert Enrollment.objects.filter(training_class=training_class, person=person).exists()
    page = html(client.get(response["Location"]))
    assert "已加入花名册：" + rules.describe_person(person) in page
    assert person.id_number_masked in page and person.id_number not in page


def test_the_enrol_page_stays_open_for_the_next_trainee(
    users: Any, make_class: Any, trainee_factory: Any, login: Any
) -> None:
    training_class = make_class("draft", trainees=0)
    client = login(users.institution_staff)
    for person in (trainee_factory(), trainee_factory()):
        response = client.post(
            f"/classes/{training_class.pk}/enroll", {"enroll-person": person.id_number}
        )
        assert response["Location"] == f"/classes/{training_class.pk}/enroll"
    assert training_class.enrollments.count() == 2
    assert "花名册（2 人）" in html(client.get(f"/classes/{training_class.pk}/enroll"))


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "350582199003070019",  # a bad check digit: the person rules' message
        "12",  # a short number is never taken for a person's record id
    ],
)
def test_a_bad_id_number_is_refused_and_nothing_is_enrolled(
    typed: str, users: Any, make_class: Any, person_in: Any, login: Any
) -> None:
    from canpei.people.rules import id_number_error, normalize_id_number

    training_class = make_class("draft", trainees=0)
    response = login(users.institution_staff).post(
        f"/classes/{training_class.pk}/enroll", {"from": "class", "enroll-person": typed}
    )
    assert response.status_code == 422
    expected = id_number_error(normalize_id_number(typed))
    assert expected and expected in alert(html(response))
    assert 'id="id_enroll-person_error"' in html(response)
    assert not training_class.enrollments.exists()


def test_an_unknown_person_or_a_second_enrolment_is_refused(
    users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class("draft", trainees=1)
    enrolled = training_class.enrollments.select_related("person").get().person
    client = login(users.institution_staff)
    unknown = client.post(
        f"/classes/{training_class.pk}/enroll", {"enroll-person": make_id("35058219700101999")}
    )
    # An institution is told no more than of an inactive person; the city that it is unknown.
    assert unknown.status_code == 409 and rules.NOT_ENROLLABLE in alert(html(unknown))
    unknown = login(users.city_admin).post(
        f"/classes/{training_class.pk}/enroll", {"enroll-person": make_id("35058219700101999")}
    )
    assert unknown.status_code == 422 and rules.PERSON_NOT_FOUND in alert(html(unknown))
    again = client.post(
        f"/classes/{training_class.pk}/enroll", {"enroll-person": enrolled.id_number}
    )
    assert again.status_code == 409
    assert rules.ALREADY_ENROLLED.format(person=rules.describe_person(enrolled)) in html(again)
    assert training_class.enrollments.count() == 1


def test_a_trainee_outside_working_age_is_refused_with_the_rule(
    users: Any, make_class: Any, trainee_factory: Any, login: Any
) -> None:
    training_class = make_class("draft", trainees=0)
    old = trainee_factory(birth="19500101")
    response = login(users.institution_staff).post(
        f"/classes/{training_class.pk}/enroll", {"from": "class", "enroll-person": old.id_number}
    )
    assert response.status_code == 409
    # Named by the masked number typed, not by the registry's name (an unaudited lookup).
    assert rules.TRAINEE_NOT_WORKING_AGE.format(
        person=old.id_number_masked, date=training_class.start_date.isoformat()
    ) in alert(html(response))
    assert old.name not in html(response)
    assert not training_class.enrollments.exists()


def test_the_roster_is_closed_after_submission(
    users: Any, make_class: Any, trainee_factory: Any, login: Any
) -> None:
    training_class = make_class("submitted", trainees=1)
    client = login(users.institution_staff)
    page = html(client.get(f"/classes/{training_class.pk}/enroll"))
    assert "不能调整花名册" in page and 'name="enroll-person"' not in page
    response = client.post(
        f"/classes/{training_class.pk}/enroll", {"enroll-person": trainee_factory().id_number}
    )
    assert response.status_code == 409
    assert training_class.enrollments.count() == 1


def test_a_draft_trainee_is_removed(users: Any, make_class: Any, login: Any) -> None:
    training_class = make_class("draft", trainees=2)
    first = training_class.enrollments.order_by("id").first()
    client = login(users.institution_staff)
    response = client.post(f"/enrollments/{first.pk}/remove")
    assert response.status_code == 302
    assert not Enrollment.objects.filter(pk=first.pk).exists()
    assert training_class.enrollments.count() == 1


def test_removing_after_submission_is_refused_with_a_message(
    users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class("approved", trainees=1)
    enrollment = training_class.enrollments.get()
    client = login(users.institution_staff)
    response = client.post(f"/enrollments/{enrollment.pk}/remove", follow=True)
    assert rules.ROSTER_CLOSED.format(state="已批准") in html(response)
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()


def test_a_withdrawal_needs_a_reason(users: Any, running: Any, login: Any) -> None:
    enrollment = running.enrollments.order_by("id").first()
    client = login(users.institution_staff)
    page = html(client.get(f"/enrollments/{enrollment.pk}/edit"))
    assert 'name="withdraw-withdraw_reason"' in page
    refused = client.post(
        f"/enrollments/{enrollment.pk}/withdraw", {"withdraw-withdraw_reason": ""}
    )
    assert refused.status_code == 422
    assert rules.WITHDRAW_REASON_REQUIRED in alert(html(refused))
    assert Enrollment.objects.get(pk=enrollment.pk).status == "enrolled"
    done = client.post(
        f"/enrollments/{enrollment.pk}/withdraw", {"withdraw-withdraw_reason": "外出务工"}
    )
    assert done.status_code == 302
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.withdraw_reason) == ("withdrawn", "外出务工")
    assert "退学（外出务工）" in html(client.get(f"/classes/{running.pk}"))


def test_results_are_recorded_while_the_class_runs(users: Any, running: Any, login: Any) -> None:
    enrollment = running.enrollments.order_by("id").first()
    client = login(users.institution_staff)
    page = html(client.get(f"/enrollments/{enrollment.pk}/edit"))
    assert 'name="result"' in page and 'name="certificate_number"' not in page
    response = client.post(
        f"/enrollments/{enrollment.pk}/edit", {"result": "优秀", "attended_hours": "38"}
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert (enrollment.result, enrollment.attended_hours) == ("优秀", Decimal("38.0"))
    bad = client.post(f"/enrollments/{enrollment.pk}/edit", {"attended_hours": "41"})
    assert bad.status_code == 422
    assert rules.ATTENDANCE_EXCEEDS_CLASS.format(hours=40) in alert(html(bad))
    assert Enrollment.objects.get(pk=enrollment.pk).attended_hours == Decimal("38.0")


def test_a_certificate_is_recorded_after_completion(
    users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class("completed", trainees=1)
    enrollment = training_class.enrollments.get()
    client = login(users.institution_staff)
    path = f"/enrollments/{enrollment.pk}/edit"
    incomplete = client.post(path, {"certificate_number": "Z-001"})
    assert incomplete.status_code == 422
    assert rules.CERTIFICATE_FIELDS_INCOMPLETE in alert(html(incomplete))
    assert not Enrollment.objects.get(pk=enrollment.pk).certificate_number
    today = timezone.localdate().isoformat()
    response = client.post(
        path,
        {
            "appraisal_result": "passed",
            "certificate_type": "special_ability",
            "certificate_level": "junior",
            "certificate_number": "Z-001",
            "certificate_date": today,
            "certificate_issuer": "晋江市人社局",
        },
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert (enrollment.certificate_number, enrollment.appraisal_result) == ("Z-001", "passed")
    page = html(client.get(f"/classes/{training_class.pk}"))
    assert "专项职业能力证书" in page and "Z-001" in page and "鉴定合格" in page


# ---- register -----------------------------------------------------------------------------------


def test_the_register_grid_is_prefilled_and_records_a_session(
    users: Any, running: Any, login: Any
) -> None:
    first, second = running.enrollments.order_by("id")
    client = login(users.institution_staff)
    page = html(client.get(f"/classes/{running.pk}/register"))
    for e in (first, second):
        assert re.search(rf'name="att_{e.pk}" value="4"', page)
    day = max(running.start_date, timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(
        f"/classes/{running.pk}/register",
        {
            "date": day,
            "hours": "4",
            "topic": "网店开设",
            f"att_{first.pk}": "4",
            f"att_{second.pk}": "0",
        },
    )
    assert response.status_code == 302
    session = ClassSession.objects.get(training_class=running)
    assert {a.enrollment_id: a.hours for a in Attendance.objects.filter(session=session)} == {
        first.pk: Decimal("4.0"),
        second.pk: Decimal("0.0"),
    }
    page = html(client.get(f"/classes/{running.pk}/register"))
    assert "网店开设" in page and "1 / 2" in page
    # The next session starts from the hours of the last one, and a session can be reloaded.
    page = html(client.get(f"/classes/{running.pk}/register?session={session.pk}"))
    assert re.search(rf'name="att_{second.pk}" value="0.0"', page)


def test_a_bad_session_is_refused_at_its_fields_and_writes_nothing(
    users: Any, running: Any, login: Any
) -> None:
    first, second = running.enrollments.order_by("id")
    response = login(users.institution_staff).post(
        f"/classes/{running.pk}/register",
        {"date": "2001-01-01", "hours": "3", f"att_{first.pk}": "5", f"att_{second.pk}": "x"},
    )
    assert response.status_code == 422
    page = html(response)
    assert (
        rules.SESSION_DATE_OUTSIDE.format(
            start=running.start_date.isoformat(), end=running.end_date.isoformat()
        )
        in page
    )
    assert re.search(
        rf'id="id_att_{first.pk}_error"><p>'
        + re.escape(rules.ATTENDANCE_EXCEEDS_SESSION.format(hours="3.0")),
        page,
    )
    assert re.search(
        rf'id="id_att_{second.pk}_error"><p>' + re.escape(rules.HOURS_VALUE_INVALID), page
    )
    assert not ClassSession.objects.exists()


def test_the_grid_follows_new_session_hours_but_keeps_absentees(
    users: Any, running: Any, login: Any
) -> None:
    first, second = running.enrollments.order_by("id")
    page = html(
        login(users.institution_staff).get(
            f"/classes/{running.pk}/register/grid",
            {"hours": "3", "prefilled": "4", f"att_{first.pk}": "4", f"att_{second.pk}": "1"},
        )
    )
    assert re.search(rf'name="att_{first.pk}" value="3"', page)
    assert re.search(rf'name="att_{second.pk}" value="1"', page)
    assert 'name="prefilled" value="3"' in page


def test_readers_see_the_register_but_cannot_record(users: Any, running: Any, login: Any) -> None:
    first = running.enrollments.order_by("id").first()
    client = login(users.auditor)
    page = html(client.get(f"/classes/{running.pk}/register"))
    assert "学员出勤合计" in page and 'name="hours"' not in page
    response = client.post(
        f"/classes/{running.pk}/register",
        {"date": running.start_date.isoformat(), "hours": "4", f"att_{first.pk}": "4"},
    )
    assert response.status_code == 404
    assert not ClassSession.objects.exists()


def test_the_register_is_closed_outside_a_running_class(
    users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class("approved", trainees=1)
    enrollment = training_class.enrollments.get()
    client = login(users.institution_staff)
    assert 'name="hours"' not in html(client.get(f"/classes/{training_class.pk}/register"))
    response = client.post(
        f"/classes/{training_class.pk}/register",
        {"date": training_class.start_date.isoformat(), "hours": "4", f"att_{enrollment.pk}": "4"},
    )
    assert response.status_code == 409
    assert rules.ATTENDANCE_CLOSED.format(state="已批准") in html(response)


# ---- inspections --------------------------------------------------------------------------------


def test_the_city_records_an_inspection_and_its_rectification(
    users: Any, running: Any, login: Any
) -> None:
    client = login(users.city_admin)
    page = html(client.get(f"/classes/{running.pk}/inspections/new"))
    assert "花名册在训学员 2 人" in page
    today = timezone.localdate().isoformat()
    response = client.post(
        f"/classes/{running.pk}/inspections/new",
        {
            "date": today,
            "inspector_name": "王检查",
            "present": "1",
            "findings": "一人缺席",
            "rectification_required": "on",
        },
    )
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert (inspection.on_roster, inspection.present, inspection.rectification_required) == (
        2,
        1,
        True,
    )
    page = html(client.get(f"/classes/{running.pk}"))
    assert "一人缺席" in page and "2 / 1" in page and "需要整改，尚未完成" in page
    prefix = f"rectify{inspection.pk}"
    early = client.post(
        f"/classes/{running.pk}/inspections/{inspection.pk}/rectified",
        {f"{prefix}-rectified_on": "2000-01-01", f"{prefix}-rectification_note": "已补课"},
    )
    assert early.status_code == 422 and rules.RECTIFICATION_DATE_EARLY in alert(html(early))
    done = client.post(
        f"/classes/{running.pk}/inspections/{inspection.pk}/rectified",
        {f"{prefix}-rectified_on": today, f"{prefix}-rectification_note": "已补课"},
    )
    assert done.status_code == 302
    assert Inspection.objects.get().rectified_on == timezone.localdate()
    assert "整改完成：已补课" in html(client.get(f"/classes/{running.pk}"))


def test_a_bad_inspection_is_refused_and_nothing_written(
    users: Any, running: Any, login: Any
) -> None:
    response = login(users.city_admin).post(
        f"/classes/{running.pk}/inspections/new",
        {"date": timezone.localdate().isoformat(), "inspector_name": "王检查", "present": "3"},
    )
    assert response.status_code == 422
    assert rules.PRESENT_INVALID.format(count=2) in alert(html(response))
    assert not Inspection.objects.exists()


def test_only_a_running_class_is_inspected(users: Any, make_class: Any, login: Any) -> None:
    training_class = make_class("approved", trainees=1)
    client = login(users.city_admin)
    response = client.get(f"/classes/{training_class.pk}/inspections/new", follow=True)
    assert rules.INSPECTION_CLOSED in html(response)
    assert (
        login(users.institution_staff)
        .post(f"/classes/{training_class.pk}/inspections/new", {"present": "1"})
        .status_code
        == 404
    )
    assert not Inspection.objects.exists()


# ---- writes by those who may not ----------------------------------------------------------------

POSTS = [
    ("/classes/new", EDITORS),
    ("/classes/{id}/edit", EDITORS),
    ("/classes/{id}/enroll", EDITORS),
    ("/classes/{id}/register", EDITORS),
    ("/classes/{id}/inspections/new", {"city_admin"}),
    ("/enrollments/{enrollment}/edit", EDITORS),
    ("/enrollments/{enrollment}/withdraw", EDITORS),
    ("/enrollments/{enrollment}/remove", EDITORS),
]


@pytest.mark.parametrize("path,allowed", POSTS, ids=[p for p, _a in POSTS])
def test_a_write_by_a_role_without_the_right_is_not_found_and_changes_nothing(
    path: str, allowed: set[str], users: Any, running: Any, login: Any
) -> None:
    enrollment = running.enrollments.order_by("id").first()
    target = path.format(id=running.pk, enrollment=enrollment.pk)
    data = {
        "name": "改名",
        "enroll-person": make_id("35058219700101999"),
        "present": "1",
        "date": running.start_date.isoformat(),
        "hours": "4",
        "withdraw-withdraw_reason": "外出",
        f"att_{enrollment.pk}": "4",
    }
    for role in READERS - allowed:
        assert login(users.by_role()[role]).post(target, data).status_code == 404, role
    assert Enrollment.objects.get(pk=enrollment.pk).status == "enrolled"
    assert TrainingClass.objects.get(pk=running.pk).name == running.name
    assert not ClassSession.objects.exists() and not Inspection.objects.exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(running: Any) -> None:
    from django.test import Client

    for path in ("/classes", f"/classes/{running.pk}", f"/classes/{running.pk}/register"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login"), path


def test_a_step_that_undoes_work_must_be_confirmed_and_looks_different(
    users: Any, make_class: Any, login: Any
) -> None:
    training_class = make_class("submitted", trainees=1)
    client = login(users.city_admin)
    page = html(client.get(f"/classes/{training_class.pk}"))
    assert '<button type="submit" class="button-danger">退回</button>' in page
    assert '<button type="submit">批准开班</button>' in page
    assert '<label for="id_return-comment">退回原因' in page
    assert '<label for="id_approve-comment">批准开班说明' in page
    assert '<label for="id_return-confirm">确认退回</label>' in page
    path = f"/classes/{training_class.pk}/transitions"
    unconfirmed = client.post(path, {"action": "return", "return-comment": "材料不全"})
    assert unconfirmed.status_code == 422 and "请勾选确认后再退回" in html(unconfirmed)
    assert TrainingClass.objects.get(pk=training_class.pk).state == "submitted"
    confirmed = client.post(
        path, {"action": "return", "return-comment": "材料不全", "return-confirm": "on"}
    )
    assert confirmed.status_code == 302
    assert TrainingClass.objects.get(pk=training_class.pk).state == "returned"


def test_the_step_indicator_shows_where_the_class_stands(
    users: Any, make_class: Any, login: Any
) -> None:
    returned = make_class("returned", trainees=1)
    page = html(login(users.city_admin).get(f"/classes/{returned.pk}"))
    steps = re.findall(r'<li class="step-(\w+)"[^>]*>([^<（]+)(?:（([^）]+)）)?', page)
    assert [(status, label) for status, label, _note in steps] == [
        ("done", "草稿"),
        ("current", "已申请"),
        ("todo", "已批准"),
        ("todo", "开班中"),
        ("todo", "已结业申报"),
        ("todo", "结业审核通过"),
        ("todo", "已结算"),
    ]
    assert steps[1][2] == "已退回" and 'aria-current="step"' in page
    listing = html(login(users.city_admin).get("/classes"))
    assert '<span class="state state-returned">已退回</span>' in listing


# The class page's queries: the session and user, the class (with who created it), its register,
# inspections, teachers, roster and history, the alerts line of the checklist and the alerts about the class. The
# checklist reads what the page has read (issue 12's regression: it read the class, the
# inspections and the roster again), and no query is made per trainee or per inspection.
CLASS_PAGE_QUERIES = 10


def test_the_class_page_reads_each_thing_once_however_big_the_class(
    users: Any, make_class: Any, login: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from canpei.training.classes import services

    small, big = make_class("running", trainees=1), make_class("running", trainees=6)
    today = timezone.localdate()
    for training_class, inspections in ((small, 1), (big, 3)):
        for days in range(inspections):
            services.inspection_record(
                actor=users.city_admin,
                training_class=training_class,
                data={
                    "date": (today - dt.timedelta(days=days)).isoformat(),
                    "inspector_name": "王检查",
                    "present": "1",
                    "rectification_required": days == 0,
                },
            )
    client = login(users.city_admin)
    client.get("/classes")  # the session's first request writes it
    counts, pages = [], []
    for training_class in (small, big):
        with CaptureQueriesContext(connection) as captured:
            pages.append(html(client.get(f"/classes/{training_class.pk}")))
        counts.append(len(captured.captured_queries))
    assert counts == [CLASS_PAGE_QUERIES, CLASS_PAGE_QUERIES], counts
    # The checklist is the one of the class, from what the page read.
    assert "未完成整改 1 项" in pages[0] and "未完成整改 1 项" in pages[1]
    assert "1 / 1" in pages[0] and "6 / 1" in pages[1]
