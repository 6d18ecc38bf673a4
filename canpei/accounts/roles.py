"""The eight roles of PRODUCT.md and what each may do.

This table is the only place that says which role may do what; services check it before
writing and selectors (through canpei.regions.scope) before reading.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", "市残联业务管理员"
    TOWN_STAFF = "town_staff", "镇街专干"
    INSTITUTION_STAFF = "institution_staff", "培训机构"
    EMPLOYMENT_SERVICE = "employment_service", "就业服务"
    AUDITOR = "auditor", "监督"
    SYS_ADMIN = "sys_admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"


# The three-officer separation (三员分立): these roles see no business data at all.
OFFICER_ROLES = frozenset({Role.SYS_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

# Roles that must pass a TOTP second factor (when settings.ADMIN_TOTP_REQUIRED).
SECOND_FACTOR_ROLES = OFFICER_ROLES

# Roles that read the whole city's business data.
CITY_WIDE_READERS = frozenset({Role.CITY_ADMIN, Role.EMPLOYMENT_SERVICE, Role.AUDITOR})


class Perm:
    PERSON_BROWSE = "person.browse"
    PERSON_CREATE = "person.create"
    PERSON_EDIT = "person.edit"
    PERSON_REVEAL = "person.reveal"
    PERSON_LOOKUP = "person.lookup"
    PERSON_EXPORT = "person.export"
    SURVEY_EDIT = "survey.edit"
    SKILLS_EDIT = "skills.edit"
    IMPORT_RUN = "import.run"
    INSTITUTION_BROWSE = "institution.browse"
    INSTITUTION_CREATE = "institution.create"
    INSTITUTION_EDIT = "institution.edit"
    INSTITUTION_DESIGNATE = "institution.designate"
    CLASS_BROWSE = "class.browse"
    CLASS_EDIT = "class.edit"
    ROSTER_EDIT = "roster.edit"
    INSPECTION_RECORD = "inspection.record"
    APPLICATION_BROWSE = "application.browse"
    APPLICATION_SUBMIT = "application.submit"
    STAFF_TRAINING_BROWSE = "staff_training.browse"
    STAFF_TRAINING_EDIT = "staff_training.edit"
    AUDIT_READ = "audit.read"
    USERS_MANAGE = "users.manage"
    ROLES_MANAGE = "roles.manage"


# Classes: institutions run their own, the city decides and inspects, town staff follow their
# town's trainees, the others read. Who takes which lifecycle step is in training.rules.
_CLASS_READ = {Perm.CLASS_BROWSE, Perm.APPLICATION_BROWSE, Perm.STAFF_TRAINING_BROWSE}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset({Perm.PERSON_BROWSE, Perm.PERSON_CREATE, Perm.PERSON_EDIT,
                                Perm.PERSON_REVEAL, Perm.PERSON_LOOKUP, Perm.PERSON_EXPORT,
                                Perm.SURVEY_EDIT, Perm.SKILLS_EDIT, Perm.IMPORT_RUN,
                                Perm.INSTITUTION_BROWSE, Perm.INSTITUTION_CREATE,
                                Perm.INSTITUTION_EDIT, Perm.INSTITUTION_DESIGNATE,
                                Perm.CLASS_EDIT, Perm.ROSTER_EDIT, Perm.INSPECTION_RECORD,
                                Perm.STAFF_TRAINING_EDIT, *_CLASS_READ}),
    Role.TOWN_STAFF: frozenset({Perm.PERSON_BROWSE, Perm.PERSON_CREATE, Perm.PERSON_EDIT,
                                Perm.PERSON_REVEAL, Perm.PERSON_LOOKUP, Perm.PERSON_EXPORT,
                                Perm.SURVEY_EDIT, Perm.IMPORT_RUN, Perm.INSTITUTION_BROWSE,
                                Perm.APPLICATION_SUBMIT, Perm.STAFF_TRAINING_EDIT,
                                *_CLASS_READ}),
    Role.INSTITUTION_STAFF: frozenset({Perm.PERSON_LOOKUP, Perm.INSTITUTION_BROWSE,
                                       Perm.INSTITUTION_EDIT, Perm.CLASS_BROWSE, Perm.CLASS_EDIT,
                                       Perm.ROSTER_EDIT}),
    Role.EMPLOYMENT_SERVICE: frozenset({Perm.PERSON_BROWSE, Perm.PERSON_LOOKUP, Perm.PERSON_EXPORT,
                                        Perm.INSTITUTION_BROWSE, *_CLASS_READ}),
    Role.AUDITOR: frozenset({Perm.PERSON_BROWSE, Perm.PERSON_LOOKUP, Perm.PERSON_EXPORT,
                             Perm.INSTITUTION_BROWSE, *_CLASS_READ}),
    Role.SYS_ADMIN: frozenset({Perm.USERS_MANAGE}),
    Role.SECURITY_ADMIN: frozenset({Perm.ROLES_MANAGE}),
    Role.AUDIT_ADMIN: frozenset({Perm.AUDIT_READ}),
}


def has_perm(user: object, perm: str) -> bool:
    role = getattr(user, "role", None)
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return perm in ROLE_PERMISSIONS.get(role or "", frozenset())
