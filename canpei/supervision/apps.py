from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "canpei.supervision"
    verbose_name = _("培训监管")

    def ready(self) -> None:
        from canpei import hooks
        from canpei.spreadsheets.registry import register_export
        from canpei.supervision import compute, exports
        from canpei.supervision.checks import alerts_on_class
        from canpei.training.classes import checks

        hooks.on_outcomes_changed(compute.records_changed)
        hooks.on_person_moved(compute.alerts_follow_town)
        # The completion-audit checklist shows the alerts about the class, last.
        if alerts_on_class not in checks.CHECKS:
            checks.CHECKS.append(alerts_on_class)
        for spec in exports.EXPORTS:
            register_export(spec)
