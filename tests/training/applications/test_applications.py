"""Individual applications (个人申请): creation by town staff, editing while submitted, and every
step of the workflow with its role, state, scope and proof rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db.models import QuerySet

from canpei.audit.models import AuditEntry
from canpei.errors import Conflict, Forbidden, InvalidInput, NotFound
from canpei.people.services import person_change_status
from canpei.training import rules
from canpei.training.applications.selectors import (
    ApplicationFilters,
    application_get,
    application_history,
    application_list,
)
from canpei.training.applications.services import (
    application_actions_available,
    application_create,
    application_transition,
    application_update,
)
from canpei.training.models import Application, ApplicationEvent, ApplicationState
from tests.concurrency import all_at_once
from tests.conftest import ANHAI, CIZAO

TODAY = dt.date.today()
PROOF = {
    "certificate_type": "skill_level",
    "certificate_level": "junior",
    "certificate_number": "S000012345",
    "certificate_date": TODAY.isoformat(),
    "certificate_issuer": "晋江市职业技能鉴定中心",
}


def app_data(applicant: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "person": applicant.pk,
        "kind": "self_directed",
        "institution_name": "泉州市某职业培训学校",
        "training_type": "employment_skills",
        "occupation": "电子商务师",
        "level": "junior",
        "planned_start": TODAY.isoformat(),
        "planned_end": (TODAY + dt.timedelta(days=30)).isoformat(),
        "amount_requested": "1500",
        "reason": "自主选择培训机构学习电子商务",
    }
    data.update(overrides)
    return data


def errors_of(exc: Any) -> dict[str, str]:
    return dict(exc.value.errors)


@pytest.fixture
def make_application(users: Any, trainee_factory: Callable[..., Any]) -> Callable[..., Any]:
    """An application of an 安海镇 person, walked to `state` by the roles that take each step."""
    steps: dict[str, list[tuple[str, dict[str, str]]]] = {
        "submitted": [],
        "approved": [("approve", {})],
        "rejected": [("reject", {})],
        "completed": [("approve", {}), ("complete", PROOF)],
        "reimbursed": [
            ("approve", {}),
            ("complete", PROOF),
            ("reimburse", {"amount_reimbursed": "1000"}),
        ],
    }

    def make(state: str = "submitted", person: Any = None, **data: Any) -> Application:
        person = person or trainee_factory()
        application = application_create(actor=users.town_staff, data=app_data(person, **data))
        for action, fields in steps[state]:
            actor = users.town_staff if action == "complete" else users.city_admin
            application_transition(
                application=application,
                actor=actor,
                action=action,
                comment="测试" if action == "reject" else "",
                data=fields,
            )
        application.refresh_from_db()
        return application

    return make


# ---- create ---------------------------------------------------------------------------------


def test_town_staff_submit_an_application_for_a_person_of_their_town(
    users: Any, person_in: Any
) -> None:
    application = application_create(actor=users.town_staff, data=app_data(person_in))
    stored = Application.objects.get(pk=application.pk)
    assert (stored.state, stored.person_id, stored.created_by_id) == (
        "submitted",
        person_in.pk,
        users.town_staff.pk,
    )
    assert stored.amount_requested == Decimal("1500.00")
    assert stored.occupation == "电子商务师"
    entry = AuditEntry.objects.filter(action="application.create").get()
    assert entry.object_id == str(application.pk)


def test_a_person_of_another_town_cannot_be_named(users: Any, person_out: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        application_create(actor=users.town_staff, data=app_data(person_out))
    assert errors_of(exc)["person"] == rules.APPLICANT_NOT_FOUND
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    "role",
    [
        "city_admin",
        "institution_staff",
        "employment_service",
        "auditor",
        "sys_admin",
        "security_admin",
        "audit_admin",
    ],
)
def test_only_town_staff_submit(role: str, users: Any, person_in: Any) -> None:
    with pytest.raises(Forbidden):
        application_create(actor=users.by_role()[role], data=app_data(person_in))
    assert not Application.objects.exists()


def test_the_applicant_must_be_active(users: Any, person_in: Any) -> None:
    person_change_status(
        actor=users.city_admin, person=person_in, status="moved_out", comment="迁往外地"
    )
    with pytest.raises(InvalidInput) as exc:
        application_create(actor=users.town_staff, data=app_data(person_in))
    assert errors_of(exc)["person"] == rules.APPLICANT_NOT_ACTIVE.format(
        person=rules.describe_person(person_in), status="迁出"
    )


def test_the_applicant_must_hold_a_certificate(users: Any, trainee_factory: Any) -> None:
    person = trainee_factory(cert_number="")
    with pytest.raises(InvalidInput) as exc:
        application_create(actor=users.town_staff, data=app_data(person))
    assert errors_of(exc)["person"] == rules.APPLICANT_NO_CERTIFICATE.format(
        person=rules.describe_person(person)
    )


def test_every_bad_field_is_named_at_once(users: Any, person_in: Any) -> None:
    data = app_data(
        person_in,
        kind="holiday",
        training_type="cooking",
        level="master",
        occupation="",
        planned_start="2026-13-01",
        amount_requested="-5",
        reason="长" * 2001,
    )
    with pytest.raises(InvalidInput) as exc:
        application_create(actor=users.town_staff, data=data)
    assert errors_of(exc) == {
        "kind": rules.APPLICATION_KIND_INVALID,
        "training_type": rules.APPLICATION_TYPE_INVALID,
        "level": rules.APPLICATION_LEVEL_INVALID,
        "occupation": rules.OCCUPATION_REQUIRED,
        "planned_start": rules.DATE_INVALID,
        "amount_requested": rules.AMOUNT_REQUESTED_INVALID,
        "reason": rules.REASON_TOO_LONG,
    }


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"person": ""}, "person", rules.APPLICANT_REQUIRED),
        ({"person": "abc"}, "person", rules.APPLICANT_NOT_FOUND),
        ({"institution_name": ""}, "institution", rules.APPLICATION_INSTITUTION_REQUIRED),
        ({"institution": "999999"}, "institution", rules.APPLICATION_INSTITUTION_INVALID),
        (
            {"institution_name": "机" * 101},
            "institution_name",
            rules.APPLICATION_INSTITUTION_NAME_TOO_LONG,
        ),
        (
            {"planned_end": (TODAY - dt.timedelta(days=1)).isoformat()},
            "planned_end",
            rules.PLANNED_DATES_ORDER,
        ),
        ({"amount_requested": "12.345"}, "amount_requested", rules.AMOUNT_REQUESTED_INVALID),
        ({"amount_requested": "100000.01"}, "amount_requested", rules.AMOUNT_REQUESTED_INVALID),
        ({"occupation": "职" * 51}, "occupation", rules.OCCUPATION_TOO_LONG),
        ({"state": "approved"}, "state", rules.APPLICATION_STATE_FIELD),
        ({"colour": "blue"}, "colour", rules.UNKNOWN_FIELD),
        ({"reason": "a\x00b"}, "reason", rules.TEXT_INVALID),
    ],
)
def test_each_bad_field_is_refused_with_its_message(
    data: dict[str, Any], field: str, message: str, users: Any, person_in: Any
) -> None:
    with pytest.raises(InvalidInput) as exc:
        application_create(actor=users.town_staff, data=app_data(person_in, **data))
    assert errors_of(exc)[field] == message
    assert not Application.objects.exists()


def test_an_institution_on_the_list_fills_in_its_name(
    users: Any, person_in: Any, institution: Any
) -> None:
    application = application_create(
        actor=users.town_staff,
        data=app_data(person_in, institution=str(institution.pk), institution_name=""),
    )
    assert (application.institution_id, application.institution_name) == (
        institution.pk,
        institution.name,
    )


# ---- update ---------------------------------------------------------------------------------


def test_a_submitted_application_can_be_corrected(users: Any, make_application: Any) -> None:
    application = make_application()
    application_update(
        actor=users.town_staff,
        application=application,
        data={"amount_requested": "1800", "occupation": "网店运营"},
    )
    stored = Application.objects.get(pk=application.pk)
    assert (stored.amount_requested, stored.occupation) == (Decimal("1800.00"), "网店运营")
    entry = AuditEntry.objects.filter(action="application.update").get()
    assert entry.changes["diff"]["amount_requested"] == ["1500.00", "1800.00"]


def test_the_applicant_cannot_be_changed(users: Any, make_application: Any, person_in: Any) -> None:
    application = make_application()
    with pytest.raises(InvalidInput) as exc:
        application_update(
            actor=users.town_staff, application=application, data={"person": person_in.pk}
        )
    assert errors_of(exc)["person"] == rules.APPLICANT_FIXED


@pytest.mark.parametrize("state", ["approved", "rejected", "completed", "reimbursed"])
def test_a_decided_application_is_no_longer_editable(
    state: str, users: Any, make_application: Any
) -> None:
    application = make_application(state)
    with pytest.raises(Conflict) as exc:
        application_update(
            actor=users.town_staff, application=application, data={"amount_requested": "1"}
        )
    assert exc.value.message == rules.APPLICATION_NOT_EDITABLE.format(
        state=ApplicationState(state).label
    )
    assert Application.objects.get(pk=application.pk).amount_requested == Decimal("1500.00")


def test_another_towns_staff_cannot_edit(users: Any, make_application: Any) -> None:
    application = make_application()
    with pytest.raises(NotFound):
        application_update(
            actor=users.other_town_staff, application=application, data={"amount_requested": "1"}
        )


# ---- transitions: the table, step by step ------------------------------------------------------


def test_the_whole_workflow_with_history_and_audit(users: Any, make_application: Any) -> None:
    application = make_application()
    application_transition(
        application=application,
        actor=users.city_admin,
        action="approve",
        comment="符合条件",
        data={"amount_approved": "1200"},
    )
    application_transition(
        application=application, actor=users.town_staff, action="complete", data=PROOF
    )
    application_transition(
        application=application,
        actor=users.city_admin,
        action="reimburse",
        data={"amount_reimbursed": "1200"},
    )
    stored = Application.objects.get(pk=application.pk)
    assert stored.state == "reimbursed"
    assert (stored.amount_approved, stored.amount_reimbursed) == (
        Decimal("1200.00"),
        Decimal("1200.00"),
    )
    assert (stored.certificate_type, stored.certificate_number, stored.certificate_date) == (
        "skill_level",
        "S000012345",
        TODAY,
    )
    history = list(application_history(user=users.auditor, application=stored))
    assert [(e.action, e.from_state, e.to_state, e.actor_id) for e in history] == [
        ("approve", "submitted", "approved", users.city_admin.pk),
        ("complete", "approved", "completed", users.town_staff.pk),
        ("reimburse", "completed", "reimbursed", users.city_admin.pk),
    ]
    assert history[0].comment == "符合条件"
    assert [
        e.action
        for e in AuditEntry.objects.filter(action__startswith="application.").order_by("id")
    ] == [
        "application.create",
        "application.approve",
        "application.complete",
        "application.reimburse",
    ]
    # The certificate number is the person's document: it stays out of the audit log.
    complete = AuditEntry.objects.get(action="application.complete")
    assert "S000012345" not in str(complete.changes)


def test_city_staff_may_record_completion_too(users: Any, make_application: Any) -> None:
    application = make_application("approved")
    application_transition(
        application=application, actor=users.city_admin, action="complete", data=PROOF
    )
    assert Application.objects.get(pk=application.pk).state == "completed"


def test_reject_needs_a_reason(users: Any, make_application: Any) -> None:
    application = make_application()
    with pytest.raises(InvalidInput) as exc:
        application_transition(application=application, actor=users.city_admin, action="reject")
    assert errors_of(exc)["comment"] == rules.COMMENT_REQUIRED.format(action="不予批准")
    application_transition(
        application=application, actor=users.city_admin, action="reject", comment="不符合申请条件"
    )
    assert Application.objects.get(pk=application.pk).state == "rejected"


# Every (action, state) the table does not allow is a 409 naming both, and changes nothing.
ALL_STATES = ["submitted", "approved", "rejected", "completed", "reimbursed"]
FIELDS = {"approve": {}, "reject": {}, "complete": PROOF, "reimburse": {"amount_reimbursed": "100"}}
OUT_OF_STATE = [
    (action, state)
    for action, step in rules.APPLICATION_TRANSITIONS.items()
    for state in ALL_STATES
    if state not in step.sources
]


@pytest.mark.parametrize("action,state", OUT_OF_STATE)
def test_an_out_of_state_step_is_a_conflict(
    action: str, state: str, users: Any, make_application: Any
) -> None:
    application = make_application(state)
    before = ApplicationEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        application_transition(
            application=application,
            actor=users.city_admin,
            action=action,
            comment="测试",
            data=FIELDS[action],
        )
    assert exc.value.message == rules.application_transition_refusal(state, action)
    assert Application.objects.get(pk=application.pk).state == state
    assert ApplicationEvent.objects.count() == before


# The role matrix: for each action, which roles the table allows; every other role is refused.
ROLES = [
    "city_admin",
    "town_staff",
    "institution_staff",
    "employment_service",
    "auditor",
    "sys_admin",
    "security_admin",
    "audit_admin",
]
START = {
    "approve": "submitted",
    "reject": "submitted",
    "complete": "approved",
    "reimburse": "completed",
}


@pytest.mark.parametrize("action", list(START))
@pytest.mark.parametrize("role", ROLES)
def test_the_role_matrix(action: str, role: str, users: Any, make_application: Any) -> None:
    application = make_application(START[action])
    allowed = role in rules.APPLICATION_TRANSITIONS[action].roles
    actor = users.by_role()[role]
    if allowed:
        application_transition(
            application=application, actor=actor, action=action, comment="测试", data=FIELDS[action]
        )
        assert (
            Application.objects.get(pk=application.pk).state
            == rules.APPLICATION_TRANSITIONS[action].target
        )
        return
    # Roles that cannot see applications at all are refused before anything is read.
    with pytest.raises((Forbidden, NotFound)) as exc:
        application_transition(
            application=application, actor=actor, action=action, comment="测试", data=FIELDS[action]
        )
    if role in ("employment_service", "auditor"):
        assert exc.value.message == rules.application_role_refusal(action)
    assert Application.objects.get(pk=application.pk).state == START[action]
    assert not ApplicationEvent.objects.filter(application=application, action=action).exists()


def test_another_towns_staff_get_not_found(users: Any, make_application: Any) -> None:
    application = make_application("approved")
    with pytest.raises(NotFound):
        application_transition(
            application=application, actor=users.other_town_staff, action="complete", data=PROOF
        )
    assert Application.objects.get(pk=application.pk).state == "approved"


def test_an_unknown_action_names_the_field(users: Any, make_application: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        application_transition(
            application=make_application(), actor=users.city_admin, action="settle"
        )
    assert errors_of(exc) == {"action": rules.APPLICATION_ACTION_INVALID}


# ---- what each step records -------------------------------------------------------------------


@pytest.mark.parametrize(
    "missing,message",
    [
        ("certificate_type", rules.PROOF_TYPE_REQUIRED),
        ("certificate_number", rules.PROOF_NUMBER_REQUIRED),
        ("certificate_date", rules.PROOF_DATE_REQUIRED),
        ("certificate_issuer", rules.PROOF_ISSUER_REQUIRED),
    ],
)
def test_completion_needs_each_part_of_the_proof(
    missing: str, message: str, users: Any, make_application: Any
) -> None:
    application = make_application("approved")
    proof = {k: v for k, v in PROOF.items() if k != missing}
    with pytest.raises(InvalidInput) as exc:
        application_transition(
            application=application, actor=users.town_staff, action="complete", data=proof
        )
    assert errors_of(exc) == {missing: message}
    assert Application.objects.get(pk=application.pk).state == "approved"


@pytest.mark.parametrize(
    "field,value,message",
    [
        (
            "certificate_date",
            (TODAY + dt.timedelta(days=1)).isoformat(),
            rules.CERTIFICATE_DATE_FUTURE,
        ),
        ("certificate_date", "2026-02-30", rules.DATE_INVALID),
        ("certificate_type", "diploma", rules.CERTIFICATE_TYPE_INVALID),
        ("certificate_level", "master", rules.CERTIFICATE_LEVEL_INVALID),
        ("certificate_number", "N" * 51, rules.CERTIFICATE_NUMBER_TOO_LONG),
        ("certificate_issuer", "机" * 101, rules.CERTIFICATE_ISSUER_TOO_LONG),
    ],
)
def test_a_bad_proof_is_refused(
    field: str, value: str, message: str, users: Any, make_application: Any
) -> None:
    application = make_application("approved")
    with pytest.raises(InvalidInput) as exc:
        application_transition(
            application=application,
            actor=users.town_staff,
            action="complete",
            data={**PROOF, field: value},
        )
    assert errors_of(exc) == {field: message}
    assert Application.objects.get(pk=application.pk).certificate_number == ""


def test_the_proof_may_come_as_one_certificate_object(users: Any, make_application: Any) -> None:
    application = make_application("approved")
    application_transition(
        application=application,
        actor=users.town_staff,
        action="complete",
        data={
            "certificate": {
                "type": "training",
                "number": "P-1",
                "date": TODAY.isoformat(),
                "issuer": "某学校",
            }
        },
    )
    stored = Application.objects.get(pk=application.pk)
    assert (stored.state, stored.certificate_type, stored.certificate_number) == (
        "completed",
        "training",
        "P-1",
    )


@pytest.mark.parametrize(
    "amount,message",
    [
        (None, rules.AMOUNT_REIMBURSED_REQUIRED),
        ("0", rules.AMOUNT_REIMBURSED_INVALID),
        ("-1", rules.AMOUNT_REIMBURSED_INVALID),
        ("abc", rules.AMOUNT_REIMBURSED_INVALID),
        ("1.001", rules.AMOUNT_REIMBURSED_INVALID),
        ("1500.01", rules.AMOUNT_REIMBURSED_EXCEEDS.format(basis="申请金额", amount="1500.00")),
    ],
)
def test_reimbursement_amount_rules(
    amount: Any, message: str, users: Any, make_application: Any
) -> None:
    application = make_application("completed")
    with pytest.raises(InvalidInput) as exc:
        application_transition(
            application=application,
            actor=users.city_admin,
            action="reimburse",
            data={"amount_reimbursed": amount},
        )
    assert errors_of(exc) == {"amount_reimbursed": message}
    assert Application.objects.get(pk=application.pk).state == "completed"


def test_reimbursement_is_capped_by_the_approved_amount(users: Any, make_application: Any) -> None:
    application = make_application()
    application_transition(
        application=application,
        actor=users.city_admin,
        action="approve",
        data={"amount_approved": "800"},
    )
    application_transition(
        application=application, actor=users.town_staff, action="complete", data=PROOF
    )
    with pytest.raises(InvalidInput) as exc:
        application_transition(
            application=application,
            actor=users.city_admin,
            action="reimburse",
            data={"amount_reimbursed": "800.01"},
        )
    assert errors_of(exc) == {
        "amount_reimbursed": rules.AMOUNT_REIMBURSED_EXCEEDS.format(
            basis="核定金额", amount="800.00"
        )
    }
    application_transition(
        application=application,
        actor=users.city_admin,
        action="reimburse",
        data={"amount_reimbursed": "800"},
    )
    assert Application.objects.get(pk=application.pk).amount_reimbursed == Decimal("800.00")


def test_an_approved_amount_must_be_a_sum_of_money(users: Any, make_application: Any) -> None:
    application = make_application()
    with pytest.raises(InvalidInput) as exc:
        application_transition(
            application=application,
            actor=users.city_admin,
            action="approve",
            data={"amount_approved": "1e9"},
        )
    assert errors_of(exc) == {"amount_approved": rules.AMOUNT_APPROVED_INVALID}


def test_a_field_of_another_step_is_refused(users: Any, make_application: Any) -> None:
    application = make_application()
    with pytest.raises(InvalidInput) as exc:
        application_transition(
            application=application,
            actor=users.city_admin,
            action="approve",
            data={"amount_reimbursed": "10"},
        )
    assert errors_of(exc) == {"amount_reimbursed": rules.FIELD_NOT_FOR_ACTION.format(action="批准")}
    assert Application.objects.get(pk=application.pk).state == "submitted"


# ---- what the page offers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role,state,offered",
    [
        ("city_admin", "submitted", ["approve", "reject"]),
        ("city_admin", "approved", ["complete"]),
        ("city_admin", "completed", ["reimburse"]),
        ("town_staff", "submitted", []),
        ("town_staff", "approved", ["complete"]),
        ("town_staff", "completed", []),
        ("auditor", "submitted", []),
        ("city_admin", "reimbursed", []),
    ],
)
def test_actions_offered_follow_the_table(
    role: str, state: str, offered: list[str], users: Any, make_application: Any
) -> None:
    application = make_application(state)
    assert application_actions_available(application, users.by_role()[role]) == offered


# ---- selectors -----------------------------------------------------------------------------------


def test_lists_follow_the_scope_and_the_filters(
    users: Any, make_application: Any, trainee_factory: Any
) -> None:
    mine = make_application()
    done = make_application("approved", kind="appraisal")
    # An application of the other town, filed by its own staff.
    other = application_create(
        actor=users.other_town_staff, data=app_data(trainee_factory(town=CIZAO))
    )
    assert set(application_list(user=users.town_staff)) == {mine, done}
    assert set(application_list(user=users.other_town_staff)) == {other}
    assert set(application_list(user=users.auditor)) == {mine, done, other}
    assert list(application_list(user=users.institution_staff)) == []
    city = users.city_admin
    assert list(application_list(user=city, filters=ApplicationFilters(state="approved"))) == [done]
    assert list(application_list(user=city, filters=ApplicationFilters(kind="appraisal"))) == [done]
    assert list(application_list(user=city, filters=ApplicationFilters(town=CIZAO))) == [other]
    assert set(application_list(user=city, filters=ApplicationFilters(year=TODAY.year))) == {
        mine,
        done,
        other,
    }
    assert list(application_list(user=city, filters=ApplicationFilters(year=TODAY.year - 1))) == []
    with pytest.raises(NotFound):
        application_get(user=users.other_town_staff, application_id=mine.pk)
    assert application_get(user=users.town_staff, application_id=mine.pk) == mine
    assert mine.person.town_id == ANHAI


@pytest.mark.parametrize(
    "params,field",
    [
        ({"state": "open"}, "state"),
        ({"kind": "x"}, "kind"),
        ({"town": "anhai"}, "town"),
        ({"year": "26"}, "year"),
    ],
)
def test_bad_filters_are_named(params: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        ApplicationFilters.from_params(params)
    assert field in errors_of(exc)


# ---- concurrency ---------------------------------------------------------------------------------

POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def test_a_step_locks_the_application_row(users: Any, make_application: Any) -> None:
    """The state is read again under a row lock (the concurrency test below needs PostgreSQL)."""
    application = make_application()
    locked_models: list[Any] = []
    original = QuerySet.select_for_update

    def spy(self: QuerySet[Any], *args: Any, **kwargs: Any) -> Any:
        locked_models.append(self.model)
        return original(self, *args, **kwargs)

    with mock.patch.object(QuerySet, "select_for_update", spy):
        application_transition(application=application, actor=users.city_admin, action="approve")
    assert Application in locked_models


@pytest.mark.skipif(not POSTGRES, reason="SQLite serialises all writers; row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_approvals_take_effect_once(users: Any, trainee_factory: Any) -> None:
    application = application_create(actor=users.town_staff, data=app_data(trainee_factory()))

    def approve() -> str:
        application_transition(application=application, actor=users.city_admin, action="approve")
        return "ok"

    outcomes = all_at_once(approve)
    assert sorted(outcomes) == ["conflict"] * 19 + ["ok"], outcomes
    assert Application.objects.get(pk=application.pk).state == "approved"
    assert ApplicationEvent.objects.filter(application=application).count() == 1
    assert AuditEntry.objects.filter(action="application.approve").count() == 1


def test_a_suspended_or_revoked_institution_cannot_be_chosen(
    users: Any, person_in: Any, institution: Any
) -> None:
    from canpei.institutions.models import DesignationState, Institution
    from canpei.training.applications.forms import ApplicationForm

    assert {
        DesignationState.SUSPENDED,
        DesignationState.REVOKED,
    } == rules.INSTITUTION_STATES_REFUSED
    for state in ("suspended", "revoked"):
        Institution.objects.filter(pk=institution.pk).update(state=state)
        with pytest.raises(InvalidInput) as refused:
            application_create(
                actor=users.town_staff, data=app_data(person_in, institution=str(institution.pk))
            )
        assert refused.value.errors == [("institution", rules.APPLICATION_INSTITUTION_NOT_VALID)]
        assert rules.APPLICATION_INSTITUTION_NOT_VALID == "该机构已暂停或撤销定点，不能选择"
        option = f'<option value="{institution.pk}"'
        assert option not in str(ApplicationForm()["institution"])
        # An application that already names it keeps it on its edit page.
        assert option in str(
            ApplicationForm(initial={"institution": institution.pk})["institution"]
        )
    assert not Application.objects.exists()
    Institution.objects.filter(pk=institution.pk).update(state="designated")
    created = application_create(
        actor=users.town_staff, data=app_data(person_in, institution=str(institution.pk))
    )
    assert created.institution_id == institution.pk
