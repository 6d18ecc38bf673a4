"""The eight roles of PRODUCT.md and what each may do.

This table is the only place that says which role may do what; services check it before
writing and selectors (through canpei.regions.scope) before reading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from canpei.codes import code_table

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from canpei.accounts.models import User


Role = code_table("Role", "role")


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
    FOLLOWUP_BROWSE = "followup.browse"
    FOLLOWUP_RECORD = "followup.record"
    SERVICE_BROWSE = "employment_service.browse"
    SERVICE_RECORD = "employment_service.record"
    COMPETITION_BROWSE = "competition.browse"
    COMPETITION_EDIT = "competition.edit"
    ENTRY_EDIT = "competition_entry.edit"
    CASE_BROWSE = "typical_case.browse"
    CASE_EDIT = "typical_case.edit"
    REPORT_READ = "report.read"
    FUNDS_BROWSE = "funds.browse"
    FUNDS_LEDGER = "funds.ledger"
    FUNDS_EDIT = "funds.edit"
    PLAN_EDIT = "plan.edit"
    AUDIT_READ = "audit.read"
    USERS_MANAGE = "users.manage"
    ROLES_MANAGE = "roles.manage"
    ROLE_PROPOSALS = "role_proposals.decide"
    ALERT_BROWSE = "alert.browse"
    ALERT_DECIDE = "alert.decide"


# Classes: institutions run their own, the city decides and inspects, town staff follow their
# town's trainees, the others read. Who takes which lifecycle step is in training.rules.
_CLASS_READ = {Perm.CLASS_BROWSE, Perm.APPLICATION_BROWSE, Perm.STAFF_TRAINING_BROWSE}
# Employment after training: town staff for their town, the employment service centre (and the
# city) city-wide; the auditor reads. Institutions see their classes' outcomes only as figures
# (REPORT_READ), never the follow-up records of persons.
_EMPLOYMENT_WORK = {Perm.FOLLOWUP_BROWSE, Perm.FOLLOWUP_RECORD, Perm.SERVICE_BROWSE,
                    Perm.SERVICE_RECORD, Perm.REPORT_READ}
_EMPLOYMENT_READ = {Perm.FOLLOWUP_BROWSE, Perm.SERVICE_BROWSE, Perm.REPORT_READ}

# Money: only the city writes it; the city and the auditor read the ledger (budgets, standards,
# donations, the year's figures); town staff see the payments for their town's persons and
# institution staff the payments to their institution (FUNDS_BROWSE, scoped by canpei.funds).
_FUNDS_READ = {Perm.FUNDS_BROWSE, Perm.FUNDS_LEDGER}

# Competitions and typical cases: the city runs them; town staff enter their town's persons and
# read their entries (and the cases about them); the city-wide readers read. Institutions see
# none: an entry is a person's record, not a class's.
_COMPETITION_READ = {Perm.COMPETITION_BROWSE, Perm.CASE_BROWSE}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset({Perm.PERSON_BROWSE, Perm.PERSON_CREATE, Perm.PERSON_EDIT,
                                Perm.PERSON_REVEAL, Perm.PERSON_LOOKUP, Perm.PERSON_EXPORT,
                                Perm.SURVEY_EDIT, Perm.SKILLS_EDIT, Perm.IMPORT_RUN,
                                Perm.INSTITUTION_BROWSE, Perm.INSTITUTION_CREATE,
                                Perm.INSTITUTION_EDIT, Perm.INSTITUTION_DESIGNATE,
                                Perm.CLASS_EDIT, Perm.ROSTER_EDIT, Perm.INSPECTION_RECORD,
                                Perm.STAFF_TRAINING_EDIT, Perm.PLAN_EDIT, *_CLASS_READ,
                                *_EMPLOYMENT_WORK, *_FUNDS_READ, Perm.FUNDS_EDIT,
                                *_COMPETITION_READ, Perm.COMPETITION_EDIT, Perm.ENTRY_EDIT,
                                Perm.CASE_EDIT, Perm.ALERT_BROWSE, Perm.ALERT_DECIDE}),
    Role.TOWN_STAFF: frozenset({Perm.PERSON_BROWSE, Perm.PERSON_CREATE, Perm.PERSON_EDIT,
                                Perm.PERSON_REVEAL, Perm.PERSON_LOOKUP, Perm.PERSON_EXPORT,
                                Perm.SURVEY_EDIT, Perm.IMPORT_RUN, Perm.INSTITUTION_BROWSE,
                                Perm.APPLICATION_SUBMIT, Perm.STAFF_TRAINING_EDIT,
                                *_CLASS_READ, *_EMPLOYMENT_WORK, Perm.FUNDS_BROWSE,
                                *_COMPETITION_READ, Perm.ENTRY_EDIT, Perm.ALERT_BROWSE}),
    Role.INSTITUTION_STAFF: frozenset({Perm.PERSON_LOOKUP, Perm.INSTITUTION_BROWSE,
                                       Perm.INSTITUTION_EDIT, Perm.CLASS_BROWSE, Perm.CLASS_EDIT,
                                       Perm.ROSTER_EDIT, Perm.REPORT_READ, Perm.FUNDS_BROWSE}),
    Role.EMPLOYMENT_SERVICE: frozenset({Perm.PERSON_BROWSE, Perm.PERSON_LOOKUP, Perm.PERSON_EXPORT,
                                        Perm.INSTITUTION_BROWSE, *_CLASS_READ, *_EMPLOYMENT_WORK,
                                        *_COMPETITION_READ}),
    Role.AUDITOR: frozenset({Perm.PERSON_BROWSE, Perm.PERSON_LOOKUP, Perm.PERSON_EXPORT,
                             Perm.INSTITUTION_BROWSE, *_CLASS_READ, *_EMPLOYMENT_READ,
                             *_FUNDS_READ, *_COMPETITION_READ, Perm.ALERT_BROWSE}),
    Role.SYS_ADMIN: frozenset({Perm.USERS_MANAGE, Perm.ROLE_PROPOSALS}),
    Role.SECURITY_ADMIN: frozenset({Perm.ROLES_MANAGE}),
    Role.AUDIT_ADMIN: frozenset({Perm.AUDIT_READ, Perm.ROLE_PROPOSALS}),
}


def has_perm(user: User | AnonymousUser, perm: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return perm in ROLE_PERMISSIONS.get(user.role, frozenset())


# The three officers' separation of duties (三员分立): who may do what to accounts, roles and
# the audit log. This one table decides; the account services and pages ask `officer_may`, and
# tests/accounts/test_officer_matrix.py checks every cell against what really happens. The
# city admin is the control column: a business role that must get none of the officers' powers.
class OfficerAction:
    LIST_USERS = "list_users"                      # open /admin/users
    CREATE_USER = "create_user"                    # a new account, without a role
    CREATE_OFFICER = "create_officer"              # a new account with an officer role (CLI only)
    ASSIGN_BUSINESS_ROLE = "assign_business_role"  # role and scope of a non-officer account
    PROPOSE_OFFICER_ROLE = "propose_officer_role"  # first step of the two-officer procedure
    CONFIRM_OFFICER_ROLE = "confirm_officer_role"  # second step, by another officer
    CHANGE_OWN_ROLE = "change_own_role"            # one's own role or scope
    DEACTIVATE_USER = "deactivate_user"            # deactivate / reactivate a non-officer account
    REVOKE_TOKENS = "revoke_tokens"                # end another user's API tokens
    READ_AUDIT = "read_audit"                      # the audit log
    READ_BUSINESS_DATA = "read_business_data"      # the registry of persons


MATRIX_ROLES: tuple[str, ...] = (Role.SYS_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN,
                                 Role.CITY_ADMIN)

OFFICER_MATRIX: dict[str, tuple[bool, bool, bool, bool]] = {
    #                                   sys_admin security_admin audit_admin city_admin
    OfficerAction.LIST_USERS:           (True,     True,          False,      False),
    OfficerAction.CREATE_USER:          (True,     False,         False,      False),
    OfficerAction.CREATE_OFFICER:       (False,    False,         False,      False),
    OfficerAction.ASSIGN_BUSINESS_ROLE: (False,    True,          False,      False),
    OfficerAction.PROPOSE_OFFICER_ROLE: (False,    True,          False,      False),
    OfficerAction.CONFIRM_OFFICER_ROLE: (True,     False,         True,       False),
    OfficerAction.CHANGE_OWN_ROLE:      (False,    False,         False,      False),
    OfficerAction.DEACTIVATE_USER:      (True,     False,         False,      False),
    OfficerAction.REVOKE_TOKENS:        (False,    True,          False,      False),
    OfficerAction.READ_AUDIT:           (False,    False,         True,       False),
    OfficerAction.READ_BUSINESS_DATA:   (False,    False,         False,      True),
}


def officer_may(user: User | AnonymousUser, action: str) -> bool:
    """Whether an active, signed-in user's role may take `action` (False for any role not in
    the matrix)."""
    if not user.is_authenticated or not user.is_active or user.role not in MATRIX_ROLES:
        return False
    return OFFICER_MATRIX[action][MATRIX_ROLES.index(user.role)]


def _check_matrix_agrees_with_permissions() -> None:
    """The page permissions of the officers must say what the matrix says."""
    derived = {
        OfficerAction.LIST_USERS: (Perm.USERS_MANAGE, Perm.ROLES_MANAGE),
        OfficerAction.READ_AUDIT: (Perm.AUDIT_READ,),
        OfficerAction.READ_BUSINESS_DATA: (Perm.PERSON_BROWSE,),
        OfficerAction.CONFIRM_OFFICER_ROLE: (Perm.ROLE_PROPOSALS,),
    }
    for action, perms in derived.items():
        for role, allowed in zip(MATRIX_ROLES, OFFICER_MATRIX[action]):
            granted = any(p in ROLE_PERMISSIONS[role] for p in perms)
            if granted != allowed:
                raise AssertionError(f"ROLE_PERMISSIONS of {role} disagree with {action}")


_check_matrix_agrees_with_permissions()
