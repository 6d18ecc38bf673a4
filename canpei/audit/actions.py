"""Every action the audit log records, in one enum.

The values are what the log stores and what the audit officer filters by, so they never change
once written; a new service adds its member here. Workflow steps are recorded as
`<workflow>.<action>` (canpei.workflows), so each step of each table has its member too: a test
(tests/audit/test_audit_actions.py) refuses a table whose step has none.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class AuditAction(StrEnum):
    # Signing in and the account's own security.
    AUTH_LOGIN = "auth.login"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOCKOUT = "auth.lockout"
    AUTH_LOGOUT = "auth.logout"
    AUTH_OTP = "auth.otp"
    SECURITY_DENIED = "security.denied"
    TOKEN_ISSUE = "token.issue"
    TOKEN_REVOKE = "token.revoke"
    TOKEN_REVOKE_ALL = "token.revoke_all"

    # Accounts, kept by the three officers.
    USER_CREATE = "user.create"
    USER_ACTIVE = "user.active"
    USER_ROLE = "user.role"
    USER_ROLE_PROPOSE = "user.role_propose"
    USER_ROLE_REJECT = "user.role_reject"
    USER_PASSWORD_CHANGE = "user.password_change"
    USER_TOTP_ENROL = "user.totp_enrol"

    # The log itself and the installation.
    AUDIT_ANCHOR = "audit.anchor"
    DEMO_LOAD = "demo.load"

    # The registry of persons and the annual survey.
    PERSON_CREATE = "person.create"
    PERSON_UPDATE = "person.update"
    PERSON_STATUS = "person.status"
    PERSON_REVEAL = "person.reveal"
    PERSON_LOOKUP = "person.lookup"
    PERSON_LOOKUP_THROTTLED = "person.lookup_throttled"
    SURVEY_CREATE = "survey.create"
    SURVEY_UPDATE = "survey.update"
    SKILL_SAVE = "skill.save"
    PERSON_EMPLOYMENT = "person.employment"

    # Institutions, their teachers and the designation workflow.
    INSTITUTION_CREATE = "institution.create"
    INSTITUTION_UPDATE = "institution.update"
    INSTITUTION_DESIGNATE = "institution.designate"
    INSTITUTION_PROMOTE = "institution.promote"
    INSTITUTION_SUSPEND = "institution.suspend"
    INSTITUTION_REINSTATE = "institution.reinstate"
    INSTITUTION_REVOKE = "institution.revoke"
    TEACHER_CREATE = "teacher.create"
    TEACHER_UPDATE = "teacher.update"

    # Classes: the record, the roster, the register, inspections and the class workflow.
    CLASS_CREATE = "class.create"
    CLASS_UPDATE = "class.update"
    CLASS_SUBMIT = "class.submit"
    CLASS_APPROVE = "class.approve"
    CLASS_RETURN = "class.return"
    CLASS_START = "class.start"
    CLASS_COMPLETE = "class.complete"
    CLASS_PASS_AUDIT = "class.pass_audit"
    CLASS_FAIL_AUDIT = "class.fail_audit"
    CLASS_SETTLE = "class.settle"
    BUDGET_CREATE = "budget.create"
    STANDARD_CREATE = "standard.create"
    DONATION_CREATE = "donation.create"
    CONTRACT_CREATE = "contract.create"
    DISBURSEMENT_CREATE = "disbursement.create"
    DISBURSEMENT_REVERSE = "disbursement.reverse"
    DISBURSEMENT_REFUSED = "disbursement.refused"
    EXPORT_FUNDS = "export.funds"
    CLASS_CANCEL = "class.cancel"
    ENROLLMENT_CREATE = "enrollment.create"
    ENROLLMENT_UPDATE = "enrollment.update"
    ENROLLMENT_DELETE = "enrollment.delete"
    ATTENDANCE_RECORD = "attendance.record"
    INSPECTION_CREATE = "inspection.create"
    INSPECTION_RECTIFIED = "inspection.rectified"

    # Individual applications and their workflow; staff training.
    APPLICATION_CREATE = "application.create"
    APPLICATION_UPDATE = "application.update"
    APPLICATION_APPROVE = "application.approve"
    APPLICATION_REJECT = "application.reject"
    APPLICATION_COMPLETE = "application.complete"
    APPLICATION_REIMBURSE = "application.reimburse"
    STAFF_TRAINING_CREATE = "staff_training.create"
    STAFF_TRAINING_UPDATE = "staff_training.update"

    # Follow-ups of completers (就业跟踪).
    FOLLOWUP_SCHEDULE = "followup.schedule"
    FOLLOWUP_RECORD = "followup.record"
    FOLLOWUP_UPDATE = "followup.update"

    # Employment services given to persons (就业服务).
    SERVICE_CREATE = "employment_service.create"
    SERVICE_UPDATE = "employment_service.update"

    # Skill competitions (职业技能竞赛), their entries, and typical cases (典型案例).
    COMPETITION_CREATE = "competition.create"
    COMPETITION_UPDATE = "competition.update"
    ENTRY_CREATE = "competition_entry.create"
    ENTRY_RESULT = "competition_entry.result"
    CASE_CREATE = "typical_case.create"
    CASE_UPDATE = "typical_case.update"
    CASE_CONSENT = "typical_case.consent"
    CASE_CONSENT_WITHDRAW = "typical_case.consent_withdraw"
    CASE_PUBLISH = "typical_case.publish"
    CASE_UNPUBLISH = "typical_case.unpublish"
    EXPORT_COMPETITIONS = "export.competitions"
    EXPORT_CASES = "export.cases"

    # Spreadsheets in and out, one member per registered kind.
    IMPORT_PERSONS = "import.persons"
    IMPORT_SURVEYS = "import.surveys"
    IMPORT_ENROLLMENTS = "import.enrollments"
    IMPORT_CERTIFICATES = "import.certificates"
    IMPORT_FOLLOWUPS = "import.followups"
    EXPORT_PERSONS = "export.persons"
    EXPORT_SURVEYS = "export.surveys"
    EXPORT_INSTITUTIONS = "export.institutions"
    EXPORT_CLASSES = "export.classes"
    EXPORT_TRAINEES = "export.trainees"
    EXPORT_APPLICATIONS = "export.applications"
    EXPORT_STAFF_TRAININGS = "export.staff_trainings"
    EXPORT_FOLLOWUPS = "export.followups"
    EXPORT_AUDIT = "export.audit"
    EXPORT_EMPLOYMENT_SERVICES = "export.employment_services"
    EXPORT_INDICATORS = "export.indicators"
    EXPORT_TARGETS = "export.targets"
    EXPORT_TARGETS_UNCOVERED = "export.targets_uncovered"
    EXPORT_MATCHING = "export.matching"

    # Plans (计划): their name and period; the targets are computed, never stored.
    PLAN_CREATE = "plan.create"
    PLAN_UPDATE = "plan.update"

    # Supervision alerts (监管预警): the desk's two decisions, the background job's own steps
    # (resolved when no longer raised, reopened when raised again) and the runs that changed any.
    ALERT_CONFIRM = "alert.confirm"
    ALERT_DISMISS = "alert.dismiss"
    ALERT_RESOLVE = "alert.resolve"
    ALERT_REOPEN = "alert.reopen"
    ALERT_RECOMPUTE = "alert.recompute"
    EXPORT_ALERTS = "export.alerts"


# What the audit officer reads for each action (the log keeps the value; the page shows this,
# in the reader's language).
LABELS: dict[AuditAction, str | Promise] = {
    AuditAction.AUTH_LOGIN: _("登录"),
    AuditAction.AUTH_LOGIN_FAILED: _("登录失败"),
    AuditAction.AUTH_LOCKOUT: _("账户锁定"),
    AuditAction.AUTH_LOGOUT: _("退出登录"),
    AuditAction.AUTH_OTP: _("动态口令验证"),
    AuditAction.SECURITY_DENIED: _("越权访问被拒绝"),
    AuditAction.TOKEN_ISSUE: _("签发 API 令牌"),
    AuditAction.TOKEN_REVOKE: _("吊销 API 令牌"),
    AuditAction.TOKEN_REVOKE_ALL: _("吊销全部 API 令牌"),
    AuditAction.USER_CREATE: _("新建账户"),
    AuditAction.USER_ACTIVE: _("停用/启用账户"),
    AuditAction.USER_ROLE: _("设置角色与范围"),
    AuditAction.USER_ROLE_PROPOSE: _("提议管理员角色"),
    AuditAction.USER_ROLE_REJECT: _("驳回角色提议"),
    AuditAction.USER_PASSWORD_CHANGE: _("修改密码"),
    AuditAction.USER_TOTP_ENROL: _("绑定动态口令"),
    AuditAction.AUDIT_ANCHOR: _("下载审计锚点"),
    AuditAction.DEMO_LOAD: _("载入演示数据"),
    AuditAction.PERSON_CREATE: _("登记人员"),
    AuditAction.PERSON_UPDATE: _("修改人员信息"),
    AuditAction.PERSON_STATUS: _("变更人员状态"),
    AuditAction.PERSON_REVEAL: _("查看完整证件号码"),
    AuditAction.PERSON_LOOKUP: _("按身份证号查找人员"),
    AuditAction.PERSON_LOOKUP_THROTTLED: _("查找过于频繁被限制"),
    AuditAction.SURVEY_CREATE: _("登记需求调查"),
    AuditAction.SURVEY_UPDATE: _("修改需求调查"),
    AuditAction.SKILL_SAVE: _("保存技能目录"),
    AuditAction.INSTITUTION_CREATE: _("登记培训机构"),
    AuditAction.INSTITUTION_UPDATE: _("修改培训机构"),
    AuditAction.INSTITUTION_DESIGNATE: _("定点认定"),
    AuditAction.INSTITUTION_PROMOTE: _("评为示范点"),
    AuditAction.INSTITUTION_SUSPEND: _("暂停定点"),
    AuditAction.INSTITUTION_REINSTATE: _("恢复定点"),
    AuditAction.INSTITUTION_REVOKE: _("撤销定点"),
    AuditAction.TEACHER_CREATE: _("登记授课教师"),
    AuditAction.TEACHER_UPDATE: _("修改授课教师"),
    AuditAction.CLASS_CREATE: _("新建培训班"),
    AuditAction.CLASS_UPDATE: _("修改培训班"),
    AuditAction.CLASS_SUBMIT: _("提交开班申请"),
    AuditAction.CLASS_APPROVE: _("批准开班"),
    AuditAction.CLASS_RETURN: _("退回开班申请"),
    AuditAction.CLASS_START: _("开班"),
    AuditAction.CLASS_COMPLETE: _("结业申报"),
    AuditAction.CLASS_PASS_AUDIT: _("结业审核通过"),
    AuditAction.CLASS_FAIL_AUDIT: _("结业审核不通过"),
    AuditAction.CLASS_SETTLE: _("结算"),
    AuditAction.CLASS_CANCEL: _("取消培训班"),
    AuditAction.ENROLLMENT_CREATE: _("学员入班"),
    AuditAction.ENROLLMENT_UPDATE: _("修改学员记录"),
    AuditAction.ENROLLMENT_DELETE: _("移出花名册"),
    AuditAction.ATTENDANCE_RECORD: _("登记考勤"),
    AuditAction.INSPECTION_CREATE: _("登记过程检查"),
    AuditAction.INSPECTION_RECTIFIED: _("整改完成"),
    AuditAction.APPLICATION_CREATE: _("提交个人申请"),
    AuditAction.APPLICATION_UPDATE: _("修改个人申请"),
    AuditAction.APPLICATION_APPROVE: _("批准个人申请"),
    AuditAction.APPLICATION_REJECT: _("不予批准个人申请"),
    AuditAction.APPLICATION_COMPLETE: _("登记个人申请完成"),
    AuditAction.APPLICATION_REIMBURSE: _("个人申请报销"),
    AuditAction.STAFF_TRAINING_CREATE: _("登记专干远程培训"),
    AuditAction.STAFF_TRAINING_UPDATE: _("修改专干远程培训"),
    AuditAction.IMPORT_PERSONS: _("导入人员名册"),
    AuditAction.IMPORT_SURVEYS: _("导入需求调查"),
    AuditAction.IMPORT_ENROLLMENTS: _("导入花名册/考勤"),
    AuditAction.IMPORT_CERTIFICATES: _("导入培训证书"),
    AuditAction.EXPORT_PERSONS: _("导出人员台账"),
    AuditAction.EXPORT_SURVEYS: _("导出需求调查台账"),
    AuditAction.EXPORT_INSTITUTIONS: _("导出培训机构台账"),
    AuditAction.EXPORT_CLASSES: _("导出培训班台账"),
    AuditAction.EXPORT_TRAINEES: _("导出培训学员台账"),
    AuditAction.EXPORT_APPLICATIONS: _("导出个人申请台账"),
    AuditAction.EXPORT_STAFF_TRAININGS: _("导出专干远程培训台账"),
    AuditAction.EXPORT_AUDIT: _("导出审计日志"),
    AuditAction.SERVICE_CREATE: _("登记就业服务"),
    AuditAction.SERVICE_UPDATE: _("修改就业服务"),
    AuditAction.COMPETITION_CREATE: _("登记职业技能竞赛"),
    AuditAction.COMPETITION_UPDATE: _("修改职业技能竞赛"),
    AuditAction.ENTRY_CREATE: _("竞赛报名"),
    AuditAction.ENTRY_RESULT: _("登记竞赛成绩与获奖"),
    AuditAction.CASE_CREATE: _("登记典型案例"),
    AuditAction.CASE_UPDATE: _("修改典型案例"),
    AuditAction.CASE_CONSENT: _("登记典型案例本人同意"),
    AuditAction.CASE_CONSENT_WITHDRAW: _("撤回典型案例本人同意"),
    AuditAction.CASE_PUBLISH: _("发布典型案例"),
    AuditAction.CASE_UNPUBLISH: _("撤下典型案例"),
    AuditAction.EXPORT_COMPETITIONS: _("导出职业技能竞赛台账"),
    AuditAction.EXPORT_CASES: _("导出典型案例台账"),
    AuditAction.EXPORT_EMPLOYMENT_SERVICES: _("导出就业服务台账"),
    AuditAction.EXPORT_INDICATORS: _("导出培训指标"),
    AuditAction.EXPORT_TARGETS: _("导出计划目标台账"),
    AuditAction.EXPORT_TARGETS_UNCOVERED: _("导出目标未覆盖人员"),
    AuditAction.EXPORT_MATCHING: _("导出供需匹配表"),
    AuditAction.PLAN_CREATE: _("新建计划"),
    AuditAction.PLAN_UPDATE: _("修改计划"),
    AuditAction.PERSON_EMPLOYMENT: _("更新人员就业情况"),
    AuditAction.FOLLOWUP_SCHEDULE: _("补排就业跟踪"),
    AuditAction.FOLLOWUP_RECORD: _("登记就业跟踪"),
    AuditAction.FOLLOWUP_UPDATE: _("更正就业跟踪"),
    AuditAction.IMPORT_FOLLOWUPS: _("导入就业跟踪"),
    AuditAction.EXPORT_FOLLOWUPS: _("导出就业跟踪台账"),
    AuditAction.BUDGET_CREATE: _("登记预算"),
    AuditAction.STANDARD_CREATE: _("新增补贴标准"),
    AuditAction.DONATION_CREATE: _("登记捐赠"),
    AuditAction.CONTRACT_CREATE: _("登记政府购买服务合同"),
    AuditAction.DISBURSEMENT_CREATE: _("拨付资金"),
    AuditAction.DISBURSEMENT_REVERSE: _("冲销拨付"),
    AuditAction.DISBURSEMENT_REFUSED: _("拒绝超预算拨付"),
    AuditAction.EXPORT_FUNDS: _("导出资金台账"),
    AuditAction.ALERT_CONFIRM: _("确认监管预警"),
    AuditAction.ALERT_DISMISS: _("排除监管预警"),
    AuditAction.ALERT_RESOLVE: _("监管预警消除"),
    AuditAction.ALERT_REOPEN: _("监管预警重新出现"),
    AuditAction.ALERT_RECOMPUTE: _("重新计算监管预警"),
    AuditAction.EXPORT_ALERTS: _("导出监管预警台账"),
}


def action_label(value: str) -> str:
    """The words for a stored action value; a value no member has any more shows as itself."""
    try:
        return str(LABELS[AuditAction(value)])
    except (ValueError, KeyError):
        return value
