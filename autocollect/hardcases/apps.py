from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HardcasesConfig(AppConfig):
    name = "autocollect.hardcases"
    label = "hardcases"
    verbose_name = _("失联修复与车辆风险")

    def ready(self) -> None:
        from autocollect.core import hooks
        from autocollect.documents.storage import document_folder_register
        from autocollect.hardcases.evidence import case_evidence
        from autocollect.hardcases.models import InvestigationAgency
        from autocollect.hardcases.services.agencies import LETTER_FOLDER

        # What this app keeps about a case goes into its evidence package (docs/evidence.md).
        hooks.case_evidence.register("hardcases", case_evidence)
        # The agencies' signed letters: the document store's sweep keeps the files they name.
        document_folder_register(LETTER_FOLDER, InvestigationAgency)
