from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "autocollect.core"
    label = "core"
    verbose_name = "Core"
