from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "canpei.web"
    verbose_name = "页面"
