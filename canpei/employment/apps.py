from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmploymentConfig(AppConfig):
    name = "canpei.employment"
    verbose_name = _("就业跟踪与服务")

    def ready(self) -> None:
        from canpei import hooks
        from canpei.employment import receivers

        hooks.on_person_moved(receivers.records_follow_town)
        self._register_followups()
        self._register_services()

    def _register_followups(self) -> None:
        """Follow-ups (canpei.employment.followups): scheduled when training completes finally;
        the ledger and the sheet."""
        from canpei import hooks
        from canpei.employment.followups import exports, imports
        from canpei.employment.followups.services import training_completed_receiver
        from canpei.employment.followups.summary import refresh_open_followups
        from canpei.spreadsheets.registry import register_export, register_import

        hooks.on_training_completed(training_completed_receiver)
        # Every writer of a follow-up (and every move) tells outcomes_changed: the open
        # follow-ups' summary follows in its transaction.
        hooks.on_outcomes_changed(refresh_open_followups)
        for export in exports.EXPORTS:
            register_export(export)
        for spec in imports.IMPORTS:
            register_import(spec)

    def _register_services(self) -> None:
        """Employment services (canpei.employment.support): the ledger."""
        from canpei.employment.support import exports as service_exports
        from canpei.spreadsheets.registry import register_export

        for spec in service_exports.EXPORTS:
            register_export(spec)
