from typing import Callable

from django.http import HttpResponse
from django.urls import URLPattern, path
from django.views.i18n import set_language

from canpei.accounts import views as account_views
from canpei.web import audit_views
from canpei.web import (
    application_views, class_views, institution_views, survey_views, views,
)

View = Callable[..., HttpResponse]


def record_pages(prefix: str, name: str, key: str, list_view: View, create_view: View,
                 detail_view: View, edit_view: View) -> list[URLPattern]:
    """The four pages every kind of record has, named `<name>-list|create|detail|edit`:
    `<prefix>`, `<prefix>/new`, `<prefix>/<key>` and `<prefix>/<key>/edit`."""
    return [
        path(prefix, list_view, name=f"{name}-list"),
        path(f"{prefix}/new", create_view, name=f"{name}-create"),
        path(f"{prefix}/<int:{key}>", detail_view, name=f"{name}-detail"),
        path(f"{prefix}/<int:{key}>/edit", edit_view, name=f"{name}-edit"),
    ]


urlpatterns = [
    path("login", account_views.login_view, name="login"),
    path("logout", account_views.logout_view, name="logout"),
    path("login/otp", account_views.otp_view, name="login-otp"),
    path("account/totp", account_views.totp_setup_view, name="totp-setup"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", views.dashboard, name="dashboard"),
    *record_pages("persons", "person", "person_id",
                  views.person_list, views.person_create,
                  views.person_detail, views.person_edit),
    path("persons/lookup", views.person_lookup, name="person-lookup"),
    path("persons/<int:person_id>/identity", views.person_identity, name="person-identity"),
    path("persons/<int:person_id>/status", views.person_status, name="person-status"),
    *record_pages("surveys", "survey", "survey_id",
                  survey_views.survey_list, survey_views.survey_create,
                  survey_views.survey_detail, survey_views.survey_edit),
    path("surveys/progress", survey_views.survey_progress, name="survey-progress"),
    path("surveys/skills", survey_views.skills, name="skills"),
    path("imports/new", survey_views.import_new, name="import-new"),
    path("imports/<uuid:token>", survey_views.import_detail, name="import-detail"),
    path("imports/<uuid:token>/report", survey_views.import_report, name="import-report"),
    *record_pages("institutions", "institution", "institution_id",
                  institution_views.institution_list, institution_views.institution_create,
                  institution_views.institution_detail, institution_views.institution_edit),
    path("institutions/export", institution_views.institution_export, name="institution-export"),
    path("institutions/<int:institution_id>/transitions", institution_views.institution_transition,
         name="institution-transition"),
    path("institutions/<int:institution_id>/teachers", institution_views.teacher_add,
         name="teacher-add"),
    path("institutions/<int:institution_id>/teachers/<int:teacher_id>/active",
         institution_views.teacher_active, name="teacher-active"),
    *record_pages("classes", "class", "class_id",
                  class_views.class_list, class_views.class_create,
                  class_views.class_detail, class_views.class_edit),
    path("classes/<int:class_id>/transitions", class_views.class_transition,
         name="class-transition"),
    path("classes/<int:class_id>/enroll", class_views.class_enroll, name="class-enroll"),
    path("classes/<int:class_id>/register", class_views.class_register, name="class-register"),
    path("classes/<int:class_id>/register/grid", class_views.class_register_grid,
         name="class-register-grid"),
    path("classes/<int:class_id>/inspections/new", class_views.inspection_create,
         name="inspection-create"),
    path("classes/<int:class_id>/inspections/<int:inspection_id>/rectified",
         class_views.inspection_rectified, name="inspection-rectified"),
    path("enrollments/<int:enrollment_id>/edit", class_views.enrollment_edit,
         name="enrollment-edit"),
    path("enrollments/<int:enrollment_id>/withdraw", class_views.enrollment_withdraw,
         name="enrollment-withdraw"),
    path("enrollments/<int:enrollment_id>/remove", class_views.enrollment_remove,
         name="enrollment-remove"),
    *record_pages("applications", "application", "application_id",
                  application_views.application_list, application_views.application_create,
                  application_views.application_detail, application_views.application_edit),
    path("applications/<int:application_id>/transitions",
         application_views.application_transition, name="application-transition"),
    *record_pages("staff-training", "staff-training", "record_id",
                  application_views.staff_training_list, application_views.staff_training_create,
                  application_views.staff_training_detail, application_views.staff_training_edit),
    path("<str:kind>/export", survey_views.export, name="export"),
    path("audit", views.audit_list, name="audit"),
    path("audit/anchor", audit_views.audit_anchor, name="audit-anchor"),
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
