"""Costs of the legal route (court fee, lawyer, mediation, preservation, enforcement, vehicle
recovery, other), recorded at any stage (docs/legal.md, "Stages")."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse
from autocollect.legal.models import CostKind, LegalCost, LegalReferral
from autocollect.legal.permissions import referral_work_refusal


@transaction.atomic
def cost_record(
    *,
    referral: LegalReferral,
    actor: User,
    kind: str,
    amount_fen: int,
    incurred_on: date,
    note: str = "",
) -> LegalCost:
    refuse(referral_work_refusal(actor))
    if kind not in CostKind.values:
        raise ApplicationError(
            _("未知的费用类型：%(value)s") % {"value": kind}, extra={"field": "kind"}
        )
    if amount_fen <= 0:
        raise ApplicationError(_("金额须大于零"), extra={"field": "amount_fen"})
    cost = LegalCost.objects.create(
        referral=referral,
        kind=kind,
        amount_fen=amount_fen,
        incurred_on=incurred_on,
        note=note.strip(),
        recorded_by=actor.get_username(),
        recorded_at=clock.now(),
    )
    audit_record(
        actor=actor.get_username(),
        action="legal.cost",
        obj=cost,
        after={"referral": referral.pk, "kind": kind, "amount_fen": amount_fen},
    )
    return cost
