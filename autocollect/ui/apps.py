from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UiConfig(AppConfig):
    """The shared web pieces every app with pages or endpoints uses (docs/architecture.md)."""

    name = "autocollect.ui"
    label = "ui"
    verbose_name = _("界面")

    def ready(self) -> None:
        from autocollect.ui.menu import MenuItem, menu_register

        # The API's schema page (config/api.py), open to anyone: it holds no data.
        menu_register(MenuItem(key="api_docs", label=_("API 文档"), url="/api/docs", order=100))
