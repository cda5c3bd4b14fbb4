from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConductConfig(AppConfig):
    name = "autocollect.conduct"
    label = "conduct"
    verbose_name = _("违规举报")

    def ready(self) -> None:
        from autocollect.accounts.access import has_permission
        from autocollect.ui.menu import MenuItem, menu_register, on_app

        # Investigators work the reports; everyone else signed in may file one.
        menu_register(
            MenuItem(
                key="conduct",
                label=_("违规举报处理"),
                url="conduct:list",
                order=80,
                visible=lambda user: has_permission(user, "investigate_misconduct"),
                current=on_app("conduct"),
            ),
            MenuItem(
                key="conduct_report",
                label=_("违规举报"),
                url="conduct:report",
                order=80,
                visible=lambda user: (
                    bool(user and user.is_authenticated)
                    and not has_permission(user, "investigate_misconduct")
                ),
                current=on_app("conduct"),
            ),
        )
