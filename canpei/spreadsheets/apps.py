from django.apps import AppConfig


class SpreadsheetsConfig(AppConfig):
    name = "canpei.spreadsheets"
    label = "spreadsheets"
    verbose_name = "表格导入导出"
