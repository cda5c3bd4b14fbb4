"""The legal route's part of a case's evidence package: the referrals and their defendants,
mediation sessions, hearings, costs and deadlines, registered on ``core.hooks.case_evidence``."""

from __future__ import annotations

from django.db import models

from autocollect.cases.evidence import EvidencePart, model_table
from autocollect.cases.models import CollectionCase
from autocollect.legal.models import (
    Defendant,
    Hearing,
    LegalCost,
    LegalDeadline,
    LegalReferral,
    MediationSession,
)

APP = "legal"
# What hangs off a referral, each read through its ``referral`` foreign key.
OF_REFERRAL: tuple[type[models.Model], ...] = (
    Defendant,
    MediationSession,
    Hearing,
    LegalCost,
    LegalDeadline,
)


def case_evidence(case: CollectionCase) -> EvidencePart:
    referrals = list(LegalReferral.objects.filter(case=case).order_by("pk"))
    tables = [model_table(APP, LegalReferral, referrals)]
    for model in OF_REFERRAL:
        rows = model._default_manager.filter(referral__in=referrals).order_by("pk")
        tables.append(model_table(APP, model, rows))
    return EvidencePart(tables=tables)
