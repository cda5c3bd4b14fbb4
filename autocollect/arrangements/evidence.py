"""The arrangements' part of a case's evidence package: the arrangements, their installments and
their signed confirmations (the stored files), registered on ``core.hooks.case_evidence``."""

from __future__ import annotations

from autocollect.arrangements.models import Arrangement, ArrangementDocument, ArrangementInstallment
from autocollect.cases.evidence import EvidencePart, model_table, stored_file
from autocollect.cases.models import CollectionCase

APP = "arrangements"


def case_evidence(case: CollectionCase) -> EvidencePart:
    arrangements = list(Arrangement.objects.filter(case=case).order_by("pk"))
    installments = ArrangementInstallment.objects.filter(arrangement__in=arrangements)
    documents = list(
        ArrangementDocument.objects.filter(arrangement__in=arrangements).order_by("pk")
    )
    part = EvidencePart(
        tables=[
            model_table(APP, Arrangement, arrangements),
            model_table(APP, ArrangementInstallment, installments.order_by("pk")),
            model_table(APP, ArrangementDocument, documents),
        ]
    )
    for document in documents:
        stored_file(
            part,
            app_label=APP,
            obj=document,
            stored_path=document.stored_path,
            sha256=document.sha256,
        )
    return part
