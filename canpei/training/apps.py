from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "canpei.training"
    verbose_name = _("培训")

    def ready(self) -> None:
        from canpei import hooks
        from canpei.spreadsheets.registry import register_export, register_import
        from canpei.training import receivers
        from canpei.training.applications import exports as application_exports
        from canpei.training.classes import exports, imports

        hooks.on_person_moved(receivers.enrollments_follow_town)

        for export in exports.EXPORTS + application_exports.EXPORTS:
            register_export(export)
        for spec in imports.IMPORTS:
            register_import(spec)
