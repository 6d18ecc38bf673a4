from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpreadsheetsConfig(AppConfig):
    name = "canpei.spreadsheets"
    label = "spreadsheets"
    verbose_name = _("表格导入导出")
