from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "canpei.funds"
    verbose_name = _("资金")

    def ready(self) -> None:
        from canpei.funds import exports
        from canpei.funds.services import settle_class_payment
        from canpei.spreadsheets.registry import register_export
        from canpei.training.classes.services import SETTLEMENT_HOOKS

        if settle_class_payment not in SETTLEMENT_HOOKS:
            SETTLEMENT_HOOKS.append(settle_class_payment)
        for spec in exports.EXPORTS:
            register_export(spec)
