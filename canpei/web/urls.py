from django.urls import path
from django.views.i18n import set_language

from canpei.accounts import views as account_views
from canpei.web import survey_views, views

urlpatterns = [
    path("login", account_views.login_view, name="login"),
    path("logout", account_views.logout_view, name="logout"),
    path("login/otp", account_views.otp_view, name="login-otp"),
    path("account/totp", account_views.totp_setup_view, name="totp-setup"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", views.dashboard, name="dashboard"),
    path("persons", views.person_list, name="person-list"),
    path("persons/new", views.person_create, name="person-create"),
    path("persons/lookup", views.person_lookup, name="person-lookup"),
    path("persons/<int:person_id>", views.person_detail, name="person-detail"),
    path("persons/<int:person_id>/edit", views.person_edit, name="person-edit"),
    path("persons/<int:person_id>/identity", views.person_identity, name="person-identity"),
    path("persons/<int:person_id>/status", views.person_status, name="person-status"),
    path("surveys", survey_views.survey_list, name="survey-list"),
    path("surveys/new", survey_views.survey_create, name="survey-create"),
    path("surveys/progress", survey_views.survey_progress, name="survey-progress"),
    path("surveys/skills", survey_views.skills, name="skills"),
    path("surveys/<int:survey_id>", survey_views.survey_detail, name="survey-detail"),
    path("surveys/<int:survey_id>/edit", survey_views.survey_edit, name="survey-edit"),
    path("imports/new", survey_views.import_new, name="import-new"),
    path("imports/<uuid:token>", survey_views.import_detail, name="import-detail"),
    path("imports/<uuid:token>/report", survey_views.import_report, name="import-report"),
    path("<str:kind>/export", survey_views.export, name="export"),
    path("audit", views.audit_list, name="audit"),
    path("admin/users", account_views.users_view, name="users"),
    path("admin/users/<int:user_id>/role", account_views.user_role_view, name="user-role"),
]
