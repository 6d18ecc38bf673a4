"""The lifecycle tables tested as data (issue 18): every state × action × role cell of the three
workflows, and the code tables the rules read (which class states bind a person, allow
withdrawal, take certificates, ...).

mutmut does not mutate module-level tables, so these are the tests that notice a deleted or
changed entry. The expectations are written out here, from PRODUCT.md, and each cell goes
through the real engine (`Lifecycle.apply` of the real lifecycle, with a stand-in record that
stops at the save): allowed and where it leads, or refused with the literal Chinese message a
user reads (role 403, state 409, missing reason 422).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from canpei.accounts.models import User
from canpei.accounts.roles import Role
from canpei.errors import Conflict, Forbidden, InvalidInput
from canpei.institutions import rules as institution_rules
from canpei.institutions.services import DESIGNATION_LIFECYCLE
from canpei.training import rules as training_rules
from canpei.training.applications.services.applications import APPLICATION_LIFECYCLE
from canpei.training.classes.services.transitions import CLASS_LIFECYCLE
from canpei.workflows import Lifecycle

ROLES = [role.value for role in Role]


class Reached(Exception):
    """Raised by the stand-in record when the engine saves it: the step was allowed."""

    def __init__(self, state: str) -> None:
        self.state = state


class Record:
    pk = 1

    def __init__(self, state: str) -> None:
        self.state = state

    def save(self, **kwargs: Any) -> None:
        raise Reached(self.state)


def run(lifecycle: Lifecycle[Any], state: str, action: str, role: str, comment: str) -> Any:
    """One cell through the engine: ("ok", target), or (status, message) of the refusal."""
    engine = dataclasses.replace(
        lifecycle, lock=lambda actor, pk: Record(state), hooks={}, snapshot=None, event_fields=None
    )
    try:
        engine.apply(obj=Record(state), actor=User(role=role), action=action, comment=comment)
    except Reached as reached:
        return ("ok", reached.state)
    except Forbidden as refused:
        return (403, refused.message)
    except Conflict as refused:
        assert refused.errors == [("action", refused.message)]
        return (409, refused.message)
    except InvalidInput as refused:
        assert len(refused.errors) == 1 and refused.errors[0][0] == "comment"
        return (422, refused.errors[0][1])
    raise AssertionError("the engine neither refused nor saved")


@dataclasses.dataclass(frozen=True)
class Spec:
    """One workflow written out: state labels, action labels, and per action its sources,
    target, roles (as the refusal names them), reason required, confirm asked."""

    noun: str
    states: dict[str, str]
    actions: dict[str, str]
    steps: dict[str, tuple[set[str], str, set[str], bool, bool]]
    role_message: dict[str, str]
    reason_message: dict[str, str]
    keep: dict[str, set[str]] = dataclasses.field(default_factory=dict)


INST, TOWN, CITY = "institution_staff", "town_staff", "city_admin"

CLASS = Spec(
    noun="班级",
    states={
        "draft": "草稿",
        "submitted": "已申请",
        "returned": "已退回",
        "approved": "已批准",
        "running": "开班中",
        "completed": "已结业申报",
        "audit_failed": "审核未通过",
        "audited": "结业审核通过",
        "settled": "已结算",
        "cancelled": "已取消",
    },
    actions={
        "submit": "提交开班申请",
        "approve": "批准开班",
        "return": "退回",
        "start": "开班",
        "complete": "结业申报",
        "pass_audit": "结业审核通过",
        "fail_audit": "结业审核不通过",
        "settle": "结算",
        "cancel": "取消",
    },
    steps={
        "submit": ({"draft", "returned"}, "submitted", {INST}, False, False),
        "approve": ({"submitted"}, "approved", {CITY}, False, False),
        "return": ({"submitted"}, "returned", {CITY}, True, True),
        "start": ({"approved"}, "running", {INST}, False, False),
        "complete": ({"running", "audit_failed"}, "completed", {INST}, False, False),
        "pass_audit": ({"completed"}, "audited", {CITY}, False, False),
        "fail_audit": ({"completed"}, "audit_failed", {CITY}, True, True),
        "settle": ({"audited"}, "settled", {CITY}, False, False),
        "cancel": (
            {"draft", "submitted", "returned", "approved"},
            "cancelled",
            {INST, CITY},
            True,
            True,
        ),
    },
    role_message={
        "submit": "「提交开班申请」须由培训机构执行",
        "approve": "「批准开班」须由市残联执行",
        "return": "「退回」须由市残联执行",
        "start": "「开班」须由培训机构执行",
        "complete": "「结业申报」须由培训机构执行",
        "pass_audit": "「结业审核通过」须由市残联执行",
        "fail_audit": "「结业审核不通过」须由市残联执行",
        "settle": "「结算」须由市残联执行",
        "cancel": "「取消」须由市残联或培训机构执行",
    },
    reason_message={
        "return": "「退回」须填写原因",
        "fail_audit": "「结业审核不通过」须填写原因",
        "cancel": "「取消」须填写原因",
    },
)

APPLICATION = Spec(
    noun="申请",
    states={
        "submitted": "已提交",
        "approved": "已批准",
        "rejected": "未批准",
        "completed": "已完成",
        "reimbursed": "已报销",
    },
    actions={"approve": "批准", "reject": "不予批准", "complete": "登记完成", "reimburse": "报销"},
    steps={
        "approve": ({"submitted"}, "approved", {CITY}, False, False),
        "reject": ({"submitted"}, "rejected", {CITY}, True, True),
        "complete": ({"approved"}, "completed", {TOWN, CITY}, False, False),
        "reimburse": ({"completed"}, "reimbursed", {CITY}, False, False),
    },
    role_message={
        "approve": "「批准」须由市残联执行",
        "reject": "「不予批准」须由市残联执行",
        "complete": "「登记完成」须由市残联或镇街专干执行",
        "reimburse": "「报销」须由市残联执行",
    },
    reason_message={"reject": "「不予批准」须填写原因"},
)

NOT_FINAL = {"applied", "designated", "demonstration", "suspended"}
DESIGNATION = Spec(
    noun="机构",
    states={
        "applied": "申请中",
        "designated": "定点",
        "demonstration": "示范点",
        "suspended": "暂停",
        "revoked": "撤销",
    },
    actions={
        "designate": "定点认定",
        "promote": "评为示范点",
        "suspend": "暂停",
        "reinstate": "恢复",
        "revoke": "撤销",
    },
    steps={
        "designate": (NOT_FINAL, "designated", {CITY}, False, False),
        "promote": ({"designated"}, "demonstration", {CITY}, False, False),
        "suspend": ({"designated", "demonstration"}, "suspended", {CITY}, True, True),
        "reinstate": ({"suspended"}, "designated", {CITY}, False, False),
        "revoke": (NOT_FINAL, "revoked", {CITY}, True, True),
    },
    role_message={
        "designate": "「定点认定」须由市残联执行",
        "promote": "「评为示范点」须由市残联执行",
        "suspend": "「暂停」须由市残联执行",
        "reinstate": "「恢复」须由市残联执行",
        "revoke": "「撤销」须由市残联执行",
    },
    # The designation workflow has its own message for both steps that need a reason.
    reason_message={"suspend": "暂停或撤销须填写原因", "revoke": "暂停或撤销须填写原因"},
    # A demonstration site renewed stays a demonstration site.
    keep={"designate": {"demonstration"}},
)

WORKFLOWS: dict[str, tuple[Spec, Lifecycle[Any]]] = {
    "class": (CLASS, CLASS_LIFECYCLE),
    "application": (APPLICATION, APPLICATION_LIFECYCLE),
    "designation": (DESIGNATION, DESIGNATION_LIFECYCLE),
}
CELLS = [(name, state) for name, (spec, _) in WORKFLOWS.items() for state in spec.states]


def expected(spec: Spec, state: str, action: str, role: str, comment: str) -> Any:
    sources, target, roles, reason, _ = spec.steps[action]
    if role not in roles:
        return (403, spec.role_message[action])
    if state not in sources:
        return (
            409,
            f"{spec.noun}当前状态为「{spec.states[state]}」，不能执行「{spec.actions[action]}」",
        )
    if reason and not comment:
        return (422, spec.reason_message[action])
    return ("ok", state if state in spec.keep.get(action, set()) else target)


@pytest.mark.django_db
@pytest.mark.parametrize("name,state", CELLS)
def test_every_action_and_role_from_each_state(name, state):
    spec, lifecycle = WORKFLOWS[name]
    for comment in ("原因", ""):
        found = {
            (action, role): run(lifecycle, state, action, role, comment)
            for action in spec.actions
            for role in ROLES
        }
        assert found == {
            (action, role): expected(spec, state, action, role, comment)
            for action in spec.actions
            for role in ROLES
        }


@pytest.mark.parametrize("name,state", CELLS)
def test_the_buttons_offered_in_each_state_are_the_allowed_cells(name, state):
    spec, lifecycle = WORKFLOWS[name]
    for role in ROLES:
        assert lifecycle.workflow.actions_for(role, state) == [
            action
            for action, (sources, _, roles, _, _) in spec.steps.items()
            if state in sources and role in roles
        ]
    assert lifecycle.workflow.actions_from(state) == [
        action for action, (sources, *_) in spec.steps.items() if state in sources
    ]


@pytest.mark.parametrize("name", WORKFLOWS)
def test_the_labels_the_confirmations_and_the_unknown_action(name):
    spec, lifecycle = WORKFLOWS[name]
    workflow = lifecycle.workflow
    assert dict(workflow.states.choices) == spec.states
    assert dict(workflow.actions.choices) == spec.actions
    assert {action: step.confirm for action, step in workflow.steps.items()} == {
        action: confirm for action, (*_, confirm) in spec.steps.items()
    }
    names = list(spec.actions)
    listed = "、".join(names[:-1]) + " 或 " + names[-1]
    with pytest.raises(InvalidInput) as refused:
        lifecycle.apply(obj=Record("x"), actor=User(role=CITY), action="fly")
    assert refused.value.errors == [("action", f"操作须为 {listed}")]


def test_the_derived_messages_read_as_written():
    assert training_rules.ACTION_INVALID == (
        "操作须为 submit、approve、return、start、complete、pass_audit、fail_audit、settle 或 cancel"
    )
    assert (
        training_rules.APPLICATION_ACTION_INVALID
        == "操作须为 approve、reject、complete 或 reimburse"
    )
    assert institution_rules.ACTION_INVALID == (
        "操作须为 designate、promote、suspend、reinstate 或 revoke"
    )
    assert training_rules.transition_refusal("settled", "cancel") == (
        "班级当前状态为「已结算」，不能执行「取消」"
    )
    assert training_rules.role_refusal("cancel") == "「取消」须由市残联或培训机构执行"
    assert (
        training_rules.application_role_refusal("complete")
        == "「登记完成」须由市残联或镇街专干执行"
    )
    assert training_rules.application_transition_refusal("reimbursed", "approve") == (
        "申请当前状态为「已报销」，不能执行「批准」"
    )
    assert institution_rules.transition_refusal("revoked", "reinstate") == (
        "机构当前状态为「撤销」，不能执行「恢复」"
    )
    assert {"suspend", "revoke"} == institution_rules.COMMENT_REQUIRED_FOR


# ---- the code tables the class rules read ---------------------------------------------------------

C = CLASS.states
CODE_TABLES: dict[str, tuple[frozenset[str], set[str]]] = {
    # What the institution may still edit, and when the roster is open.
    "EDITABLE_STATES": (training_rules.EDITABLE_STATES, {"draft", "returned"}),
    "ROSTER_OPEN_STATES": (training_rules.ROSTER_OPEN_STATES, {"draft", "returned"}),
    # Withdrawal: any time before completion is declared, and again after a failed audit.
    "WITHDRAW_STATES": (
        training_rules.WITHDRAW_STATES,
        {"draft", "returned", "submitted", "approved", "running", "audit_failed"},
    ),
    "ATTENDANCE_STATES": (training_rules.ATTENDANCE_STATES, {"running", "audit_failed"}),
    # Certificates: from the completion declared on, settled classes included.
    "CERTIFICATE_STATES": (
        training_rules.CERTIFICATE_STATES,
        {"completed", "audit_failed", "audited", "settled"},
    ),
    # A roster binds its trainees' time from the submission on (the overlap rule).
    "BINDING_STATES": (
        training_rules.BINDING_STATES,
        {"submitted", "approved", "running", "completed", "audit_failed", "audited", "settled"},
    ),
}


@pytest.mark.parametrize("table", CODE_TABLES)
def test_each_class_state_is_in_or_out_of_each_code_table(table):
    found, members = CODE_TABLES[table]
    assert {state: state in found for state in C} == {state: state in members for state in C}


def test_the_step_indicator_and_the_other_code_tables():
    assert training_rules.CLASS_MAIN_PATH == (
        "draft",
        "submitted",
        "approved",
        "running",
        "completed",
        "audited",
        "settled",
    )
    assert training_rules.CLASS_DETOURS == {"returned": "submitted", "audit_failed": "completed"}
    assert {s: s in institution_rules.ACTIVE_STATES for s in DESIGNATION.states} == {
        "applied": False,
        "designated": True,
        "demonstration": True,
        "suspended": False,
        "revoked": False,
    }
    assert {s: s in institution_rules.NOT_FINAL for s in DESIGNATION.states} == {
        s: s in NOT_FINAL for s in DESIGNATION.states
    }
    assert {"suspended", "revoked"} == training_rules.INSTITUTION_STATES_REFUSED
