from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UiConfig(AppConfig):
    """The shared web pieces every app with pages or endpoints uses (docs/architecture.md)."""

    name = "autocollect.ui"
    label = "ui"
    verbose_name = _("界面")
