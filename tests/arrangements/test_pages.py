"""The arrangement and hardship pages end to end through Django's test client: propose a plan,
approve it as the team lead, upload the signed confirmation; file a hardship claim and upload a
document. Forbidden actions come back as messages, not errors."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import User
from autocollect.arrangements.models import Arrangement, ArrangementState
from autocollect.cases.models import CollectionCase
from autocollect.hardship.models import HardshipClaim
from tests.arrangements.conftest import signed_pdf

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_propose_approve_and_confirm_through_the_pages(
    case: CollectionCase, collector: User, lead: User
) -> None:
    agent = client_for(collector)
    page = agent.get(reverse("arrangements:case", args=[case.pk]))
    assert page.status_code == 200
    response = agent.post(
        reverse("arrangements:case", args=[case.pk]),
        {
            "kind": "installment_plan",
            "installments": "3",
            "discount_penalty": "0",
            "reason": "失业",
        },
    )
    plan = Arrangement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("arrangements:detail", args=[plan.pk])
    # The proposer sees no approval form and cannot approve by posting it.
    detail = agent.get(response["Location"]).content.decode()
    assert 'id="decide"' not in detail
    # The approving role by its name, not its code.
    assert '<dd data-field="approver-role">组长</dd>' in detail
    agent.post(reverse("arrangements:decide", args=[plan.pk]), {"decision": "approve"})
    plan.refresh_from_db()
    assert plan.state == ArrangementState.PROPOSED

    boss = client_for(lead)
    assert f"#{plan.pk}" in boss.get(reverse("arrangements:awaiting")).content.decode()
    boss.post(
        reverse("arrangements:decide", args=[plan.pk]), {"decision": "approve", "note": "同意"}
    )
    plan.refresh_from_db()
    assert plan.state == ArrangementState.APPROVED
    agent.post(reverse("arrangements:confirm", args=[plan.pk]), {"document": signed_pdf()})
    plan.refresh_from_db()
    assert plan.state == ArrangementState.ACTIVE
    assert plan.documents.count() == 1


def test_a_case_the_user_cannot_see_is_not_found(case: CollectionCase, risk: User) -> None:
    from tests.factories import make_user

    stranger = make_user("collector.other")
    assert client_for(stranger).get(reverse("arrangements:case", args=[case.pk])).status_code == 404


def test_file_a_hardship_claim_and_upload_a_document(case: CollectionCase, collector: User) -> None:
    agent = client_for(collector)
    response = agent.post(
        reverse("hardship:case", args=[case.pk]),
        {"claim_type": "illness", "description": "住院手术"},
    )
    claim = HardshipClaim.objects.get()
    assert response["Location"] == reverse("hardship:detail", args=[claim.pk])
    agent.post(
        reverse("hardship:upload", args=[claim.pk]),
        {"doc_type": "medical_certificate", "document": signed_pdf("诊断证明.pdf")},
    )
    page = agent.get(reverse("hardship:detail", args=[claim.pk])).content.decode()
    assert "诊断证明.pdf" in page
    assert claim.documents.get().doc_type == "medical_certificate"
