"""Hardship claims: required documents per type, verification by a named other user, the
decision and its effects (pause, legal referral), deadlines for missing documents."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CaseFlag, CollectionCase
from autocollect.core.errors import ApplicationError, Refused
from autocollect.delinquency.models import LoanPause
from autocollect.hardship.claim_types import ClaimType, DocumentType
from autocollect.hardship.models import ClaimState, HardshipClaim
from autocollect.hardship.selectors import missing_documents
from autocollect.hardship.services import (
    claim_decide,
    claim_file,
    document_upload,
    document_verify,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)


def pdf(name: str = "证明.pdf", body: bytes = b"1") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + body, content_type="application/pdf")


def job_loss(case: CollectionCase, collector: User) -> HardshipClaim:
    return claim_file(
        case=case,
        actor=collector,
        claim_type=ClaimType.JOB_LOSS,
        description="公司裁员，三月起无收入",
        today=TODAY,
    )


def ready_claim(case: CollectionCase, collector: User, lead: User) -> HardshipClaim:
    claim = job_loss(case, collector)
    for n, doc_type in enumerate(
        (DocumentType.UNEMPLOYMENT_CERTIFICATE, DocumentType.INCOME_PROOF)
    ):
        doc = document_upload(
            claim=claim, actor=collector, doc_type=doc_type, upload=pdf(body=str(n).encode())
        )
        document_verify(document=doc, actor=lead, ok=True)
    claim.refresh_from_db()
    return claim


def test_filing_sets_the_flag_and_the_document_deadline(
    case: CollectionCase, collector: User
) -> None:
    claim = job_loss(case, collector)
    assert claim.state == ClaimState.AWAITING_DOCUMENTS
    assert claim.documents_due_on == TODAY + timedelta(days=15)
    assert missing_documents(claim) == ["unemployment_certificate", "income_proof"]
    assert CaseFlag.objects.filter(case=case, kind="hardship_claimed", cleared_at=None).exists()
    with pytest.raises(Refused):
        job_loss(case, collector)  # one open claim per case


def test_the_last_verified_required_document_makes_the_claim_ready(
    case: CollectionCase, collector: User, lead: User
) -> None:
    claim = ready_claim(case, collector, lead)
    assert claim.state == ClaimState.READY
    assert missing_documents(claim) == []
    doc = claim.documents.first()
    assert doc is not None
    assert doc.verified_by == lead
    assert len(doc.sha256) == 64


def test_nobody_verifies_their_own_upload(case: CollectionCase, collector: User) -> None:
    claim = job_loss(case, collector)
    doc = document_upload(
        claim=claim, actor=collector, doc_type=DocumentType.INCOME_PROOF, upload=pdf()
    )
    with pytest.raises(Refused, match="自己"):
        document_verify(document=doc, actor=collector, ok=True)
    doc.refresh_from_db()
    assert doc.verified_at is None


def test_a_refused_document_does_not_count(
    case: CollectionCase, collector: User, lead: User
) -> None:
    claim = job_loss(case, collector)
    doc = document_upload(
        claim=claim, actor=collector, doc_type=DocumentType.INCOME_PROOF, upload=pdf()
    )
    with pytest.raises(ApplicationError):
        document_verify(document=doc, actor=lead, ok=False)  # a refusal needs a reason
    document_verify(document=doc, actor=lead, ok=False, note="印章模糊")
    assert "income_proof" in missing_documents(claim)


def test_no_favourable_decision_while_documents_are_missing(
    case: CollectionCase, collector: User, lead: User
) -> None:
    claim = job_loss(case, collector)
    for decision in (ClaimState.ARRANGEMENT, ClaimState.PAUSED):
        with pytest.raises(Refused):
            claim_decide(claim=claim, actor=lead, decision=decision, note="同意", pause_days=30)
    claim.refresh_from_db()
    assert claim.state == ClaimState.AWAITING_DOCUMENTS
    assert not LoanPause.objects.exists()


def test_a_collector_cannot_decide(case: CollectionCase, collector: User, lead: User) -> None:
    claim = ready_claim(case, collector, lead)
    with pytest.raises(Refused, match="组长"):
        claim_decide(claim=claim, actor=collector, decision=ClaimState.ARRANGEMENT, note="同意")


def test_a_temporary_pause_uses_the_delinquency_pause(
    case: CollectionCase, collector: User, lead: User
) -> None:
    claim = ready_claim(case, collector, lead)
    claim_decide(
        claim=claim,
        actor=lead,
        decision=ClaimState.PAUSED,
        note="住院治疗",
        pause_days=30,
        today=TODAY,
    )
    pause = LoanPause.objects.get(loan=case.loan)
    assert (pause.start_on, pause.end_on) == (TODAY, TODAY + timedelta(days=29))
    assert pause.case == case
    assert claim.state == ClaimState.PAUSED
    assert AuditEvent.objects.filter(action="hardship.paused").exists()
    with pytest.raises(Refused):
        claim_decide(claim=claim, actor=lead, decision=ClaimState.REJECTED, note="改判")


def test_bad_faith_refers_the_case_to_legal(
    case: CollectionCase, collector: User, lead: User
) -> None:
    claim = job_loss(case, collector)
    claim_decide(claim=claim, actor=lead, decision=ClaimState.BAD_FAITH, note="伪造失业证明")
    case.refresh_from_db()
    assert case.legal_referred_at is not None
    assert claim.state == ClaimState.BAD_FAITH
    assert not CaseFlag.objects.filter(case=case, kind="hardship_claimed", cleared_at=None).exists()


def test_overdue_claims_are_listed_and_lapsed(case: CollectionCase, collector: User) -> None:
    claim = job_loss(case, collector)
    out = StringIO()
    call_command("hardship_overdue", "--as-of", str(claim.documents_due_on), stdout=out)
    assert "0 overdue" in out.getvalue()
    late = str(claim.documents_due_on + timedelta(days=1))
    call_command("hardship_overdue", "--as-of", late, "--lapse", stdout=out)
    assert f"{claim.pk}\tcase={case.pk}" in out.getvalue()
    claim.refresh_from_db()
    assert claim.state == ClaimState.LAPSED
