from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "canpei.institutions"
    verbose_name = _("培训机构")
