"""Rules of training classes and individual applications: the lifecycles as tables, the checks a
submission, start, completion and audit make, and their messages (tests assert against these)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from canpei.accounts.models import User
from canpei.accounts.roles import Role
from canpei.errors import Message as _
from canpei.training.models import (
    ApplicationAction, ApplicationState, ClassAction, ClassCycle, ClassState, TrainingMode,
)
from canpei.workflows import Step, Workflow
# The shared messages, re-exported: the tests assert rules.X.
from canpei.workflows import COMMENT_REQUIRED, ROLE_NOT_ALLOWED  # noqa: F401
from canpei.validation import (  # noqa: F401
    BOOLEAN_INVALID, DATE_INVALID, DATE_REQUIRED, TEXT_INVALID, UNKNOWN_FIELD,
)

# ---- messages ---------------------------------------------------------------------------------

NAME_REQUIRED = _("请填写班级名称")
NAME_TOO_LONG = _("班级名称不能超过 100 字")
INSTITUTION_REQUIRED = _("请选择培训机构")
INSTITUTION_INVALID = _("培训机构不存在")
INSTITUTION_FIXED = _("培训机构只能由本机构开班")
TYPE_INVALID = _("培训类型须为 employment_skills、skill_upgrade、entrepreneurship 或 rural_practical")
MODE_INVALID = _("培训方式须为 centralized、self_directed 或 remote")
LEVEL_INVALID = _("培训等级须为 special、junior、intermediate、senior 或 technician")
OCCUPATION_REQUIRED = _("请填写职业（工种）/技能")
OCCUPATION_TOO_LONG = _("职业（工种）/技能不能超过 50 字")
INDUSTRY_TOO_LONG = _("所属行业不能超过 50 字")
SKILL_INVALID = _("技能不在技能目录中")
FILING_TOO_LONG = _("开班备案号不能超过 50 个字符")
FILING_WITHOUT_APPRAISAL = _("不参加技能鉴定的班级不填开班备案号")
DATES_ORDER = _("结业日期不能早于开班日期")
DATES_TOO_LONG = _("培训时间不能超过 3 年")
HOURS_INVALID = _("培训课时须为 1 至 5000 的整数")
CAPACITY_INVALID = _("计划人数须为 1 至 1000 的整数")
VENUE_TOO_LONG = _("培训地点不能超过 200 字")
SUBSIDY_INVALID = _("补贴标准须为 0 至 100000 元，最多两位小数")
TEACHERS_INVALID = _("授课教师须为本机构在岗教师")
STATE_FIELD = _("状态只能通过开班流程（submit、approve 等）变更")
NOT_EDITABLE_STATE = _("班级当前状态为「{state}」，不能修改；只有草稿或已退回的班级可以修改")

# Rules a submission, approval, start, completion and audit check (PRODUCT.md, "Training class").
DESIGNATION_NOT_VALID = _("培训机构「{institution}」在 {start} 至 {end} 期间不是有效的定点机构")
CAPACITY_EXCEEDED = _("学员 {count} 人，超过计划人数 {capacity} 人")
ROSTER_EMPTY = _("花名册没有学员，不能提交开班申请")
TRAINEE_NOT_ACTIVE = _("学员 {person} 的状态为「{status}」，不能参加培训")
TRAINEE_NO_CERTIFICATE = _("学员 {person} 没有有效的残疾人证")
TRAINEE_NOT_WORKING_AGE = _("学员 {person} 在开班日期 {date} 不在就业年龄段")
OVERLAPPING_CLASS = _("{person} 已在 {other} 培训，时间重叠")
ATTENDANCE_TOO_LOW = _("学员 {person} 出勤 {attended} 学时，不足课时 {hours} 的 {percent}%，不能结业")
FILING_NUMBER_REQUIRED = _("参加技能鉴定的班级须在开班前填写开班备案号")
# What an institution is told instead of a person's status (迁出, 死亡, no valid certificate) or
# another institution's class the person is in (issue 8): the town staff, who keep the person's
# record, and the city see the reason.
NOT_ENROLLABLE = _("该人员目前不能报名本班，请联系镇街专干")
TRAINEE_NOT_ELIGIBLE = _("学员 {person} 目前不能报名本班，请联系镇街专干")
NOT_STARTED_YET = _("开班日期 {date} 未到，不能开班")
# Lifecycle integrity (issue 12): each names its rule in the refusal's field.
LATE_FILING_REASON_REQUIRED = _("开班日期 {date} 已过，「{action}」须在说明中填写补报原因")
COMPLETION_BEFORE_END = _("结业日期 {date} 未到，不能结业申报")
COMPLETION_HOURS_SHORT = _("考勤登记课时 {registered}，不足计划课时 {hours}{tolerance}，不能结业申报")
HOURS_TOLERANCE_NOTE = _("的 {percent}%")
AUDIT_RECTIFICATION_OPEN = _("{date} 过程检查要求的整改尚未完成，不能通过审核")
AUDIT_RESULT_MISSING = _("学员 {person} 已结业但未登记培训成绩，不能通过审核")

# Roster, attendance, inspections.
ALREADY_ENROLLED = _("学员 {person} 已在本班花名册中")
ROSTER_CLOSED = _("班级当前状态为「{state}」，不能调整花名册")
PERSON_REQUIRED = _("请提供学员")
PERSON_NOT_FOUND = _("未找到该学员")
WITHDRAW_NOT_ALLOWED = _("学员当前状态为「{status}」，不能退学")
WITHDRAW_REASON_REQUIRED = _("退学须填写原因")
ATTENDANCE_CLOSED = _("班级当前状态为「{state}」，不能登记考勤")
ATTENDANCE_FROM_REGISTER = _("本班已有考勤登记，出勤学时由考勤汇总，不能直接修改")
ATTENDANCE_EXCEEDS_SESSION = _("出勤学时不能超过本次课时 {hours}")
ATTENDANCE_EXCEEDS_CLASS = _("出勤学时不能超过班级课时 {hours}")
HOURS_VALUE_INVALID = _("学时须为不小于 0 的数，最多一位小数")
SESSION_HOURS_INVALID = _("本次课时须为 0.5 至 24")
SESSION_DATE_OUTSIDE = _("考勤日期须在开班日期 {start} 至结业日期 {end} 之间")
SESSION_DATE_FUTURE = _("考勤日期 {date} 晚于今天，不能登记未来的考勤")
SESSION_DUPLICATE = _("{date} 已有同一内容的考勤登记")
TOPIC_TOO_LONG = _("内容不能超过 100 字")
RESULT_TOO_LONG = _("培训成绩不能超过 50 字")
RESULT_CLOSED = _("班级当前状态为「{state}」，不能登记成绩")
STATUS_INVALID = _("学员状态须为 enrolled、withdrawn、completed 或 failed")
APPRAISAL_RESULT_INVALID = _("鉴定结果须为 passed、failed 或 absent")
CERTIFICATE_TYPE_INVALID = _("证书类型须为 vocational_qualification、skill_level、special_ability 或 training")
CERTIFICATE_LEVEL_INVALID = _("证书等级须为 special、junior、intermediate、senior 或 technician")
CERTIFICATE_NUMBER_REQUIRED = _("请填写证书编号")
CERTIFICATE_NUMBER_TOO_LONG = _("证书编号不能超过 50 个字符")
CERTIFICATE_ISSUER_TOO_LONG = _("发证机构不能超过 100 字")
CERTIFICATE_FIELDS_INCOMPLETE = _("证书须填写类型、编号、发证日期和发证机构")
CERTIFICATE_CLOSED = _("班级结业申报后才能登记证书")
CERTIFICATE_NOT_COMPLETED = _("学员 {person} 未结业，不能登记证书")
CERTIFICATE_DATE_EARLY = _("发证日期不能早于开班日期 {date}")
CERTIFICATE_DATE_FUTURE = _("发证日期不能晚于今天")
INSPECTION_CLOSED = _("只能检查开班中的班级")
INSPECTION_DATE_OUTSIDE = _("检查日期须在开班日期 {start} 至今天之间")
PRESENT_INVALID = _("实到人数须为 0 至在册人数 {count} 的整数")
INSPECTOR_REQUIRED = _("请填写检查人")
FINDINGS_TOO_LONG = _("检查情况不能超过 2000 字")
RECTIFIED_WITHOUT_REQUIREMENT = _("未要求整改的检查不能登记整改完成")
RECTIFICATION_DATE_EARLY = _("整改完成日期不能早于检查日期")


S = ClassState
A = ClassAction
INSTITUTION = frozenset({Role.INSTITUTION_STAFF})
CITY = frozenset({Role.CITY_ADMIN})

# The class lifecycle (PRODUCT.md), the one place that says which step leads where and who takes
# it. The institution runs its class; the city approves, audits and pays. A class the city
# returned goes back to the institution to correct and submit again; so does one whose audit
# failed (complete again). Anything before running may be cancelled, by either side.
CLASS_WORKFLOW = Workflow(noun=_("班级"), actions=ClassAction, states=ClassState, steps={
    A.SUBMIT: Step(frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED, INSTITUTION),
    A.APPROVE: Step(frozenset({S.SUBMITTED}), S.APPROVED, CITY),
    A.RETURN: Step(frozenset({S.SUBMITTED}), S.RETURNED, CITY, comment_required=True, confirm=True),
    A.START: Step(frozenset({S.APPROVED}), S.RUNNING, INSTITUTION),
    A.COMPLETE: Step(frozenset({S.RUNNING, S.AUDIT_FAILED}), S.COMPLETED, INSTITUTION),
    A.PASS_AUDIT: Step(frozenset({S.COMPLETED}), S.AUDITED, CITY),
    A.FAIL_AUDIT: Step(frozenset({S.COMPLETED}), S.AUDIT_FAILED, CITY, comment_required=True,
                       confirm=True),
    A.SETTLE: Step(frozenset({S.AUDITED}), S.SETTLED, CITY),
    A.CANCEL: Step(frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED}), S.CANCELLED,
                   INSTITUTION | CITY, comment_required=True, confirm=True),
})
CLASS_TRANSITIONS = CLASS_WORKFLOW.steps
# The way a class normally goes, for the page's step indicator: a returned class stands at its
# application, one whose audit failed at its completion; a cancelled one is off the path.
CLASS_MAIN_PATH = (S.DRAFT, S.SUBMITTED, S.APPROVED, S.RUNNING, S.COMPLETED, S.AUDITED, S.SETTLED)
CLASS_DETOURS: dict[str, str] = {S.RETURNED: S.SUBMITTED, S.AUDIT_FAILED: S.COMPLETED}
# Derived from the table: "操作须为 submit、approve、… 或 cancel", 「班级当前状态为…」.
ACTION_INVALID = CLASS_WORKFLOW.action_invalid
TRANSITION_NOT_ALLOWED = CLASS_WORKFLOW.transition_not_allowed

# What the institution may still edit, and when the roster is open.
EDITABLE_STATES = frozenset({S.DRAFT, S.RETURNED})
ROSTER_OPEN_STATES = frozenset({S.DRAFT, S.RETURNED})
# Withdrawal happens once the roster is approved, while the class has not been declared complete.
WITHDRAW_STATES = frozenset({S.DRAFT, S.RETURNED, S.SUBMITTED, S.APPROVED, S.RUNNING,
                             S.AUDIT_FAILED})
# Register and results are kept while the class runs, and corrected after a failed audit.
ATTENDANCE_STATES = frozenset({S.RUNNING, S.AUDIT_FAILED})
CERTIFICATE_STATES = frozenset({S.COMPLETED, S.AUDIT_FAILED, S.AUDITED, S.SETTLED})
# Classes whose roster binds a person's time: the overlap rule looks at these.
BINDING_STATES = frozenset({S.SUBMITTED, S.APPROVED, S.RUNNING, S.COMPLETED, S.AUDIT_FAILED,
                            S.AUDITED, S.SETTLED})

def class_cycle(start: dt.date, end: dt.date) -> str:
    """The national system's cycle: short ≤ 1 month, medium ≤ 6 months, long beyond."""
    if end <= _add_months(start, 1):
        return ClassCycle.SHORT
    if end <= _add_months(start, 6):
        return ClassCycle.MEDIUM
    return ClassCycle.LONG


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    # The same day of the later month, or its last day (31 January + 1 month = 28/29 February).
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


actions_from = CLASS_WORKFLOW.actions_from
actions_for = CLASS_WORKFLOW.actions_for
transition_refusal = CLASS_WORKFLOW.state_refusal
role_refusal = CLASS_WORKFLOW.role_refusal


def attendance_enough(attended: Decimal, hours: int, threshold: float) -> bool:
    # Compared in exact decimals: 80 % of 45 hours is 36.0, and 36.0 attended is enough.
    return attended >= Decimal(hours) * Decimal(str(threshold))


def hours_enough(registered: Decimal, hours: int, required: float) -> bool:
    """Whether the register holds enough of the planned hours for a completion
    (settings.CLASS_HOURS_REQUIRED, the tolerance), compared in exact decimals."""
    return registered >= Decimal(hours) * Decimal(str(required))


def filed_late(start: dt.date, today: dt.date) -> bool:
    """A class is filed late once its start date has passed: submitting or approving it then
    needs a reason (issue 12)."""
    return today > start


def dates_overlap(a_start: dt.date, a_end: dt.date, b_start: dt.date, b_end: dt.date) -> bool:
    return a_start <= b_end and b_start <= a_end


def overlap_exempt(mode_a: str, mode_b: str) -> bool:
    # Remote (网络远程) study can run beside a class: the overlap rule excepts it (PRODUCT.md).
    return TrainingMode.REMOTE in (mode_a, mode_b)


# ---- individual applications ------------------------------------------------------------------

AS = ApplicationState
TOWN = frozenset({Role.TOWN_STAFF})

# Town staff submit for their person and record completion with the certificate as proof; the
# city decides and pays.
APPLICATION_WORKFLOW = Workflow(noun=_("申请"), actions=ApplicationAction, states=ApplicationState, steps={
    ApplicationAction.APPROVE: Step(frozenset({AS.SUBMITTED}), AS.APPROVED, CITY),
    ApplicationAction.REJECT: Step(frozenset({AS.SUBMITTED}), AS.REJECTED, CITY,
                                   comment_required=True, confirm=True),
    ApplicationAction.COMPLETE: Step(frozenset({AS.APPROVED}), AS.COMPLETED, TOWN | CITY),
    ApplicationAction.REIMBURSE: Step(frozenset({AS.COMPLETED}), AS.REIMBURSED, CITY),
})
APPLICATION_TRANSITIONS = APPLICATION_WORKFLOW.steps


application_actions_for = APPLICATION_WORKFLOW.actions_for
application_transition_refusal = APPLICATION_WORKFLOW.state_refusal
application_role_refusal = APPLICATION_WORKFLOW.role_refusal
APPLICATION_ACTION_INVALID = APPLICATION_WORKFLOW.action_invalid
APPLICATION_TRANSITION_NOT_ALLOWED = APPLICATION_WORKFLOW.transition_not_allowed


def hides_reasons(actor: User | None) -> bool:
    """Whether a refusal about a person must not say why: an institution is not told a person's
    status or certificate, nor another institution's class (it gets NOT_ENROLLABLE or
    TRAINEE_NOT_ELIGIBLE); the city and the town staff are."""
    return actor is not None and actor.role == Role.INSTITUTION_STAFF


def describe_person(person: Any) -> str:
    """How a rule names a trainee: the name and the ID's last four (never the whole number)."""
    return f"{person.name}（{person.id_tail}）"


# ---- individual applications: messages -----------------------------------------------------------

APPLICANT_REQUIRED = _("请选择申请人")
APPLICANT_NOT_FOUND = _("申请人不存在或不属于本镇街")
APPLICANT_FIXED = _("申请人提交后不能更换")
APPLICANT_NOT_ACTIVE = _("申请人 {person} 的状态为「{status}」，不能申请")
APPLICANT_NO_CERTIFICATE = _("申请人 {person} 没有有效的残疾人证")
APPLICATION_KIND_INVALID = _("申请类型须为 self_directed、appraisal 或 upgrade")
APPLICATION_INSTITUTION_INVALID = _("培训/鉴定机构不存在")
APPLICATION_INSTITUTION_NOT_VALID = _("该机构已暂停或撤销定点，不能选择")
# Institutions an application may not name: their designation is suspended or revoked.
INSTITUTION_STATES_REFUSED = frozenset({"suspended", "revoked"})
APPLICATION_INSTITUTION_REQUIRED = _("请选择培训/鉴定机构或填写机构名称")
APPLICATION_INSTITUTION_NAME_TOO_LONG = _("机构名称不能超过 100 字")
APPLICATION_TYPE_INVALID = TYPE_INVALID
APPLICATION_LEVEL_INVALID = _("等级须为 special、junior、intermediate、senior 或 technician")
PLANNED_DATES_ORDER = _("计划结束日期不能早于计划开始日期")
AMOUNT_REQUESTED_INVALID = _("申请金额须为 0 至 100000 元，最多两位小数")
AMOUNT_APPROVED_INVALID = _("核定金额须为 0 至 100000 元，最多两位小数")
AMOUNT_REIMBURSED_REQUIRED = _("报销须填写报销金额")
AMOUNT_REIMBURSED_INVALID = _("报销金额须大于 0 元，最多两位小数")
AMOUNT_REIMBURSED_EXCEEDS = _("报销金额不能超过{basis} {amount} 元")
REASON_TOO_LONG = _("申请理由不能超过 2000 字")
APPLICATION_STATE_FIELD = _("状态只能通过审批流程（approve、reject、complete、reimburse）变更")
APPLICATION_NOT_EDITABLE = _("申请当前状态为「{state}」，不能修改；只有已提交的申请可以修改")
FIELD_NOT_FOR_ACTION = _("「{action}」不填写此项")
# Completion needs its proof (PRODUCT.md: "completed (with proof: certificate)").
PROOF_TYPE_REQUIRED = _("登记完成须选择证书类型")
PROOF_NUMBER_REQUIRED = _("登记完成须填写证书编号")
PROOF_DATE_REQUIRED = _("登记完成须填写发证日期")
PROOF_ISSUER_REQUIRED = _("登记完成须填写发证机构")

# ---- staff online training: messages ---------------------------------------------------------------

STAFF_TOWN_REQUIRED = _("请选择所属镇街")
STAFF_TOWN_INVALID = _("镇街不存在")
STAFF_TOWN_FIXED = _("镇街专干只能登记本镇街的人员")
STAFF_NAME_REQUIRED = _("请填写姓名")
STAFF_NAME_TOO_LONG = _("姓名不能超过 30 字")
STAFF_POSITION_INVALID = _("岗位须为 liaison（联络员）或 counsellor（就业指导员）")
STAFF_COURSE_REQUIRED = _("请填写课程")
STAFF_COURSE_TOO_LONG = _("课程不能超过 100 字")
STAFF_YEAR_INVALID = _("年度须为 2000 至 {last} 的整数")
STAFF_HOURS_INVALID = _("学时须为 0.5 至 1000，最多一位小数")
STAFF_FEE_INVALID = _("已缴费用须为 0 至 100000 元，最多两位小数")
STAFF_COMPLETED_ON_REQUIRED = _("已完成的培训须填写完成日期")
STAFF_COMPLETED_ON_UNEXPECTED = _("未完成的培训不填完成日期")
STAFF_COMPLETED_ON_FUTURE = _("完成日期不能晚于今天")
STAFF_COMPLETED_ON_EARLY = _("完成日期不能早于 {year} 年")
