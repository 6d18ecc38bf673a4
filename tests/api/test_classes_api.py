"""The training class API: the class record, its lifecycle, roster, register, inspections and
certificates, as the institution, the city, the towns and the others see them.

Policy (PRODUCT.md "Training class", canpei.accounts.roles, canpei.training.rules): an
institution creates and runs its own classes and keeps their rosters; the city approves, inspects,
audits and settles; town staff follow the classes their town's trainees are on, and see only
those trainees; employment service and auditors read; the three officers see nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from canpei.audit.models import AuditEntry
from canpei.people.rules import mask_id_number
from canpei.training import rules
from canpei.training.models import ClassEvent, Enrollment, Inspection, TrainingClass
from tests.conftest import ANHAI, CIZAO, make_id
from tests.training.conftest import class_data
from tests.training.fixtures import register_hours

CLASS_FIELDS = {
    "id",
    "code",
    "name",
    "institution",
    "training_type",
    "mode",
    "occupation",
    "level",
    "appraisal",
    "filing_number",
    "start_date",
    "end_date",
    "hours",
    "capacity",
    "state",
}
ENROLLMENT_FIELDS = {"id", "class", "person", "status", "attended_hours", "result", "certificate"}
PERSON_SUMMARY = {"name", "id_number", "category", "grade"}


def messages(response: Any) -> list[str]:
    return [e["message"] for e in response.json()["errors"]]


def fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def history(training_class: Any) -> list[tuple[str, str, str]]:
    return list(
        ClassEvent.objects.filter(training_class=training_class)
        .order_by("at", "id")
        .values_list("action", "from_state", "to_state")
    )


def state_of(training_class: Any) -> str:
    return TrainingClass.objects.get(pk=training_class.pk).state


# ---- create, list, detail, edit -----------------------------------------------------------------


def test_an_institution_creates_a_draft_class_of_its_own(users, designated, api):
    start = dt.date.fromisoformat(class_data()["start_date"])
    # 28 days: within a month of any start day, February's included.
    end = (start + dt.timedelta(days=28)).isoformat()
    response = api(users.institution_staff).post(
        "/classes", class_data(skill="", teachers=[], end_date=end)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= CLASS_FIELDS
    year = dt.date.fromisoformat(class_data()["start_date"]).year
    assert body["code"] == f"PX{year}-00001"
    assert (body["state"], body["institution"]) == ("draft", designated.pk)
    assert body["institution_name"] == designated.name
    assert (body["hours"], body["capacity"], body["subsidy_standard"]) == (40, 30, "1200.00")
    assert body["cycle"] == "short"  # ≤ 1 month
    assert body["trainee_count"] == 0
    assert body["actions"] == ["submit", "cancel"]
    assert AuditEntry.objects.filter(
        action="class.create",
        object_id=str(body["id"]),
        actor_username=users.institution_staff.username,
    ).exists()


def test_institution_staff_cannot_create_a_class_for_another_institution(
    users, designated, other_institution, api
):
    response = api(users.institution_staff).post(
        "/classes", class_data(institution=other_institution.pk)
    )
    assert response.status_code == 422
    assert fields(response) == ["institution"]
    assert messages(response) == [rules.INSTITUTION_FIXED]
    assert not TrainingClass.objects.exists()


def test_the_city_creates_a_class_naming_the_institution(users, designated, api):
    client = api(users.city_admin)
    missing = client.post("/classes", class_data())
    assert missing.status_code == 422
    assert messages(missing) == [rules.INSTITUTION_REQUIRED]
    created = client.post(
        "/classes",
        class_data(institution=designated.pk, appraisal=True, filing_number="BA2026-001"),
    )
    assert created.status_code == 201, created.content
    assert created.json()["institution"] == designated.pk
    assert created.json()["filing_number"] == "BA2026-001"
    # The city takes no institution step, so it is offered only the cancel.
    assert created.json()["actions"] == ["cancel"]


@pytest.mark.parametrize(
    "override,field,message",
    [
        ({"training_type": "knitting"}, "training_type", rules.TYPE_INVALID),
        ({"mode": "postal"}, "mode", rules.MODE_INVALID),
        ({"level": "master"}, "level", rules.LEVEL_INVALID),
        ({"hours": 0}, "hours", rules.HOURS_INVALID),
        ({"capacity": 10**12}, "capacity", rules.CAPACITY_INVALID),
        ({"end_date": "2000-01-01"}, "end_date", rules.DATES_ORDER),
        ({"name": " "}, "name", rules.NAME_REQUIRED),
        ({"subsidy_standard": "12.345"}, "subsidy_standard", rules.SUBSIDY_INVALID),
        ({"filing_number": "BA-1"}, "filing_number", rules.FILING_WITHOUT_APPRAISAL),
        ({"skill": "juggling"}, "skill", rules.SKILL_INVALID),
        ({"teachers": [999999]}, "teachers", rules.TEACHERS_INVALID),
    ],
)
def test_a_bad_class_is_refused_naming_the_field_and_nothing_is_written(
    override, field, message, users, designated, api
):
    response = api(users.institution_staff).post("/classes", class_data(**override))
    assert response.status_code == 422, response.content
    assert (field, message) in [(e["field"], e["message"]) for e in response.json()["errors"]]
    assert not TrainingClass.objects.exists()


def test_missing_required_fields_are_all_named(users, designated, api):
    response = api(users.institution_staff).post("/classes", {})
    assert response.status_code == 422
    assert {
        "name",
        "training_type",
        "mode",
        "occupation",
        "level",
        "start_date",
        "end_date",
        "hours",
        "capacity",
    } <= set(fields(response))


@pytest.mark.parametrize(
    "role",
    ["town_staff", "employment_service", "auditor", "sys_admin", "security_admin", "audit_admin"],
)
def test_roles_that_do_not_run_classes_cannot_create_one(role, users, designated, api):
    response = api(users.by_role()[role]).post("/classes", class_data(institution=designated.pk))
    assert response.status_code == 403
    assert not TrainingClass.objects.exists()


def test_the_list_filters_by_year_state_institution_type_town_and_code(
    users, designated, other_institution, make_class, api
):
    draft = make_class("draft", trainees=1, name="面点培训班", training_type="skill_upgrade")
    running = make_class("running", trainees=1)
    old = make_class("draft", trainees=0, start_date="2024-03-01", end_date="2024-04-01")
    client = api(users.city_admin)

    def ids(**params: Any) -> list[int]:
        response = client.get("/classes", **params)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] == len(body["results"])
        return [row["id"] for row in body["results"]]

    assert set(ids()) == {draft.pk, running.pk, old.pk}
    assert set(ids(year=draft.start_date.year)) == {draft.pk, running.pk}
    assert ids(year=2024) == [old.pk]
    assert ids(state="running") == [running.pk]
    assert ids(type="skill_upgrade") == [draft.pk]
    assert set(ids(institution=designated.pk)) == {draft.pk, running.pk, old.pk}
    assert ids(institution=other_institution.pk) == []
    assert set(ids(town=designated.town_id)) == {draft.pk, running.pk, old.pk}
    assert ids(town=CIZAO) == []
    assert ids(q="面点") == [draft.pk]
    assert ids(q=running.code.lower()) == [running.pk]
    rows = {row["id"]: row for row in client.get("/classes").json()["results"]}
    assert rows[running.pk]["trainee_count"] == 1
    assert rows[old.pk]["trainee_count"] == 0
    page = client.get("/classes", page_size=2, page=2).json()
    assert page["count"] == 3 and len(page["results"]) == 1


@pytest.mark.parametrize(
    "params,field",
    [
        ({"year": "26"}, "year"),
        ({"state": "open"}, "state"),
        ({"type": "x"}, "type"),
        ({"institution": "abc"}, "institution"),
        ({"town": "anhai"}, "town"),
        ({"q": "长" * 51}, "q"),
        ({"page_size": 201}, "page_size"),
        ({"page": 0}, "page"),
    ],
)
def test_a_bad_filter_is_a_422_naming_it(params, field, users, api):
    response = api(users.city_admin).get("/classes", **params)
    assert response.status_code == 422
    assert field in fields(response)


def test_the_detail_offers_each_role_the_steps_it_may_take(users, make_class, api):
    training_class = make_class("submitted", trainees=1)
    city = api(users.city_admin).get(f"/classes/{training_class.pk}").json()
    assert city["actions"] == ["approve", "return", "cancel"]
    assert city["trainee_count"] == 1
    school = api(users.institution_staff).get(f"/classes/{training_class.pk}").json()
    assert school["actions"] == ["cancel"]
    assert api(users.auditor).get(f"/classes/{training_class.pk}").json()["actions"] == []


def test_a_draft_is_edited_and_audited(users, make_class, api):
    training_class = make_class("draft", trainees=0)
    response = api(users.institution_staff).patch(
        f"/classes/{training_class.pk}", {"venue": "安海镇文化中心", "capacity": 12}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["venue"], response.json()["capacity"]) == ("安海镇文化中心", 12)
    entry = AuditEntry.objects.filter(action="class.update", object_id=str(training_class.pk)).get()
    assert entry.changes["diff"]["capacity"] == [30, 12]


def test_the_state_is_not_edited_but_stepped(users, make_class, api):
    training_class = make_class("draft", trainees=0)
    response = api(users.institution_staff).patch(
        f"/classes/{training_class.pk}", {"state": "approved"}
    )
    assert response.status_code == 422
    assert messages(response) == [rules.STATE_FIELD]
    assert state_of(training_class) == "draft"


def test_a_submitted_class_is_not_edited_but_its_filing_number_is_until_it_runs(
    users, make_class, api
):
    training_class = make_class("approved", trainees=1, appraisal=True)
    client = api(users.institution_staff)
    refused = client.patch(f"/classes/{training_class.pk}", {"venue": "别处"})
    assert refused.status_code == 409
    assert messages(refused) == [rules.NOT_EDITABLE_STATE.format(state="已批准")]
    filed = client.patch(f"/classes/{training_class.pk}", {"filing_number": "KB2026-0042"})
    assert filed.status_code == 200
    assert filed.json()["filing_number"] == "KB2026-0042"
    assert TrainingClass.objects.get(pk=training_class.pk).venue == class_data()["venue"]


@pytest.mark.parametrize("role", ["town_staff", "employment_service", "auditor", "audit_admin"])
def test_a_role_without_edit_rights_gets_the_same_403_for_any_class(role, users, make_class, api):
    training_class = make_class("draft", trainees=0)
    client = api(users.by_role()[role])
    existing = client.patch(f"/classes/{training_class.pk}", {"venue": "x"})
    absent = client.patch(f"/classes/{training_class.pk + 1000}", {"venue": "x"})
    assert existing.status_code == absent.status_code == 403
    assert existing.json() == absent.json()


# ---- the lifecycle -------------------------------------------------------------------------------


def test_a_class_walks_its_whole_lifecycle_through_the_api(users, make_class, api):
    today = dt.date.today()
    training_class = make_class("draft", trainees=2, end_date=today.isoformat())
    school, city = api(users.institution_staff), api(users.city_admin)
    path = f"/classes/{training_class.pk}/transitions"
    for client, action, state in (
        (school, "submit", "submitted"),
        (city, "approve", "approved"),
        (school, "start", "running"),
    ):
        response = client.post(path, {"action": action, "comment": f"{action} 说明"})
        assert response.status_code == 200, (action, response.content)
        assert response.json()["state"] == state
    # The register holds every planned hour, and each trainee has a result (issue 12).
    roster = list(training_class.enrollments.all())
    for offset in range(5):
        response = school.post(
            f"/classes/{training_class.pk}/sessions",
            {
                "date": (today - dt.timedelta(days=offset)).isoformat(),
                "hours": 8,
                "attendance": {str(e.pk): 8 for e in roster},
            },
        )
        assert response.status_code == 201, response.content
    for enrollment in roster:
        assert school.patch(f"/enrollments/{enrollment.pk}", {"result": "合格"}).status_code == 200
    for client, action, state in (
        (school, "complete", "completed"),
        (city, "pass_audit", "audited"),
        (city, "settle", "settled"),
    ):
        response = client.post(path, {"action": action})
        assert response.status_code == 200, (action, response.content)
        assert response.json()["state"] == state
        assert response.json()["actions"] == rules.actions_for(
            "city_admin" if client is city else "institution_staff", state
        )
    events = city.get(path).json()
    assert events["count"] == 6
    assert [(e["action"], e["from_state"], e["to_state"]) for e in events["results"]] == [
        ("submit", "draft", "submitted"),
        ("approve", "submitted", "approved"),
        ("start", "approved", "running"),
        ("complete", "running", "completed"),
        ("pass_audit", "completed", "audited"),
        ("settle", "audited", "settled"),
    ]
    assert events["results"][0]["actor"] == users.institution_staff.username
    assert events["results"][0]["comment"] == "submit 说明"
    assert events["results"][1]["actor"] == users.city_admin.username
    assert events["results"][1]["action_label"] == "批准开班"
    assert {
        e["status"]
        for e in school.get(f"/classes/{training_class.pk}/enrollments").json()["results"]
    } == {"completed"}


def test_a_returned_class_is_corrected_and_submitted_again(users, make_class, api):
    training_class = make_class("submitted", trainees=1)
    path = f"/classes/{training_class.pk}/transitions"
    no_reason = api(users.city_admin).post(path, {"action": "return"})
    assert no_reason.status_code == 422
    assert messages(no_reason) == [rules.COMMENT_REQUIRED.format(action="退回")]
    assert state_of(training_class) == "submitted"
    returned = api(users.city_admin).post(path, {"action": "return", "comment": "请补充教师"})
    assert returned.json()["state"] == "returned"
    school = api(users.institution_staff)
    assert school.patch(f"/classes/{training_class.pk}", {"venue": "新址"}).status_code == 200
    assert school.post(path, {"action": "submit"}).json()["state"] == "submitted"


def test_a_failed_audit_goes_back_to_the_institution_and_completes_again(users, make_class, api):
    training_class = make_class("completed", trainees=1)
    path = f"/classes/{training_class.pk}/transitions"
    failed = api(users.city_admin).post(path, {"action": "fail_audit", "comment": "签到表缺页"})
    assert failed.json()["state"] == "audit_failed"
    again = api(users.institution_staff).post(path, {"action": "complete", "comment": "已补齐"})
    assert again.status_code == 200
    assert again.json()["state"] == "completed"
    assert [a for a, _f, _t in history(training_class)][-2:] == ["fail_audit", "complete"]


@pytest.mark.parametrize("role", ["institution_staff", "city_admin"])
@pytest.mark.parametrize("state", ["draft", "submitted", "returned", "approved"])
def test_a_class_before_running_is_cancelled_by_either_side(state, role, users, make_class, api):
    training_class = make_class(state, trainees=1)
    path = f"/classes/{training_class.pk}/transitions"
    client = api(users.by_role()[role])
    assert client.post(path, {"action": "cancel"}).status_code == 422  # a reason is required
    response = client.post(path, {"action": "cancel", "comment": "生源不足"})
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    assert response.json()["actions"] == []
    assert history(training_class)[-1] == ("cancel", state, "cancelled")


@pytest.mark.parametrize(
    "state,action,role",
    [
        ("draft", "approve", "city_admin"),
        ("returned", "start", "institution_staff"),
        ("completed", "settle", "city_admin"),
        ("running", "cancel", "institution_staff"),
        ("settled", "cancel", "city_admin"),
        ("submitted", "complete", "institution_staff"),
        ("audited", "fail_audit", "city_admin"),
        ("approved", "submit", "institution_staff"),
    ],
)
def test_an_out_of_state_step_is_a_409_with_its_message_and_changes_nothing(
    state, action, role, users, make_class, api
):
    training_class = make_class(state, trainees=1)
    events = history(training_class)
    response = api(users.by_role()[role]).post(
        f"/classes/{training_class.pk}/transitions", {"action": action, "comment": "原因"}
    )
    assert response.status_code == 409
    assert response.json()["detail"] == rules.transition_refusal(state, action)
    assert response.json()["errors"] == [
        {"field": "action", "message": rules.transition_refusal(state, action)}
    ]
    assert state_of(training_class) == state
    assert history(training_class) == events


@pytest.mark.parametrize(
    "role,action",
    [
        ("institution_staff", "approve"),
        ("institution_staff", "settle"),
        ("institution_staff", "pass_audit"),
        ("city_admin", "submit"),
        ("city_admin", "start"),
        ("city_admin", "complete"),
        ("town_staff", "cancel"),
        ("auditor", "approve"),
        ("employment_service", "return"),
    ],
)
def test_a_step_of_another_role_is_a_403_naming_who_takes_it(role, action, users, make_class, api):
    training_class = make_class("submitted", trainees=1)
    response = api(users.by_role()[role]).post(
        f"/classes/{training_class.pk}/transitions", {"action": action, "comment": "原因"}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == rules.role_refusal(action)
    assert state_of(training_class) == "submitted"


@pytest.mark.parametrize("role", ["sys_admin", "security_admin", "audit_admin"])
def test_the_officers_take_no_step(role, users, make_class, api):
    training_class = make_class("submitted", trainees=1)
    response = api(users.by_role()[role]).post(
        f"/classes/{training_class.pk}/transitions", {"action": "approve"}
    )
    assert response.status_code == 403
    assert state_of(training_class) == "submitted"


def test_another_institutions_class_is_a_404_for_a_step(
    users, designated, other_institution, trainee_factory, api
):
    from canpei.training.classes import services

    theirs = services.class_create(
        actor=users.city_admin, data=class_data(institution=other_institution.pk)
    )
    response = api(users.institution_staff).post(
        f"/classes/{theirs.pk}/transitions", {"action": "submit"}
    )
    absent = api(users.institution_staff).post(
        f"/classes/{theirs.pk + 1000}/transitions", {"action": "submit"}
    )
    assert response.status_code == absent.status_code == 404
    assert response.json() == absent.json()
    assert state_of(theirs) == "draft"


def test_an_unknown_action_is_a_422_naming_it(users, make_class, api):
    training_class = make_class("draft", trainees=1)
    response = api(users.institution_staff).post(
        f"/classes/{training_class.pk}/transitions", {"action": "approve_all"}
    )
    assert response.status_code == 422
    assert fields(response) == ["action"]


def test_submitting_an_empty_roster_is_a_409(users, make_class, api):
    training_class = make_class("draft", trainees=0, start_date=dt.date.today().isoformat())
    response = api(users.institution_staff).post(
        f"/classes/{training_class.pk}/transitions", {"action": "submit"}
    )
    assert response.status_code == 409
    assert messages(response) == [rules.ROSTER_EMPTY]
    assert response.json()["errors"][0]["field"] == "roster"


def test_a_lapsed_designation_is_named_at_submission(users, make_class, designated, api):
    training_class = make_class("draft", trainees=1, start_date=dt.date.today().isoformat())
    designated.designated_to = dt.date.today() - dt.timedelta(days=30)
    designated.save()
    response = api(users.institution_staff).post(
        f"/classes/{training_class.pk}/transitions", {"action": "submit"}
    )
    assert response.status_code == 409
    assert messages(response) == [
        rules.DESIGNATION_NOT_VALID.format(
            institution=designated.name,
            start=training_class.start_date.isoformat(),
            end=training_class.end_date.isoformat(),
        )
    ]


def test_an_appraisal_class_does_not_start_without_its_filing_number(users, make_class, api):
    training_class = make_class("approved", trainees=1, appraisal=True)
    path = f"/classes/{training_class.pk}/transitions"
    refused = api(users.institution_staff).post(path, {"action": "start"})
    assert refused.status_code == 409
    assert refused.json()["errors"] == [
        {"field": "filing_number", "message": rules.FILING_NUMBER_REQUIRED}
    ]
    api(users.institution_staff).patch(
        f"/classes/{training_class.pk}", {"filing_number": "KB2026-0001"}
    )
    assert api(users.institution_staff).post(path, {"action": "start"}).json()["state"] == "running"


def test_completion_names_each_trainee_marked_complete_without_enough_attendance(
    users, make_class, api
):
    training_class = make_class("running", trainees=1, end_date=dt.date.today().isoformat())
    enrollment = training_class.enrollments.get()
    school = api(users.institution_staff)
    register_hours(users.institution_staff, training_class, "20")
    school.patch(f"/enrollments/{enrollment.pk}", {"status": "completed"})
    response = school.post(f"/classes/{training_class.pk}/transitions", {"action": "complete"})
    assert response.status_code == 409
    assert messages(response) == [
        rules.ATTENDANCE_TOO_LOW.format(
            person=rules.describe_person(enrollment.person), attended="20.0", hours=40, percent=80
        )
    ]
    assert state_of(training_class) == "running"


# ---- the roster ---------------------------------------------------------------------------------


def test_an_institution_enrols_by_id_number_and_sees_only_the_summary(
    users, make_class, trainee_factory, api
):
    training_class = make_class("draft", trainees=0)
    person = trainee_factory(phone="13905951234", address="安海镇安平路 1 号")
    response = api(users.institution_staff).post(
        f"/classes/{training_class.pk}/enrollments", {"person": person.id_number.lower()}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= ENROLLMENT_FIELDS
    assert set(body) == ENROLLMENT_FIELDS | {
        "person_summary",
        "appraisal_result",
        "withdrawn_on",
        "withdraw_reason",
    }
    assert (body["class"], body["person"], body["status"]) == (
        training_class.pk,
        person.pk,
        "enrolled",
    )
    assert (body["attended_hours"], body["certificate"]) == (0, None)
    assert body["person_summary"] == {
        "name": person.name,
        "id_number": mask_id_number(person.id_number),
        "category": person.category,
        "grade": person.grade,
    }
    roster = api(users.institution_staff).get(f"/classes/{training_class.pk}/enrollments")
    for text in (response.content.decode(), roster.content.decode()):
        for secret in (
            person.id_number,
            person.cert_number,
            "13905951234",
            "安平路",
            person.birth_date.isoformat(),
        ):
            assert secret not in text


def test_an_institution_enrols_by_person_id_only_after_looking_the_person_up(
    users, make_class, trainee_factory, api
):
    training_class = make_class("draft", trainees=0)
    person = trainee_factory()
    client = api(users.institution_staff)
    path = f"/classes/{training_class.pk}/enrollments"
    blind = client.post(path, {"person": person.pk})
    assert blind.status_code == 422
    assert blind.json()["errors"] == [{"field": "person", "message": rules.PERSON_NOT_FOUND}]
    assert client.post("/persons/lookup", {"id_number": person.id_number}).status_code == 200
    looked_up = client.post(path, {"person": person.pk})
    assert looked_up.status_code == 201
    assert looked_up.json()["person"] == person.pk


def test_the_city_enrols_by_person_id(users, make_class, trainee_factory, api):
    training_class = make_class("draft", trainees=0)
    person = trainee_factory()
    response = api(users.city_admin).post(
        f"/classes/{training_class.pk}/enrollments", {"person": str(person.pk)}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "person,field",
    [("", "person"), ("350582199003070010", "person"), (make_id("35058219790505999"), "person")],
)
def test_a_bad_or_unknown_person_is_a_422(person, field, users, make_class, api):
    training_class = make_class("draft", trainees=0)
    response = api(users.city_admin).post(
        f"/classes/{training_class.pk}/enrollments", {"person": person}
    )
    assert response.status_code == 422
    assert fields(response) == [field]
    assert not Enrollment.objects.filter(training_class=training_class).exists()


def test_an_unknown_number_is_the_generic_refusal_for_an_institution(users, make_class, api):
    # As an inactive person's number answers (tests/training/classes/test_institution_refusals.py).
    training_class = make_class("draft", trainees=0)
    response = api(users.institution_staff).post(
        f"/classes/{training_class.pk}/enrollments", {"person": make_id("35058219790505999")}
    )
    assert response.status_code == 409
    assert messages(response) == [rules.NOT_ENROLLABLE]
    assert not Enrollment.objects.filter(training_class=training_class).exists()


def test_enrolment_names_the_rule_a_trainee_breaks(users, make_class, trainee_factory, api):
    training_class = make_class("draft", trainees=0)
    client = api(users.institution_staff)
    path = f"/classes/{training_class.pk}/enrollments"
    elderly = trainee_factory(birth="19500101")
    too_old = client.post(path, {"person": elderly.id_number})
    assert too_old.status_code == 409
    assert messages(too_old) == [
        rules.TRAINEE_NOT_WORKING_AGE.format(
            person=elderly.id_number_masked, date=training_class.start_date.isoformat()
        )
    ]
    assert elderly.name not in too_old.content.decode()
    person = trainee_factory()
    assert client.post(path, {"person": person.id_number}).status_code == 201
    twice = client.post(path, {"person": person.id_number})
    assert twice.status_code == 409
    assert messages(twice) == [rules.ALREADY_ENROLLED.format(person=rules.describe_person(person))]


def test_a_person_in_an_overlapping_class_is_refused(users, make_class, trainee_factory, api):
    person = trainee_factory()
    busy = make_class("approved", persons=[person])
    training_class = make_class("draft", trainees=0)
    response = api(users.institution_staff).post(
        f"/classes/{training_class.pk}/enrollments", {"person": person.id_number}
    )
    assert response.status_code == 409
    assert messages(response) == [
        rules.OVERLAPPING_CLASS.format(
            person=rules.describe_person(person), other=f"{busy.code} {busy.name}"
        )
    ]


def test_the_roster_closes_at_submission(users, make_class, trainee_factory, api):
    training_class = make_class("submitted", trainees=1)
    response = api(users.institution_staff).post(
        f"/classes/{training_class.pk}/enrollments", {"person": trainee_factory().id_number}
    )
    assert response.status_code == 409
    assert messages(response) == [rules.ROSTER_CLOSED.format(state="已申请")]


@pytest.mark.parametrize("role", ["town_staff", "employment_service", "auditor", "sys_admin"])
def test_only_the_institution_and_the_city_keep_rosters(
    role, users, make_class, trainee_factory, api
):
    training_class = make_class("draft", trainees=0)
    response = api(users.by_role()[role]).post(
        f"/classes/{training_class.pk}/enrollments", {"person": trainee_factory().id_number}
    )
    assert response.status_code == 403
    assert not Enrollment.objects.filter(training_class=training_class).exists()


def test_town_staff_see_only_their_towns_trainees_on_a_shared_class(
    users, make_class, trainee_factory, api
):
    ours, theirs = trainee_factory(town=ANHAI), trainee_factory(town=CIZAO)
    training_class = make_class("running", persons=[ours, theirs])
    anhai = api(users.town_staff).get(f"/classes/{training_class.pk}/enrollments").json()
    assert [row["person"] for row in anhai["results"]] == [ours.pk]
    assert anhai["count"] == 1
    cizao = api(users.other_town_staff).get(f"/classes/{training_class.pk}/enrollments").json()
    assert [row["person"] for row in cizao["results"]] == [theirs.pk]
    school = api(users.institution_staff).get(f"/classes/{training_class.pk}/enrollments").json()
    assert {row["person"] for row in school["results"]} == {ours.pk, theirs.pk}
    their_row = training_class.enrollments.get(person=theirs)
    assert api(users.town_staff).get(f"/enrollments/{their_row.pk}").status_code == 404
    assert api(users.other_town_staff).get(f"/enrollments/{their_row.pk}").status_code == 200


def test_a_trainee_withdraws_with_a_reason(users, make_class, api):
    training_class = make_class("running", trainees=2)
    enrollment = training_class.enrollments.order_by("id").first()
    client = api(users.institution_staff)
    no_reason = client.patch(f"/enrollments/{enrollment.pk}", {"status": "withdrawn"})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"] == [
        {"field": "withdraw_reason", "message": rules.WITHDRAW_REASON_REQUIRED}
    ]
    response = client.patch(
        f"/enrollments/{enrollment.pk}", {"status": "withdrawn", "withdraw_reason": "外出务工"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["withdraw_reason"]) == ("withdrawn", "外出务工")
    assert body["withdrawn_on"] == timezone.localdate().isoformat()
    assert client.get(f"/classes/{training_class.pk}").json()["trainee_count"] == 1
    again = client.patch(
        f"/enrollments/{enrollment.pk}", {"status": "withdrawn", "withdraw_reason": "x"}
    )
    assert again.status_code == 200  # already withdrawn: nothing to change
    back = client.patch(f"/enrollments/{enrollment.pk}", {"status": "enrolled"})
    assert back.status_code == 409
    assert messages(back) == [rules.WITHDRAW_NOT_ALLOWED.format(status="退学")]


def test_a_draft_rosters_mistake_is_deleted_but_a_submitted_one_is_not(users, make_class, api):
    draft = make_class("draft", trainees=1)
    client = api(users.institution_staff)
    entry = draft.enrollments.get()
    response = client.client.delete(f"/api/v1/enrollments/{entry.pk}", **client.headers)
    assert response.status_code == 204
    assert not Enrollment.objects.filter(pk=entry.pk).exists()
    assert AuditEntry.objects.filter(action="enrollment.delete", object_id=str(entry.pk)).exists()
    submitted = make_class("submitted", trainees=1)
    kept = submitted.enrollments.get()
    refused = client.client.delete(f"/api/v1/enrollments/{kept.pk}", **client.headers)
    assert refused.status_code == 409
    assert Enrollment.objects.filter(pk=kept.pk).exists()


# ---- the register --------------------------------------------------------------------------------


def test_a_session_is_recorded_and_the_hours_add_up(users, make_class, api):
    training_class = make_class("running", trainees=2)
    first, second = training_class.enrollments.order_by("id")
    client = api(users.institution_staff)
    path = f"/classes/{training_class.pk}/sessions"
    day = timezone.localdate().isoformat()
    response = client.post(
        path,
        {
            "date": day,
            "hours": 4,
            "topic": "网店开设",
            "attendance": {str(first.pk): 4, str(second.pk): "2.5"},
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["attendance"] == {str(first.pk): 4.0, str(second.pk): 2.5}
    assert response.json()["class"] == training_class.pk
    client.post(
        path, {"date": day, "hours": 3, "topic": "商品拍摄", "attendance": {str(first.pk): 3}}
    )
    hours = {
        row["id"]: row["attended_hours"]
        for row in client.get(f"/classes/{training_class.pk}/enrollments").json()["results"]
    }
    assert hours == {first.pk: 7.0, second.pk: 2.5}
    sessions = client.get(path).json()
    assert sessions["count"] == 2
    assert [s["topic"] for s in sessions["results"]] == ["网店开设", "商品拍摄"]
    assert sessions["results"][1]["attendance"] == {str(first.pk): 3.0, str(second.pk): 0.0}
    # Hours now come from the register, not from a typed total.
    typed = client.patch(f"/enrollments/{first.pk}", {"attended_hours": 40})
    assert typed.status_code == 409
    assert messages(typed) == [rules.ATTENDANCE_FROM_REGISTER]


def test_the_register_refuses_bad_hours_naming_the_trainee_field(users, make_class, api):
    training_class = make_class("running", trainees=1)
    enrollment = training_class.enrollments.get()
    client = api(users.institution_staff)
    path = f"/classes/{training_class.pk}/sessions"
    day = timezone.localdate().isoformat()
    over = client.post(path, {"date": day, "hours": 2, "attendance": {str(enrollment.pk): 3}})
    assert over.status_code == 422
    assert over.json()["errors"] == [
        {
            "field": f"attendance.{enrollment.pk}",
            "message": rules.ATTENDANCE_EXCEEDS_SESSION.format(hours="2.0"),
        }
    ]
    stranger = client.post(path, {"date": day, "hours": 2, "attendance": {"999999": 1}})
    assert stranger.status_code == 422
    assert fields(stranger) == ["attendance.999999"]
    outside = client.post(path, {"date": "2000-01-01", "hours": 2, "attendance": {}})
    assert fields(outside) == ["date"]
    assert not training_class.sessions.exists()


def test_a_draft_has_no_register(users, make_class, api):
    training_class = make_class("draft", trainees=1)
    response = api(users.institution_staff).post(
        f"/classes/{training_class.pk}/sessions",
        {"date": training_class.start_date.isoformat(), "hours": 2, "attendance": {}},
    )
    assert response.status_code == 409
    assert messages(response) == [rules.ATTENDANCE_CLOSED.format(state="草稿")]


def test_town_staff_read_the_register_of_their_own_trainees_only(
    users, make_class, trainee_factory, api
):
    ours, theirs = trainee_factory(town=ANHAI), trainee_factory(town=CIZAO)
    training_class = make_class("running", persons=[ours, theirs])
    rows = {e.person_id: e.pk for e in training_class.enrollments.all()}
    api(users.institution_staff).post(
        f"/classes/{training_class.pk}/sessions",
        {
            "date": timezone.localdate().isoformat(),
            "hours": 2,
            "attendance": {str(rows[ours.pk]): 2, str(rows[theirs.pk]): 1},
        },
    )
    session = api(users.town_staff).get(f"/classes/{training_class.pk}/sessions").json()
    assert session["results"][0]["attendance"] == {str(rows[ours.pk]): 2.0}
    refused = api(users.town_staff).post(
        f"/classes/{training_class.pk}/sessions",
        {"date": timezone.localdate().isoformat(), "hours": 1},
    )
    assert refused.status_code == 403


# ---- inspections ----------------------------------------------------------------------------------


def test_the_city_inspects_a_running_class_and_records_the_rectification(users, make_class, api):
    training_class = make_class("running", trainees=3)
    city = api(users.city_admin)
    path = f"/classes/{training_class.pk}/inspections"
    too_many = city.post(path, {"present": 4})
    assert too_many.status_code == 422
    assert too_many.json()["errors"] == [
        {"field": "present", "message": rules.PRESENT_INVALID.format(count=3)}
    ]
    response = city.post(
        path, {"present": 2, "findings": "1 人缺勤，无请假手续", "rectification_required": True}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["on_roster"], body["present"], body["rectification_required"]) == (3, 2, True)
    assert body["date"] == timezone.localdate().isoformat()
    assert body["inspector_name"] == users.city_admin.username
    assert body["rectified_on"] is None
    listed = api(users.institution_staff).get(path).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    early = city.patch(
        f"{path}/{body['id']}", {"rectification_note": "已补请假条", "rectified_on": "2000-01-01"}
    )
    assert early.status_code == 422
    assert messages(early) == [rules.RECTIFICATION_DATE_EARLY]
    done = city.patch(
        f"{path}/{body['id']}",
        {"rectification_note": "已补请假条", "rectified_on": timezone.localdate().isoformat()},
    )
    assert done.status_code == 200
    assert done.json()["rectification_note"] == "已补请假条"
    assert Inspection.objects.get(pk=body["id"]).rectified_on == timezone.localdate()


def test_an_inspection_without_a_required_rectification_cannot_be_rectified(users, make_class, api):
    training_class = make_class("running", trainees=1)
    city = api(users.city_admin)
    path = f"/classes/{training_class.pk}/inspections"
    inspection = city.post(path, {"present": 1}).json()
    response = city.patch(
        f"{path}/{inspection['id']}",
        {"rectification_note": "x", "rectified_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 409
    assert messages(response) == [rules.RECTIFIED_WITHOUT_REQUIREMENT]


def test_only_a_running_class_is_inspected_and_only_by_the_city(users, make_class, api):
    draft = make_class("draft", trainees=1)
    closed = api(users.city_admin).post(f"/classes/{draft.pk}/inspections", {"present": 1})
    assert closed.status_code == 409
    assert messages(closed) == [rules.INSPECTION_CLOSED]
    running = make_class("running", trainees=1)
    for role in ("institution_staff", "town_staff", "auditor"):
        response = api(users.by_role()[role]).post(
            f"/classes/{running.pk}/inspections", {"present": 1}
        )
        assert response.status_code == 403, role
    assert not Inspection.objects.exists()


def test_an_inspection_of_another_class_is_a_404(users, make_class, api):
    first, second = make_class("running", trainees=1), make_class("running", trainees=1)
    city = api(users.city_admin)
    inspection = city.post(
        f"/classes/{first.pk}/inspections", {"present": 1, "rectification_required": True}
    ).json()
    response = city.patch(
        f"/classes/{second.pk}/inspections/{inspection['id']}",
        {"rectified_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 404


# ---- results and certificates ------------------------------------------------------------------

CERTIFICATE = {
    "type": "special_ability",
    "level": "special",
    "number": "ZX2026350500123",
    "issuer": "泉州市职业技能鉴定中心",
}


def test_a_completed_trainee_gets_a_certificate(users, make_class, api):
    training_class = make_class("completed", trainees=1, appraisal=True, filing_number="KB2026-9")
    enrollment = training_class.enrollments.get()
    assert enrollment.status == "completed"
    today = timezone.localdate().isoformat()
    response = api(users.institution_staff).patch(
        f"/enrollments/{enrollment.pk}",
        {
            "appraisal_result": "passed",
            "result": "优秀",
            "certificate": {**CERTIFICATE, "date": today},
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["certificate"] == {**CERTIFICATE, "date": today}
    assert (body["appraisal_result"], body["result"]) == ("passed", "优秀")
    assert (
        api(users.auditor).get(f"/enrollments/{enrollment.pk}").json()["certificate"]
        == body["certificate"]
    )
    entry = AuditEntry.objects.filter(
        action="enrollment.update", object_id=str(enrollment.pk)
    ).latest("id")
    assert entry.changes["diff"]["certificate_number"] == ["", CERTIFICATE["number"]]


def test_an_incomplete_certificate_names_what_is_missing(users, make_class, api):
    training_class = make_class("completed", trainees=1)
    enrollment = training_class.enrollments.get()
    response = api(users.institution_staff).patch(
        f"/enrollments/{enrollment.pk}", {"certificate": {"type": "training", "number": "P-1"}}
    )
    assert response.status_code == 422
    assert set(fields(response)) == {"certificate_date", "certificate_issuer"}
    assert set(messages(response)) == {rules.CERTIFICATE_FIELDS_INCOMPLETE}
    assert Enrollment.objects.get(pk=enrollment.pk).certificate_number == ""


def test_a_certificate_dated_in_the_future_is_refused(users, make_class, api):
    training_class = make_class("completed", trainees=1)
    enrollment = training_class.enrollments.get()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = api(users.institution_staff).patch(
        f"/enrollments/{enrollment.pk}", {"certificate": {**CERTIFICATE, "date": tomorrow}}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "certificate_date", "message": rules.CERTIFICATE_DATE_FUTURE}
    ]


def test_no_certificate_before_completion_or_for_a_failed_trainee(users, make_class, api):
    running = make_class("running", trainees=1)
    today = timezone.localdate().isoformat()
    early = api(users.institution_staff).patch(
        f"/enrollments/{running.enrollments.get().pk}",
        {"certificate": {**CERTIFICATE, "date": today}},
    )
    assert early.status_code == 409
    assert messages(early) == [rules.CERTIFICATE_CLOSED]
    failed_class = make_class("completed", trainees=1, attended="10")
    failed = failed_class.enrollments.get()
    assert failed.status == "failed"
    refused = api(users.institution_staff).patch(
        f"/enrollments/{failed.pk}", {"certificate": {**CERTIFICATE, "date": today}}
    )
    assert refused.status_code == 409
    assert messages(refused) == [
        rules.CERTIFICATE_NOT_COMPLETED.format(person=rules.describe_person(failed.person))
    ]


# ---- scope -----------------------------------------------------------------------------------------


@pytest.fixture
def their_class(users, other_institution, trainee_factory) -> Any:
    """A draft class of another institution, with one trainee of 磁灶镇."""
    from canpei.training.classes import services

    training_class = services.class_create(
        actor=users.city_admin, data=class_data(institution=other_institution.pk)
    )
    services.enrollment_add(
        actor=users.city_admin,
        training_class=training_class,
        person=trainee_factory(town=CIZAO).id_number,
    )
    return training_class


def reads(client: Any, training_class: Any) -> dict[str, Any]:
    enrollment = training_class.enrollments.first()
    return {
        "detail": client.get(f"/classes/{training_class.pk}"),
        "history": client.get(f"/classes/{training_class.pk}/transitions"),
        "roster": client.get(f"/classes/{training_class.pk}/enrollments"),
        "sessions": client.get(f"/classes/{training_class.pk}/sessions"),
        "inspections": client.get(f"/classes/{training_class.pk}/inspections"),
        "enrollment": client.get(f"/enrollments/{enrollment.pk}"),
    }


def test_an_institution_sees_its_own_classes_and_not_anothers(users, make_class, their_class, api):
    ours = make_class("draft", trainees=1)
    client = api(users.institution_staff)
    listed = client.get("/classes").json()
    assert [row["id"] for row in listed["results"]] == [ours.pk]
    assert all(r.status_code == 200 for r in reads(client, ours).values())
    for name, response in reads(client, their_class).items():
        assert response.status_code == 404, name
    # Filtering by the other institution finds nothing either.
    assert client.get("/classes", institution=their_class.institution_id).json()["count"] == 0


def test_town_staff_see_a_class_only_through_their_towns_trainees(
    users, make_class, their_class, trainee_factory, api
):
    ours = make_class("draft", persons=[trainee_factory(town=ANHAI)])
    anhai = api(users.town_staff)
    assert [row["id"] for row in anhai.get("/classes").json()["results"]] == [ours.pk]
    assert all(r.status_code == 200 for r in reads(anhai, ours).values())
    assert all(r.status_code == 404 for r in reads(anhai, their_class).values())
    cizao = api(users.other_town_staff)
    assert [row["id"] for row in cizao.get("/classes").json()["results"]] == [their_class.pk]


@pytest.mark.parametrize("role", ["sys_admin", "security_admin", "audit_admin"])
def test_the_officers_see_no_class(role, users, make_class, api):
    training_class = make_class("running", trainees=1)
    client = api(users.by_role()[role])
    assert client.get("/classes").status_code == 403
    for name, response in reads(client, training_class).items():
        assert response.status_code == 404, name
        assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize("role", ["city_admin", "employment_service", "auditor"])
def test_city_wide_readers_see_every_class(role, users, make_class, their_class, api):
    ours = make_class("draft", trainees=1)
    client = api(users.by_role()[role])
    assert {row["id"] for row in client.get("/classes").json()["results"]} == {
        ours.pk,
        their_class.pk,
    }
    for training_class in (ours, their_class):
        assert all(r.status_code == 200 for r in reads(client, training_class).values())


def test_a_hidden_class_answers_exactly_like_an_absent_one(users, their_class, api):
    client = api(users.institution_staff)
    for suffix in ("", "/transitions", "/enrollments", "/sessions", "/inspections"):
        hidden = client.get(f"/classes/{their_class.pk}{suffix}")
        absent = client.get(f"/classes/{their_class.pk + 1000}{suffix}")
        assert (hidden.status_code, hidden.json()) == (absent.status_code, absent.json()), suffix


def test_the_list_answers_in_a_fixed_number_of_queries(
    users, make_class, api, django_assert_max_num_queries
):
    for _ in range(3):
        make_class("draft", trainees=1)
    client = api(users.city_admin)
    client.get("/classes")  # warm the token's user cache
    with django_assert_max_num_queries(12) as few:
        assert client.get("/classes", page_size=1).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/classes", page_size=200).json()["count"] == 3


# ---- the document and the wire ------------------------------------------------------------------


def test_the_openapi_document_describes_the_class_api(db):
    from django.test import Client

    document = Client().get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    base = "/api/v1"
    assert {
        ("GET", f"{base}/classes"),
        ("POST", f"{base}/classes"),
        ("GET", f"{base}/classes/{{class_id}}"),
        ("PATCH", f"{base}/classes/{{class_id}}"),
        ("GET", f"{base}/classes/{{class_id}}/transitions"),
        ("POST", f"{base}/classes/{{class_id}}/transitions"),
        ("GET", f"{base}/classes/{{class_id}}/enrollments"),
        ("POST", f"{base}/classes/{{class_id}}/enrollments"),
        ("GET", f"{base}/enrollments/{{enrollment_id}}"),
        ("PATCH", f"{base}/enrollments/{{enrollment_id}}"),
        ("GET", f"{base}/classes/{{class_id}}/sessions"),
        ("POST", f"{base}/classes/{{class_id}}/sessions"),
        ("GET", f"{base}/classes/{{class_id}}/inspections"),
        ("POST", f"{base}/classes/{{class_id}}/inspections"),
        ("PATCH", f"{base}/classes/{{class_id}}/inspections/{{inspection_id}}"),
    } <= operations
    schemas = document["components"]["schemas"]
    assert set(schemas["ClassOut"]["properties"]) >= CLASS_FIELDS
    assert set(schemas["EnrollmentOut"]["properties"]) >= ENROLLMENT_FIELDS
    assert set(schemas["PersonSummaryOut"]["properties"]) == PERSON_SUMMARY
    actions = schemas["ClassTransitionIn"]["properties"]["action"]["enum"]
    assert actions == list(rules.CLASS_TRANSITIONS)
    assert schemas["ClassIn"]["properties"]["training_type"]["enum"] == [
        "employment_skills",
        "skill_upgrade",
        "entrepreneurship",
        "rural_practical",
    ]


def test_no_two_schemas_of_the_api_share_a_name():
    """The document names components by class name: two schemas of one name would silently
    describe one operation with the other's body (as a second `TransitionIn` once did)."""
    import inspect

    from pydantic import BaseModel

    from canpei.api import router

    modules = [
        module
        for name, module in vars(router).items()
        if inspect.ismodule(module) and module.__name__.startswith("canpei.api.")
    ]
    names = [
        obj.__name__
        for module in modules
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, BaseModel) and obj.__module__ == module.__name__
    ]
    assert "ClassOut" in names and "InstitutionOut" in names
    assert sorted(name for name in set(names) if names.count(name) > 1) == []


@pytest.mark.parametrize("body", ['{"name": ', "not json", "[1, 2"])
def test_malformed_json_to_the_class_api_is_a_400(body, users, make_class, api):
    training_class = make_class("draft", trainees=1)
    client = api(users.institution_staff)
    enrollment = training_class.enrollments.get()
    for method, path in (
        ("post", "/classes"),
        ("patch", f"/classes/{training_class.pk}"),
        ("post", f"/classes/{training_class.pk}/transitions"),
        ("post", f"/classes/{training_class.pk}/enrollments"),
        ("patch", f"/enrollments/{enrollment.pk}"),
    ):
        response = getattr(client.client, method)(
            "/api/v1" + path, body, content_type="application/json", **client.headers
        )
        assert response.status_code == 400, (method, path)
        assert set(response.json()) == {"detail", "errors"}
    assert state_of(training_class) == "draft"


@pytest.mark.parametrize("body", [[], "text", 42, None])
def test_json_that_is_not_an_object_changes_nothing(body, users, make_class, api):
    training_class = make_class("draft", trainees=1)
    client = api(users.institution_staff)
    for response in (
        client.post("/classes", body),
        client.patch(f"/classes/{training_class.pk}", body),
        client.post(f"/classes/{training_class.pk}/transitions", body),
    ):
        assert response.status_code in (400, 422)
        assert set(response.json()) == {"detail", "errors"}
    assert TrainingClass.objects.count() == 1
    assert state_of(training_class) == "draft"
