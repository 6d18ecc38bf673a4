from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "canpei.accounts"
    verbose_name = "账户"
