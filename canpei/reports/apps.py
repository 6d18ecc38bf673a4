from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "canpei.reports"
    verbose_name = _("统计与报表")

    def ready(self) -> None:
        from canpei import hooks
        from canpei.reports import exports, indicator_exports
        from canpei.reports.summaries import one_writer_at_a_time
        from canpei.reports.summaries.indicators import refresh_indicator_persons
        from canpei.reports.summaries.matching import refresh_matching_persons
        from canpei.reports.summaries.registry import (
            refresh_registry_persons, registry_persons_added,
        )
        from canpei.reports.summaries.targets import refresh_target_persons
        from canpei.spreadsheets.registry import register_export

        # The summaries follow every write of what they read, in its transaction, one writer
        # at a time (the first receiver takes the audit chain's head lock).
        hooks.on_outcomes_changed(one_writer_at_a_time)
        hooks.on_persons_added(one_writer_at_a_time)
        hooks.on_outcomes_changed(refresh_target_persons)
        hooks.on_outcomes_changed(refresh_indicator_persons)
        hooks.on_outcomes_changed(refresh_registry_persons)
        hooks.on_outcomes_changed(refresh_matching_persons)
        hooks.on_persons_added(registry_persons_added)

        for export in exports.EXPORTS + indicator_exports.EXPORTS:
            register_export(export)
