from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HardshipConfig(AppConfig):
    name = "autocollect.hardship"
    label = "hardship"
    verbose_name = _("困难申请")

    def ready(self) -> None:
        from autocollect.core import hooks
        from autocollect.documents.storage import document_folder_register
        from autocollect.hardship.evidence import case_evidence
        from autocollect.hardship.models import ClaimDocument
        from autocollect.hardship.services import DOCUMENT_FOLDER

        # What this app keeps about a case goes into its evidence package (docs/evidence.md).
        hooks.case_evidence.register("hardship", case_evidence)
        # The proofs: the document store's sweep keeps the files these rows name.
        document_folder_register(DOCUMENT_FOLDER, ClaimDocument)
