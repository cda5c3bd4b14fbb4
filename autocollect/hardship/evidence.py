"""The hardship claims' part of a case's evidence package: the claims and their proofs (the
stored files), registered on ``core.hooks.case_evidence``."""

from __future__ import annotations

from autocollect.cases.evidence import EvidencePart, model_table, stored_file
from autocollect.cases.models import CollectionCase
from autocollect.hardship.models import ClaimDocument, HardshipClaim

APP = "hardship"


def case_evidence(case: CollectionCase) -> EvidencePart:
    claims = list(HardshipClaim.objects.filter(case=case).order_by("pk"))
    documents = list(ClaimDocument.objects.filter(claim__in=claims).order_by("pk"))
    part = EvidencePart(
        tables=[model_table(APP, HardshipClaim, claims), model_table(APP, ClaimDocument, documents)]
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
