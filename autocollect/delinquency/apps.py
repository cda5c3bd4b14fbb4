from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DelinquencyConfig(AppConfig):
    name = "autocollect.delinquency"
    label = "delinquency"
    verbose_name = _("逾期日批")
