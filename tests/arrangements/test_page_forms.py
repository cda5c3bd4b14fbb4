"""The arrangement pages show each form only to a user who may submit it (the services refuse
the others anyway): proposing and the signed confirmation need work_cases, deciding an approver
role that did not propose (approving: within its limits), withdrawing the proposer or an
approver (docs/arrangements.md, "Pages")."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.arrangements.models import Arrangement, ArrangementKind
from autocollect.arrangements.services import arrangement_approve, arrangement_propose
from autocollect.cases.models import CollectionCase
from autocollect.engine.arrangements import Components
from tests.arrangements.conftest import TODAY, make_case
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def page(user: User, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def detail(user: User, arrangement: Arrangement) -> str:
    return page(user, reverse("arrangements:detail", args=[arrangement.pk]))


def propose(case: CollectionCase, actor: User, **kw: object) -> Arrangement:
    params: dict[str, object] = {
        "kind": ArrangementKind.INSTALLMENT_PLAN,
        "installments": 3,
        "reason": "借款人失业，申请分期",
    }
    params.update(kw)
    return arrangement_propose(case=case, actor=actor, today=TODAY, **params)  # type: ignore[arg-type]


@pytest.fixture
def compliance(db: None) -> User:
    return make_user("qa.sun", Role.COMPLIANCE)


def test_the_proposal_form_is_for_those_who_work_cases(
    case: CollectionCase, collector: User, lead: User, risk: User, compliance: User
) -> None:
    url = reverse("arrangements:case", args=[case.pk])
    assert 'id="propose"' in page(collector, url)
    assert 'id="propose"' in page(lead, url)
    assert 'id="propose"' not in page(risk, url)
    assert 'id="propose"' not in page(compliance, url)


def test_the_decision_form_is_for_approvers_other_than_the_proposer(
    case: CollectionCase, collector: User, lead: User, risk: User, compliance: User
) -> None:
    plan = propose(case, collector)

    for approver in (lead, risk):
        shown = detail(approver, plan)
        assert 'id="decide"' in shown
        assert 'value="approve"' in shown
    for other in (collector, compliance, make_user("admin", Role.ADMIN)):
        assert 'id="decide"' not in detail(other, plan)


def test_above_the_limit_a_team_lead_may_only_reject(
    collector: User, lead: User, risk: User
) -> None:
    big = propose(
        make_case(collector),
        collector,
        kind=ArrangementKind.SETTLEMENT,
        installments=1,
        discount=Components(principal_fen=1_000_000),  # 25 % of a 40,000-yuan payoff
    )

    lead_page = detail(lead, big)
    assert 'id="decide"' in lead_page
    assert 'value="reject"' in lead_page
    assert 'value="approve"' not in lead_page
    assert 'value="approve"' in detail(risk, big)


def test_the_withdraw_form_is_for_the_proposer_and_the_approvers(
    case: CollectionCase, collector: User, lead: User, risk: User, compliance: User
) -> None:
    plan = propose(case, collector)

    for allowed in (collector, lead, risk):
        assert 'id="withdraw"' in detail(allowed, plan)
    for refused in (compliance, make_user("admin", Role.ADMIN)):
        assert 'id="withdraw"' not in detail(refused, plan)


def test_the_signed_confirmation_form_is_for_those_who_work_the_case(
    case: CollectionCase, collector: User, lead: User, risk: User, compliance: User
) -> None:
    plan = propose(case, collector)
    arrangement_approve(arrangement=plan, actor=lead, note="同意")

    assert 'id="confirm"' in detail(collector, plan)
    assert 'id="confirm"' in detail(lead, plan)
    assert 'id="confirm"' not in detail(risk, plan)
    assert 'id="confirm"' not in detail(compliance, plan)
