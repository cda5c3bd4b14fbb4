from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "autocollect.accounts"
    label = "accounts"
    verbose_name = _("账号")

    def ready(self) -> None:
        from autocollect.accounts import signals  # noqa: F401 - connects the audit receivers
        from autocollect.ui.menu import MenuItem, menu_register

        menu_register(MenuItem(key="admin", label=_("管理后台"), url="admin:index", order=110))
