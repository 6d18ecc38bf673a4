from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "canpei.supervision"
    verbose_name = "培训监管"

    def ready(self) -> None:
        from canpei import hooks
        from canpei.spreadsheets.registry import register_export
        from canpei.supervision import compute, exports

        hooks.on_outcomes_changed(compute.records_changed)
        for spec in exports.EXPORTS:
            register_export(spec)
