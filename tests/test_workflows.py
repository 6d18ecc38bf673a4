"""The workflow engine itself (canpei.workflows), on a tiny table of its own over the institution
rows: what it refuses and in which order, that a refusal writes nothing, and that a step writes
the state, the event row and the audit entry together. The three real workflows have their own
matrix tests (tests/training, tests/institutions), and each its 20-request race on PostgreSQL,
which is this engine's lock at work; here are the messages they derive."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, models

from canpei.accounts.roles import Role
from canpei.audit.models import AuditEntry
from canpei.audit.services import audit_verify
from canpei.errors import Conflict, Forbidden, InvalidInput
from canpei.institutions import rules as institution_rules
from canpei.institutions.models import DesignationEvent, DesignationState, Institution
from canpei.training import rules as training_rules
from canpei.workflows import TEXT_INVALID, Errors, Hooks, Lifecycle, Step, Transition, Workflow
from tests.conftest import credit_code

S = DesignationState
NOTE_TOO_LONG = "备注不能超过 10 字"
NOT_ON_SUNDAYS = "周日不办理"


# Named after institution actions: every step a lifecycle audits must be an AuditAction member.
class TinyAction(models.TextChoices):
    OPEN = "create", "开办"
    CLOSE = "revoke", "关闭"
    RENEW = "reinstate", "续期"


TINY = Workflow(
    noun="试点",
    actions=TinyAction,
    states=S,
    steps={
        TinyAction.OPEN: Step(frozenset({S.APPLIED}), S.DESIGNATED, frozenset({Role.CITY_ADMIN})),
        TinyAction.CLOSE: Step(
            frozenset({S.DESIGNATED, S.SUSPENDED}),
            S.REVOKED,
            frozenset({Role.CITY_ADMIN, Role.TOWN_STAFF}),
            comment_required=True,
        ),
        TinyAction.RENEW: Step(
            frozenset({S.DESIGNATED, S.DEMONSTRATION}),
            S.DESIGNATED,
            frozenset({Role.CITY_ADMIN}),
            keep=frozenset({S.DEMONSTRATION}),
        ),
    },
)

locks_taken: list[bool] = []


def lock(actor: Any, pk: int) -> Institution:
    # Records whether the lock is taken inside the step's transaction.
    locks_taken.append(connection.in_atomic_block)
    return Institution.objects.select_for_update().get(pk=pk)


def note(t: Transition[Institution], errors: Errors) -> dict[str, Any]:
    text = str(t.data.get("address", ""))
    if len(text) > 10:
        errors.append(("address", NOTE_TOO_LONG))
        return {}
    return {"address": text} if text else {}


refusals: Errors = []
effects_seen: list[str] = []


def check(t: Transition[Institution]) -> Errors:
    return list(refusals)


def effect(t: Transition[Institution]) -> dict[str, Any]:
    # Runs once the state is saved: the row in the database already has the new state.
    effects_seen.append(Institution.objects.get(pk=t.obj.pk).state)
    return {"effect": "done"}


TINY_LIFECYCLE: Lifecycle[Institution] = Lifecycle(
    workflow=TINY,
    audit_name="institution",
    lock=lock,
    event_model=DesignationEvent,
    event_parent="institution",
    describe=lambda row: f"试点 #{row.pk}",
    hooks={
        TinyAction.OPEN: Hooks(prepare=note, checks=(check,), effects=(effect,)),
        TinyAction.CLOSE: Hooks(checks=(check,)),
    },
    snapshot=lambda row: {"address": row.address, "state": row.state},
    event_fields=lambda row: {"designated_to": row.designated_to},
)


@pytest.fixture(autouse=True)
def _fresh_hooks() -> Any:
    # Cleared after each test as well: other modules (test_workflow_engine_edges) apply
    # TINY_LIFECYCLE too, and a refusal left behind would refuse their steps.
    for seen in (refusals, effects_seen, locks_taken):
        seen.clear()
    yield
    for seen in (refusals, effects_seen, locks_taken):
        seen.clear()


def make_row(state: str = "applied", name: str = "试点学校") -> Institution:
    return Institution.objects.create(
        name=name,
        credit_code=credit_code("91350582MA2Y00001"),
        type="private",
        town_id="350582101000",
        state=state,
    )


def written(row: Institution) -> tuple[str, int, int]:
    """The row's stored state, its event rows and its audit entries."""
    return (
        Institution.objects.get(pk=row.pk).state,
        DesignationEvent.objects.filter(institution=row).count(),
        AuditEntry.objects.filter(
            object_type="institutions.institution", object_id=str(row.pk)
        ).count(),
    )


# ---- the table ------------------------------------------------------------------------------------


def test_the_table_must_give_every_action_exactly_one_step_in_order() -> None:
    with pytest.raises(ValueError):
        Workflow(
            noun="试点",
            actions=TinyAction,
            states=S,
            steps={TinyAction.OPEN: TINY.steps[TinyAction.OPEN]},
        )
    with pytest.raises(ValueError):
        Workflow(
            noun="试点",
            actions=TinyAction,
            states=S,
            steps=dict(reversed(list(TINY.steps.items()))),
        )


def test_a_step_naming_a_state_the_workflow_lacks_is_refused() -> None:
    steps = dict(TINY.steps)
    steps[TinyAction.OPEN] = Step(frozenset({"nowhere"}), S.DESIGNATED, frozenset())
    with pytest.raises(ValueError):
        Workflow(noun="试点", actions=TinyAction, states=S, steps=steps)


def test_hooks_for_an_action_not_in_the_table_are_refused() -> None:
    with pytest.raises(ValueError):
        Lifecycle(
            workflow=TINY,
            audit_name="institution",
            lock=lock,
            event_model=DesignationEvent,
            event_parent="institution",
            describe=str,
            hooks={"fly": Hooks()},
        )


def test_a_step_without_its_audit_action_is_refused_when_the_lifecycle_is_built() -> None:
    # "tiny.create" is no AuditAction member: the audit officer could not filter by it.
    with pytest.raises(ValueError, match="tiny: steps without an AuditAction member"):
        Lifecycle(
            workflow=TINY,
            audit_name="tiny",
            lock=lock,
            event_model=DesignationEvent,
            event_parent="institution",
            describe=str,
        )


def test_buttons_targets_and_messages_derive_from_the_table() -> None:
    assert TINY.action_values == ("create", "revoke", "reinstate")
    assert TINY.actions_from(S.DESIGNATED) == ["revoke", "reinstate"]
    assert TINY.actions_for(Role.TOWN_STAFF, S.DESIGNATED) == ["revoke"]
    assert TINY.actions_for(Role.INSTITUTION_STAFF, S.DESIGNATED) == []
    assert TINY.target(S.DEMONSTRATION, "reinstate") == S.DEMONSTRATION  # kept
    assert TINY.target(S.DESIGNATED, "reinstate") == S.DESIGNATED
    assert TINY.target(S.REVOKED, "reinstate") is None
    assert TINY.target(S.APPLIED, "fly") is None
    assert TINY.action_invalid == "操作须为 create、revoke 或 reinstate"
    assert TINY.state_refusal(S.REVOKED, "create") == "试点当前状态为「撤销」，不能执行「开办」"
    assert TINY.role_refusal("revoke") == "「关闭」须由市残联或镇街专干执行"


def test_the_real_workflows_derive_the_same_messages_as_before() -> None:
    # The texts users saw when each was written by hand; deriving them must not change a word.
    assert training_rules.ACTION_INVALID == (
        "操作须为 submit、approve、return、start、complete、pass_audit、fail_audit、settle 或 cancel"
    )
    assert (
        training_rules.APPLICATION_ACTION_INVALID
        == "操作须为 approve、reject、complete 或 reimburse"
    )
    assert (
        institution_rules.ACTION_INVALID
        == "操作须为 designate、promote、suspend、reinstate 或 revoke"
    )
    assert (
        training_rules.transition_refusal("draft", "approve")
        == "班级当前状态为「草稿」，不能执行「批准开班」"
    )
    assert (
        training_rules.application_transition_refusal("reimbursed", "approve")
        == "申请当前状态为「已报销」，不能执行「批准」"
    )
    assert (
        institution_rules.transition_refusal("revoked", "reinstate")
        == "机构当前状态为「撤销」，不能执行「恢复」"
    )
    assert training_rules.role_refusal("approve") == "「批准开班」须由市残联执行"
    assert training_rules.role_refusal("cancel") == "「取消」须由市残联或培训机构执行"
    assert (
        training_rules.application_role_refusal("complete")
        == "「登记完成」须由市残联或镇街专干执行"
    )
    assert institution_rules.DESIGNATION_WORKFLOW.comment_errors("suspend", "") == [
        ("comment", "暂停或撤销须填写原因")
    ]
    assert training_rules.CLASS_WORKFLOW.comment_errors("return", "") == [
        ("comment", "「退回」须填写原因")
    ]


# ---- applying a step ------------------------------------------------------------------------------


def test_a_step_writes_state_fields_event_and_audit_together(users: Any) -> None:
    row = make_row()
    done = TINY_LIFECYCLE.apply(
        obj=row,
        actor=users.city_admin,
        action=" create ",
        comment=" 首批 ",
        data={"address": "安海镇"},
    )
    assert done.state == "designated"
    stored = Institution.objects.get(pk=row.pk)
    assert (stored.state, stored.address) == ("designated", "安海镇")
    event = DesignationEvent.objects.get(institution=row)
    assert (event.action, event.from_state, event.to_state, event.actor, event.comment) == (
        "create",
        "applied",
        "designated",
        users.city_admin,
        "首批",
    )
    # The label is the event model's own workflow's; an action it does not know shows as is.
    assert event.action_label == "create"
    assert DesignationEvent(action="designate").action_label == "定点认定"
    entry = AuditEntry.objects.get(action="institution.create")
    assert entry.summary == f"试点 #{row.pk} 开办"
    assert entry.changes == {
        "from": "applied",
        "to": "designated",
        "event": event.pk,
        "comment": "首批",
        "designated_to": None,
        "effect": "done",
        "diff": {"address": ["", "安海镇"], "state": ["applied", "designated"]},
    }
    assert effects_seen == ["designated"]
    assert locks_taken == [True]
    assert audit_verify().ok


def test_an_unknown_action_is_refused_before_anything_is_read(users: Any) -> None:
    row = make_row()
    with pytest.raises(InvalidInput) as refused:
        TINY_LIFECYCLE.apply(obj=row, actor=users.city_admin, action="fly")
    assert refused.value.errors == [("action", "操作须为 create、revoke 或 reinstate")]
    assert locks_taken == []
    assert written(row) == ("applied", 0, 0)


def test_a_role_the_step_does_not_name_is_refused(users: Any) -> None:
    row = make_row()
    with pytest.raises(Forbidden) as refused:
        TINY_LIFECYCLE.apply(obj=row, actor=users.town_staff, action="create")
    assert refused.value.message == "「开办」须由市残联执行"
    assert written(row) == ("applied", 0, 0)


def test_the_state_is_read_again_under_the_lock(users: Any) -> None:
    row = make_row()
    stale = Institution.objects.get(pk=row.pk)
    Institution.objects.filter(pk=row.pk).update(state="revoked")
    # The copy in hand still says `applied`; the stored row decides.
    with pytest.raises(Conflict) as refused:
        TINY_LIFECYCLE.apply(obj=stale, actor=users.city_admin, action="create")
    assert refused.value.message == "试点当前状态为「撤销」，不能执行「开办」"
    assert refused.value.errors == [("action", refused.value.message)]
    assert locks_taken == [True]
    assert written(row) == ("revoked", 0, 0)


COMMENT_TOO_LONG = "说明不能超过 500 字"


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("", "「关闭」须填写原因"),
        ("   ", "「关闭」须填写原因"),
        ("x" * 501, COMMENT_TOO_LONG),
        ("原因\x00", TEXT_INVALID),
    ],
)
def test_the_comment_rules(users: Any, comment: str, message: str) -> None:
    row = make_row("designated")
    with pytest.raises(InvalidInput) as refused:
        TINY_LIFECYCLE.apply(obj=row, actor=users.city_admin, action="revoke", comment=comment)
    assert refused.value.errors == [("comment", message)]
    assert written(row) == ("designated", 0, 0)


def test_a_comment_of_500_characters_is_taken(users: Any) -> None:
    row = make_row("designated")
    TINY_LIFECYCLE.apply(obj=row, actor=users.city_admin, action="revoke", comment="x" * 500)
    assert written(row) == ("revoked", 1, 1)


def test_the_state_refusal_comes_before_the_input_refusals(users: Any) -> None:
    row = make_row("revoked")
    with pytest.raises(Conflict):
        TINY_LIFECYCLE.apply(obj=row, actor=users.city_admin, action="revoke", comment="")


def test_the_step_input_and_the_comment_are_refused_together(users: Any) -> None:
    row = make_row()
    with pytest.raises(InvalidInput) as refused:
        TINY_LIFECYCLE.apply(
            obj=row,
            actor=users.city_admin,
            action="create",
            comment="x" * 501,
            data={"address": "很长很长很长很长的地址"},
        )
    assert refused.value.errors == [("comment", COMMENT_TOO_LONG), ("address", NOTE_TOO_LONG)]
    assert written(row) == ("applied", 0, 0)


def test_a_check_refusing_changes_nothing(users: Any) -> None:
    row = make_row()
    refusals.extend([("action", NOT_ON_SUNDAYS), ("address", "另一条")])
    with pytest.raises(Conflict) as refused:
        TINY_LIFECYCLE.apply(
            obj=row, actor=users.city_admin, action="create", data={"address": "安海镇"}
        )
    assert refused.value.message == NOT_ON_SUNDAYS
    assert refused.value.errors == [("action", NOT_ON_SUNDAYS), ("address", "另一条")]
    assert effects_seen == []
    assert written(row) == ("applied", 0, 0)
    assert Institution.objects.get(pk=row.pk).address == ""


def test_an_effect_refusing_rolls_the_whole_step_back(users: Any) -> None:
    row = make_row()

    def refuse(t: Transition[Institution]) -> None:
        raise Conflict("资金不足")

    lifecycle = Lifecycle(
        workflow=TINY,
        audit_name="institution",
        lock=lock,
        event_model=DesignationEvent,
        event_parent="institution",
        describe=str,
        hooks={TinyAction.OPEN: Hooks(effects=(refuse,))},
    )
    with pytest.raises(Conflict):
        lifecycle.apply(obj=row, actor=users.city_admin, action="create")
    assert written(row) == ("applied", 0, 0)


def test_a_kept_state_is_recorded_as_it_is(users: Any) -> None:
    row = make_row("demonstration")
    TINY_LIFECYCLE.apply(obj=row, actor=users.city_admin, action="reinstate")
    assert written(row) == ("demonstration", 1, 1)
    assert list(
        DesignationEvent.objects.filter(institution=row).values_list("from_state", "to_state")
    ) == [("demonstration", "demonstration")]
