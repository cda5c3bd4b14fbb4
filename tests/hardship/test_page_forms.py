"""The hardship pages show each form only to a user who may submit it (the services refuse the
others anyway): filing and uploading need work_cases, verifying work_cases or view_team and not
one's own upload, deciding a team lead, withdrawing the filer too (docs/hardship.md, "Pages")."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import Team, User
from autocollect.accounts.roles import Role
from autocollect.cases.models import CollectionCase
from autocollect.hardship.models import ClaimDocument, HardshipClaim
from autocollect.hardship.services import claim_file, document_upload
from tests.arrangements.conftest import make_case, signed_pdf
from tests.factories import make_user
from tests.hardship.test_services import ready_claim

pytestmark = pytest.mark.django_db


def page(user: User, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def detail(user: User, claim: HardshipClaim) -> str:
    return page(user, reverse("hardship:detail", args=[claim.pk]))


@pytest.fixture
def claim(case: CollectionCase, collector: User) -> HardshipClaim:
    return claim_file(case=case, actor=collector, claim_type="illness", description="住院手术")


@pytest.fixture
def document(claim: HardshipClaim, collector: User) -> ClaimDocument:
    return document_upload(
        claim=claim,
        actor=collector,
        doc_type="medical_certificate",
        upload=signed_pdf("诊断证明.pdf"),
    )


@pytest.fixture
def compliance(db: None) -> User:
    return make_user("qa.sun", Role.COMPLIANCE)


def test_the_decision_form_offers_a_team_lead_every_decision_and_the_filer_only_withdrawal(
    case: CollectionCase, claim: HardshipClaim, collector: User, lead: User, team: Team
) -> None:
    lead_page = detail(lead, claim)
    assert 'id="decide"' in lead_page
    for decision in ("rejected", "bad_faith", "withdrawn"):
        assert f'<option value="{decision}">' in lead_page

    filer_page = detail(collector, claim)
    assert 'id="decide"' in filer_page
    assert '<option value="withdrawn">' in filer_page
    assert '<option value="rejected">' not in filer_page
    assert '<option value="bad_faith">' not in filer_page

    # A colleague who took over the case did not file the claim: nothing to decide.
    colleague = make_user("collector.zhou", Role.COLLECTOR, team=team)
    case.assigned_agent = colleague
    case.save(update_fields=["assigned_agent"])
    assert 'id="decide"' not in detail(colleague, claim)


def test_filing_and_uploading_forms_are_for_those_who_work_cases(
    case: CollectionCase, claim: HardshipClaim, collector: User, risk: User, compliance: User
) -> None:
    # A case without an open claim (on ``case`` the claim is open: no second one).
    case_url = reverse("hardship:case", args=[make_case(collector).pk])
    assert 'id="file-claim"' in page(collector, case_url)
    assert 'id="upload"' in detail(collector, claim)
    for reader in (risk, compliance):
        assert 'id="file-claim"' not in page(reader, case_url)
        assert 'id="upload"' not in detail(reader, claim)
        assert 'id="decide"' not in detail(reader, claim)


def test_the_verify_form_is_for_another_user_who_works_cases_or_leads_the_team(
    claim: HardshipClaim,
    document: ClaimDocument,
    collector: User,
    lead: User,
    risk: User,
    compliance: User,
) -> None:
    form = f'id="verify-{document.pk}"'
    assert form in detail(lead, claim)
    assert form not in detail(collector, claim)  # the uploader
    assert form not in detail(risk, claim)
    assert form not in detail(compliance, claim)


@pytest.mark.parametrize("days", ["٣٠", "30.5", "1e2", "-3"])
def test_pause_days_not_written_in_plain_digits_are_refused_and_nothing_is_decided(
    case: CollectionCase, collector: User, lead: User, days: str
) -> None:
    claim = ready_claim(case, collector, lead)
    client = Client()
    client.force_login(lead)
    response = client.post(
        reverse("hardship:decide", args=[claim.pk]),
        {"decision": "paused", "note": "住院治疗", "pause_days": days},
        follow=True,
    )

    assert "暂停天数须为整数" in response.content.decode()
    claim.refresh_from_db()
    assert claim.state != "paused"
