"""Hardship claim types and the documents each requires, as data (docs/hardship.md).

A claim can be decided in the borrower's favour (arrangement, temporary pause) only when every
required document of its type has been uploaded and verified by a named user.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClaimType(models.TextChoices):
    JOB_LOSS = "job_loss", _("失业")
    ILLNESS = "illness", _("疾病")
    BUSINESS_FAILURE = "business_failure", _("经营失败")
    DISASTER = "disaster", _("自然灾害或意外")
    OTHER = "other", _("其他")


class DocumentType(models.TextChoices):
    UNEMPLOYMENT_CERTIFICATE = "unemployment_certificate", _("失业证明")
    INCOME_PROOF = "income_proof", _("收入证明")
    BANK_STATEMENT = "bank_statement", _("银行流水")
    MEDICAL_CERTIFICATE = "medical_certificate", _("医疗证明")
    MEDICAL_BILLS = "medical_bills", _("医疗费用单据")
    BUSINESS_CLOSURE = "business_closure", _("营业执照注销或停业证明")
    FINANCIAL_STATEMENT = "financial_statement", _("经营财务报表")
    DISASTER_PROOF = "disaster_proof", _("受灾证明")
    STATEMENT = "statement", _("情况说明（本人签字）")
    OTHER = "other", _("其他材料")


REQUIRED_DOCUMENTS: dict[str, tuple[str, ...]] = {
    ClaimType.JOB_LOSS: (DocumentType.UNEMPLOYMENT_CERTIFICATE, DocumentType.INCOME_PROOF),
    ClaimType.ILLNESS: (DocumentType.MEDICAL_CERTIFICATE, DocumentType.MEDICAL_BILLS),
    ClaimType.BUSINESS_FAILURE: (
        DocumentType.BUSINESS_CLOSURE,
        DocumentType.FINANCIAL_STATEMENT,
    ),
    ClaimType.DISASTER: (DocumentType.DISASTER_PROOF,),
    ClaimType.OTHER: (DocumentType.STATEMENT, DocumentType.INCOME_PROOF),
}

# Days the borrower has to provide the missing documents.
DOCUMENT_DEADLINE_DAYS = 15
