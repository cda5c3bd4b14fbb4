from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo book and its simulated casework, on the top floor: it drives every other app
    through its services and nothing imports it (docs/demo-data.md)."""

    name = "autocollect.demo"
    label = "demo"
    verbose_name = _("演示数据")
