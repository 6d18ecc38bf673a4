from collections.abc import Callable

from django.http import HttpResponse
from django.urls import URLPattern, path
from django.views.i18n import set_language

from canpei.accounts import views as account_views
from canpei.web.views import (
    alerts, applications, audit, classes, competitions, dashboard, employment_services, exports,
    followups, funds, help, imports, indicators, institutions, matching, people, printables,
    staff_training, surveys, targets,
)

View = Callable[..., HttpResponse]


def record_pages(prefix: str, name: str, key: str, list_view: View, create_view: View,
                 detail_view: View, edit_view: View,
                 names: tuple[str, str, str, str] | None = None) -> list[URLPattern]:
    """The four pages every kind of record has, named `<name>-list|create|detail|edit` (or
    `names`, where the names predate that convention): `<prefix>`, `<prefix>/new`,
    `<prefix>/<key>` and `<prefix>/<key>/edit`."""
    list_name, create_name, detail_name, edit_name = names or (
        f"{name}-list", f"{name}-create", f"{name}-detail", f"{name}-edit")
    return [
        path(prefix, list_view, name=list_name),
        path(f"{prefix}/new", create_view, name=create_name),
        *record_own_pages(prefix, key, detail_view, edit_view, (detail_name, edit_name)),
    ]


def record_own_pages(prefix: str, key: str, detail_view: View, edit_view: View,
                     names: tuple[str, str]) -> list[URLPattern]:
    """A record's page and its edit form, `<prefix>/<key>` and `<prefix>/<key>/edit`, for a
    record listed and created elsewhere."""
    return [
        path(f"{prefix}/<int:{key}>", detail_view, name=names[0]),
        path(f"{prefix}/<int:{key}>/edit", edit_view, name=names[1]),
    ]


urlpatterns = [
    path("login", account_views.login_view, name="login"),
    path("logout", account_views.logout_view, name="logout"),
    path("login/otp", account_views.otp_view, name="login-otp"),
    path("account/totp", account_views.totp_setup_view, name="totp-setup"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", dashboard.dashboard, name="dashboard"),
    # The manuals of docs/ (canpei.web.views.help); each page's header links to its section.
    path("help", help.help_index, name="help"),
    path("help/img/<str:name>", help.help_image, name="help_image"),
    path("help/<slug:page>", help.help_page, name="help_page"),
    *record_pages("persons", "person", "person_id",
                  people.person_list, people.person_create,
                  people.person_detail, people.person_edit),
    path("persons/lookup", people.person_lookup, name="person-lookup"),
    path("persons/<int:person_id>/identity", people.person_identity, name="person-identity"),
    path("persons/<int:person_id>/status", people.person_status, name="person-status"),
    *record_pages("surveys", "survey", "survey_id",
                  surveys.survey_list, surveys.survey_create,
                  surveys.survey_detail, surveys.survey_edit),
    path("surveys/progress", surveys.survey_progress, name="survey-progress"),
    path("surveys/skills", surveys.skills, name="skills"),
    path("imports/new", imports.import_new, name="import-new"),
    path("imports/template/<slug:kind>", imports.import_template, name="import-template"),
    path("imports/<uuid:token>", imports.import_detail, name="import-detail"),
    path("imports/<uuid:token>/report", imports.import_report, name="import-report"),
    *record_pages("institutions", "institution", "institution_id",
                  institutions.institution_list, institutions.institution_create,
                  institutions.institution_detail, institutions.institution_edit),
    path("institutions/export", institutions.institution_export, name="institution-export"),
    path("institutions/<int:institution_id>/transitions", institutions.institution_transition,
         name="institution-transition"),
    path("institutions/<int:institution_id>/teachers", institutions.teacher_add,
         name="teacher-add"),
    path("institutions/<int:institution_id>/teachers/<int:teacher_id>/active",
         institutions.teacher_active, name="teacher-active"),
    *record_pages("classes", "class", "class_id",
                  classes.class_list, classes.class_create,
                  classes.class_detail, classes.class_edit),
    path("classes/<int:class_id>/transitions", classes.class_transition,
         name="class-transition"),
    path("classes/<int:class_id>/enroll", classes.class_enroll, name="class-enroll"),
    path("classes/<int:class_id>/results", classes.class_results, name="class-results"),
    path("classes/<int:class_id>/print/application", printables.class_application_print,
         name="print-class-application"),
    path("classes/<int:class_id>/print/sign-in", printables.sign_in_sheet_print,
         name="print-sign-in"),
    path("classes/<int:class_id>/print/completion", printables.completion_list_print,
         name="print-completion"),
    path("classes/<int:class_id>/print/certificates", printables.certificates_print,
         name="print-certificates"),
    path("classes/<int:class_id>/enroll-candidate", classes.class_enroll_candidate,
         name="class-enroll-candidate"),
    path("classes/<int:class_id>/register", classes.class_register, name="class-register"),
    path("classes/<int:class_id>/register/grid", classes.class_register_grid,
         name="class-register-grid"),
    path("classes/<int:class_id>/inspections/new", classes.inspection_create,
         name="inspection-create"),
    path("classes/<int:class_id>/inspections/<int:inspection_id>/rectified",
         classes.inspection_rectified, name="inspection-rectified"),
    path("enrollments/<int:enrollment_id>/edit", classes.enrollment_edit,
         name="enrollment-edit"),
    path("enrollments/<int:enrollment_id>/withdraw", classes.enrollment_withdraw,
         name="enrollment-withdraw"),
    path("enrollments/<int:enrollment_id>/remove", classes.enrollment_remove,
         name="enrollment-remove"),
    *record_pages("applications", "application", "application_id",
                  applications.application_list, applications.application_create,
                  applications.application_detail, applications.application_edit),
    path("applications/<int:application_id>/transitions",
         applications.application_transition, name="application-transition"),
    *record_pages("staff-training", "staff-training", "record_id",
                  staff_training.staff_training_list, staff_training.staff_training_create,
                  staff_training.staff_training_detail, staff_training.staff_training_edit),
    path("funds", funds.funds_home, name="funds"),
    path("funds/new/<str:kind>", funds.funds_new, name="funds-new"),
    path("funds/disbursements/<int:disbursement_id>", funds.disbursement_detail,
         name="funds-disbursement"),
    path("funds/disbursements/<int:disbursement_id>/reverse", funds.disbursement_reverse,
         name="funds-reverse"),
    path("employment", followups.followup_list, name="followup_list"),
    *record_own_pages("employment/followups", "followup_id", followups.followup_detail,
                      followups.followup_edit, ("followup_detail", "followup_edit")),
    # Before the registry's exports: the audit log's export is the audit officer's own.
    path("audit/export", audit.audit_export, name="audit-export"),
    # Employment services (就业服务); named as the other helpers of issue 10 link to them.
    *record_pages("employment/services", "service", "service_id",
                  employment_services.service_list, employment_services.service_new,
                  employment_services.service_detail, employment_services.service_edit,
                  ("service_list", "service_new", "service_detail", "service_edit")),
    path("reports", indicators.reports, name="reports"),
    path("plans", targets.plan_list, name="plan-list"),
    path("reports/targets", targets.targets_page, name="reports_targets"),
    path("reports/matching", matching.matching_page, name="reports_matching"),
    path("reports/targets/uncovered", targets.uncovered_page, name="reports_uncovered"),
    # Skill competitions (职业技能竞赛) and typical cases (典型案例).
    *record_pages("competitions", "competition", "competition_id",
                  competitions.competition_list, competitions.competition_create,
                  competitions.competition_detail, competitions.competition_edit),
    path("competitions/<int:competition_id>/entries", competitions.competition_enter,
         name="competition-enter"),
    path("competitions/<int:competition_id>/entries/<int:entry_id>/result",
         competitions.entry_result, name="entry-result"),
    *record_pages("cases", "case", "case_id", competitions.case_list, competitions.case_create,
                  competitions.case_detail, competitions.case_edit),
    path("cases/<int:case_id>/<slug:step>", competitions.case_step, name="case-step"),
    path("alerts", alerts.alert_list, name="alert_list"),
    path("alerts/<int:alert_id>", alerts.alert_detail, name="alert_detail"),
    path("alerts/<int:alert_id>/transitions", alerts.alert_transition, name="alert_transition"),
    path("<str:kind>/export", exports.export, name="export"),
    path("audit", audit.audit_list, name="audit"),
    path("audit/anchor", audit.audit_anchor, name="audit-anchor"),
    path("admin/users", account_views.users_view, name="users"),
    path("admin/users/<int:user_id>/role", account_views.user_role_view, name="user-role"),
    path("admin/users/<int:user_id>/active", account_views.user_active_view, name="user-active"),
    path("admin/users/<int:user_id>/tokens/revoke", account_views.user_tokens_view,
         name="user-tokens-revoke"),
    path("admin/role-proposals", account_views.role_proposals_view, name="role-proposals"),
    path("admin/role-proposals/<int:proposal_id>/decide", account_views.role_decide_view,
         name="role-decide"),
    path("account/password", account_views.password_view, name="password-change"),
]
