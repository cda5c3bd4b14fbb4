from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HardshipConfig(AppConfig):
    name = "autocollect.hardship"
    label = "hardship"
    verbose_name = _("困难申请")

    def ready(self) -> None:
        from autocollect.core import hooks
        from autocollect.hardship.evidence import case_evidence

        # What this app keeps about a case goes into its evidence package (docs/evidence.md).
        hooks.case_evidence.register("hardship", case_evidence)
