from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "canpei.reports"
    verbose_name = "统计与报表"

    def ready(self) -> None:
        from canpei.reports import exports, indicator_exports
        from canpei.spreadsheets.registry import register_export

        for export in exports.EXPORTS + indicator_exports.EXPORTS:
            register_export(export)
