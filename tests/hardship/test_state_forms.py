"""The hardship pages show a form only in a state where the service accepts it: in any other
state the form is absent, one line says why, and the service refuses with that very reason
(docs/hardship.md, "Pages")."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import User
from autocollect.cases.models import CaseStatus, CollectionCase
from autocollect.core.errors import Refused
from autocollect.hardship import services
from autocollect.hardship.models import ClaimDocument, ClaimState, HardshipClaim
from tests.arrangements.conftest import signed_pdf

pytestmark = pytest.mark.django_db


def page(user: User, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def case_page(user: User, case: CollectionCase) -> str:
    return page(user, reverse("hardship:case", args=[case.pk]))


def detail(user: User, claim: HardshipClaim) -> str:
    return page(user, reverse("hardship:detail", args=[claim.pk]))


def file_claim(case: CollectionCase, actor: User) -> HardshipClaim:
    return services.claim_file(case=case, actor=actor, claim_type="illness", description="住院手术")


def upload(claim: HardshipClaim, actor: User, doc_type: str) -> ClaimDocument:
    return services.document_upload(
        claim=claim, actor=actor, doc_type=doc_type, upload=signed_pdf("证明.pdf")
    )


def refused(call: object) -> str:
    assert callable(call)
    with pytest.raises(Refused) as caught:
        call()
    return caught.value.message


def line(form: str, reason: str) -> str:
    return f'data-refused="{form}">{reason}<'


@pytest.fixture
def claim(case: CollectionCase, collector: User) -> HardshipClaim:
    return file_claim(case, collector)


def test_an_open_case_without_an_open_claim_offers_the_filing_form(
    case: CollectionCase, collector: User
) -> None:
    shown = case_page(collector, case)
    assert 'id="file-claim"' in shown
    assert 'data-refused="file-claim"' not in shown


def test_a_closed_case_shows_why_instead_of_the_filing_form(
    case: CollectionCase, collector: User
) -> None:
    case.status = CaseStatus.CLOSED
    case.save(update_fields=["status"])

    shown = case_page(collector, case)
    assert 'id="file-claim"' not in shown
    assert line("file-claim", "案件已结案") in shown
    assert refused(lambda: file_claim(case, collector)) == "案件已结案"


def test_an_open_claim_shows_why_instead_of_the_filing_form(
    case: CollectionCase, claim: HardshipClaim, collector: User, lead: User
) -> None:
    reason = "该案件已有处理中的困难申请"
    shown = case_page(collector, case)
    assert 'id="file-claim"' not in shown
    assert line("file-claim", reason) in shown
    assert refused(lambda: file_claim(case, collector)) == reason

    # Once decided, a new claim may be filed again.
    services.claim_decide(claim=claim, actor=lead, decision="rejected", note="材料不实")
    assert 'id="file-claim"' in case_page(collector, case)


def test_a_decided_claim_takes_no_upload_nor_verification_nor_decision(
    claim: HardshipClaim, collector: User, lead: User
) -> None:
    document = upload(claim, collector, "medical_certificate")
    shown = detail(collector, claim)
    assert 'id="upload"' in shown
    assert f'id="verify-{document.pk}"' in detail(lead, claim)

    services.claim_decide(claim=claim, actor=lead, decision="rejected", note="材料不实")

    shown = detail(collector, claim)
    reason = "申请已有决定，不能再上传材料"
    assert 'id="upload"' not in shown
    assert line("upload", reason) in shown
    assert refused(lambda: upload(claim, collector, "medical_bills")) == reason

    shown = detail(lead, claim)
    reason = "申请已有决定，不能再核验材料"
    assert f'id="verify-{document.pk}"' not in shown
    assert line(f"verify-{document.pk}", reason) in shown
    assert (
        refused(lambda: services.document_verify(document=document, actor=lead, ok=True)) == reason
    )

    reason = "申请已办结，不能再作决定"
    assert 'id="decide"' not in shown
    assert line("decide", reason) in shown
    assert 'id="decide"' not in detail(collector, claim)
    assert line("decide", reason) in detail(collector, claim)  # the filer could have withdrawn
    assert (
        refused(
            lambda: services.claim_decide(claim=claim, actor=lead, decision="withdrawn", note="x")
        )
        == reason
    )


def test_a_verified_document_shows_why_instead_of_the_verify_form(
    claim: HardshipClaim, collector: User, lead: User
) -> None:
    document = upload(claim, collector, "medical_certificate")
    services.document_verify(document=document, actor=lead, ok=True)
    document.refresh_from_db()

    reason = "该材料已核验"
    shown = detail(lead, claim)
    assert f'id="verify-{document.pk}"' not in shown
    assert line(f"verify-{document.pk}", reason) in shown
    assert (
        refused(lambda: services.document_verify(document=document, actor=lead, ok=True)) == reason
    )
    # The uploader never verifies: no line for them.
    assert f'data-refused="verify-{document.pk}"' not in detail(collector, claim)


def test_an_incomplete_claim_offers_no_favourable_decision_and_says_why(
    claim: HardshipClaim, collector: User, lead: User
) -> None:
    reason = "材料尚未核验齐全，不能同意协商还款或暂停催收"
    shown = detail(lead, claim)
    assert 'id="decide"' in shown  # rejecting, bad faith and withdrawal need no documents
    assert '<option value="arrangement">' not in shown
    assert '<option value="paused">' not in shown
    assert line("decide", reason) in shown
    for decision in ("arrangement", "paused"):
        assert (
            refused(
                lambda d=decision: services.claim_decide(
                    claim=claim, actor=lead, decision=d, note="同意", pause_days=30
                )
            )
            == reason
        )
    # The filer may only withdraw: the favourable decisions are not theirs, no line.
    assert 'data-refused="decide"' not in detail(collector, claim)


def test_a_complete_claim_offers_every_decision(
    claim: HardshipClaim, collector: User, lead: User
) -> None:
    for doc_type in ("medical_certificate", "medical_bills"):
        services.document_verify(document=upload(claim, collector, doc_type), actor=lead, ok=True)
    claim.refresh_from_db()
    assert claim.state == ClaimState.READY

    shown = detail(lead, claim)
    assert 'id="decide"' in shown
    assert 'data-refused="decide"' not in shown
    for decision in ("arrangement", "paused", "rejected", "bad_faith", "withdrawn"):
        assert f'<option value="{decision}">' in shown
