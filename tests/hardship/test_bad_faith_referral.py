"""A hardship claim decided as bad faith (恶意逃债) goes to legal with its own referral reason,
``bad_faith_hardship``, and a note naming the claim, so legal can find it (docs/hardship.md)."""

from __future__ import annotations

import pytest

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CollectionCase
from autocollect.compliance.models import ContactHold
from autocollect.hardship.claim_types import ClaimType
from autocollect.hardship.models import ClaimState
from autocollect.hardship.services import claim_decide, claim_file
from autocollect.legal.models import LegalReferral, ReferralReason

pytestmark = pytest.mark.django_db


def test_a_bad_faith_decision_refers_with_its_own_reason_naming_the_claim_audited(
    case: CollectionCase, collector: User, lead: User
) -> None:
    claim = claim_file(
        case=case, actor=collector, claim_type=ClaimType.JOB_LOSS, description="称已失业"
    )

    claim_decide(claim=claim, actor=lead, decision=ClaimState.BAD_FAITH, note="伪造失业证明")

    referral = LegalReferral.objects.get(case=case)
    assert referral.reason == ReferralReason.BAD_FAITH_HARDSHIP == "bad_faith_hardship"
    assert referral.get_reason_display() == "虚假困难申请、恶意逃废债"
    assert f"困难申请 #{claim.pk} " in referral.reason_note
    assert "伪造失业证明" in referral.reason_note
    assert referral.referred_by == lead
    assert ContactHold.objects.filter(case=case, reason="legal", released_at__isnull=True).exists()
    refer = AuditEvent.objects.get(action="legal.refer", object_id=str(referral.pk))
    assert refer.actor == lead.get_username()
    assert refer.after is not None
    assert refer.after["reason"] == "bad_faith_hardship"
    assert f"#{claim.pk}" in refer.reason
    decided = AuditEvent.objects.get(action="hardship.bad_faith", object_id=str(claim.pk))
    assert decided.after is not None
    assert decided.after["legal"] == f"referral:{referral.pk}"
