from django.apps import AppConfig


class InstitutionsConfig(AppConfig):
    name = "canpei.institutions"
    verbose_name = "培训机构"
