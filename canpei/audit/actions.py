"""Every action the audit log records, in one enum.

The values are what the log stores and what the audit officer filters by, so they never change
once written; a new service adds its member here. Workflow steps are recorded as
`<workflow>.<action>` (canpei.workflows), so each step of each table has its member too: a test
(tests/audit/test_audit_actions.py) refuses a table whose step has none.
"""

from __future__ import annotations

from enum import StrEnum


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
