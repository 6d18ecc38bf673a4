from django.apps import AppConfig


class EmploymentConfig(AppConfig):
    name = "canpei.employment"
    verbose_name = "就业跟踪与服务"

    def ready(self) -> None:
        from canpei import hooks
        from canpei.employment import receivers

        hooks.on_person_moved(receivers.records_follow_town)
