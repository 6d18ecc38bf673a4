from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "canpei.accounts"
    verbose_name = _("账户")

    def ready(self) -> None:
        from canpei.accounts import signals  # noqa: F401  (connects the receivers)
