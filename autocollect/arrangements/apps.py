from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArrangementsConfig(AppConfig):
    name = "autocollect.arrangements"
    label = "arrangements"
    verbose_name = _("还款安排")

    def ready(self) -> None:
        from autocollect.accounts.access import has_any_permission
        from autocollect.arrangements.evidence import case_evidence
        from autocollect.arrangements.models import ArrangementDocument
        from autocollect.arrangements.services import DOCUMENT_FOLDER, arrangements_evaluate
        from autocollect.core import hooks
        from autocollect.documents.storage import document_folder_register
        from autocollect.ui.menu import MenuItem, menu_register, on_app

        # The daily cycle judges the active arrangements of each date it completes; their
        # figures are the cycle's "arrangements" (docs/arrangements.md).
        hooks.cycle_date_judged.register("arrangements", arrangements_evaluate)
        # What this app keeps about a case goes into its evidence package (docs/evidence.md).
        hooks.case_evidence.register("arrangements", case_evidence)
        # The signed confirmations: the document store's sweep keeps the files these rows name.
        document_folder_register(DOCUMENT_FOLDER, ArrangementDocument)

        menu_register(
            MenuItem(
                key="arrangements",
                label=_("方案审批"),
                url="arrangements:awaiting",
                order=40,
                visible=lambda user: has_any_permission(user, ("view_team", "view_reports")),
                current=on_app("arrangements"),
            )
        )
