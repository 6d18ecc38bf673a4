from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "canpei.training"
    verbose_name = "培训"
