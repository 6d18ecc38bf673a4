from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "canpei.people"
    verbose_name = _("人员")

    def ready(self) -> None:
        from canpei.people import exports, imports
        from canpei.people.surveys import imports as survey_imports
        from canpei.spreadsheets.registry import register_export, register_import

        for export in exports.EXPORTS:
            register_export(export)
        for spec in imports.IMPORTS + survey_imports.IMPORTS:
            register_import(spec)
