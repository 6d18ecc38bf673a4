from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "canpei.accounts"
    verbose_name = "账户"

    def ready(self) -> None:
        from canpei.accounts import signals  # noqa: F401  (connects the receivers)
