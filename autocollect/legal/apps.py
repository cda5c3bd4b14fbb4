from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "autocollect.legal"
    label = "legal"
    verbose_name = _("法务")

    def ready(self) -> None:
        from autocollect.core import hooks
        from autocollect.legal.evidence import case_evidence

        # What this app keeps about a case goes into its evidence package (docs/evidence.md).
        hooks.case_evidence.register("legal", case_evidence)
