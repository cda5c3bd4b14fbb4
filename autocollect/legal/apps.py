from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "autocollect.legal"
    label = "legal"
    verbose_name = _("法务")

    def ready(self) -> None:
        from autocollect.accounts.access import has_permission
        from autocollect.core import hooks
        from autocollect.legal.evidence import case_evidence
        from autocollect.ui.menu import MenuItem, menu_register, on_app

        # What this app keeps about a case goes into its evidence package (docs/evidence.md).
        hooks.case_evidence.register("legal", case_evidence)

        menu_register(
            MenuItem(
                key="legal",
                label=_("法务"),
                url="legal:list",
                order=50,
                visible=lambda user: has_permission(user, "view_legal"),
                current=on_app("legal"),
            ),
            MenuItem(
                key="legal_deadlines",
                label=_("法务期限"),
                url="legal:deadlines",
                order=60,
                visible=lambda user: has_permission(user, "view_legal"),
            ),
        )
