from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "canpei.people"
    verbose_name = "人员"
