from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "canpei.regions"
    verbose_name = "行政区划"
