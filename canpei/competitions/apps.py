from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitionsConfig(AppConfig):
    name = "canpei.competitions"
    verbose_name = _("职业技能竞赛与典型案例")

    def ready(self) -> None:
        from canpei import hooks
        from canpei.competitions import exports, receivers
        from canpei.spreadsheets.registry import register_export

        hooks.on_person_moved(receivers.records_follow_town)
        for spec in exports.EXPORTS:
            register_export(spec)
