from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConductConfig(AppConfig):
    name = "autocollect.conduct"
    label = "conduct"
    verbose_name = _("违规举报")
