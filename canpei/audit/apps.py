from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "canpei.audit"
    verbose_name = "审计日志"
