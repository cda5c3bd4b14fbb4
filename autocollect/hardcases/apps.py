from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HardcasesConfig(AppConfig):
    name = "autocollect.hardcases"
    label = "hardcases"
    verbose_name = _("失联修复与车辆风险")
