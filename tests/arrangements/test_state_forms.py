"""The arrangement pages show a form only in a state where the service accepts it: in any other
state the form is absent, one line says why, and the service refuses with that very reason
(docs/arrangements.md, "Pages")."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import User
from autocollect.arrangements import permissions, services
from autocollect.arrangements.models import Arrangement, ArrangementKind, ArrangementState
from autocollect.cases.models import CaseStatus, CollectionCase
from autocollect.core.errors import Refused
from tests.arrangements.conftest import TODAY, signed_pdf

pytestmark = pytest.mark.django_db


def page(user: User, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def case_page(user: User, case: CollectionCase) -> str:
    return page(user, reverse("arrangements:case", args=[case.pk]))


def detail(user: User, arrangement: Arrangement) -> str:
    return page(user, reverse("arrangements:detail", args=[arrangement.pk]))


def propose(case: CollectionCase, actor: User) -> Arrangement:
    return services.arrangement_propose(
        case=case,
        actor=actor,
        kind=ArrangementKind.INSTALLMENT_PLAN,
        installments=3,
        reason="借款人失业，申请分期",
        today=TODAY,
    )


def refused(call: object) -> str:
    assert callable(call)
    with pytest.raises(Refused) as caught:
        call()
    return caught.value.message


def test_an_open_case_without_a_live_arrangement_offers_the_proposal_form(
    case: CollectionCase, collector: User, lead: User
) -> None:
    plan = propose(case, collector)
    services.arrangement_reject(arrangement=plan, actor=lead, note="收入不足")

    shown = case_page(collector, case)
    assert 'id="propose"' in shown
    assert 'data-refused="propose"' not in shown


def test_a_closed_case_shows_why_instead_of_the_proposal_form(
    case: CollectionCase, collector: User
) -> None:
    case.status = CaseStatus.CLOSED
    case.save(update_fields=["status"])

    shown = case_page(collector, case)
    assert 'id="propose"' not in shown
    assert '<p class="meta" data-refused="propose">案件已结案</p>' in shown
    assert refused(lambda: propose(case, collector)) == "案件已结案"


@pytest.mark.parametrize("state", ["proposed", "approved", "active"])
def test_a_live_arrangement_shows_why_instead_of_the_proposal_form(
    case: CollectionCase, collector: User, lead: User, state: str
) -> None:
    plan = propose(case, collector)
    if state != "proposed":
        services.arrangement_approve(arrangement=plan, actor=lead)
    if state == "active":
        services.arrangement_confirm(arrangement=plan, actor=collector, upload=signed_pdf())
    plan.refresh_from_db()
    assert plan.state == state

    reason = "该案件已有待审批或执行中的还款方案"
    shown = case_page(collector, case)
    assert 'id="propose"' not in shown
    assert f'data-refused="propose">{reason}<' in shown
    assert refused(lambda: propose(case, collector)) == reason
    # A user who may not propose at all is not told about the state.
    assert permissions.arrangement_propose_refusal(lead, case) == reason


def test_a_decided_arrangement_shows_why_instead_of_the_decision_form(
    case: CollectionCase, collector: User, lead: User, risk: User
) -> None:
    plan = propose(case, collector)
    assert 'id="decide"' in detail(lead, plan)
    services.arrangement_approve(arrangement=plan, actor=lead)

    reason = "方案当前为“已批准，待借款人签字确认”，不能审批"
    shown = detail(risk, plan)
    assert 'id="decide"' not in shown
    assert f'data-refused="decide">{reason}<' in shown
    assert refused(lambda: services.arrangement_approve(arrangement=plan, actor=risk)) == reason
    assert (
        refused(lambda: services.arrangement_reject(arrangement=plan, actor=risk, note="否"))
        == reason
    )
    # The proposer never decides: no form and no state line for them.
    assert 'data-refused="decide"' not in detail(collector, plan)


def test_an_approved_arrangement_takes_the_signed_confirmation_and_an_active_one_does_not(
    case: CollectionCase, collector: User, lead: User
) -> None:
    plan = propose(case, collector)
    shown = detail(collector, plan)
    assert 'id="confirm"' not in shown
    reason = "方案当前为“待审批”，不能上传签字确认"
    assert f'data-refused="confirm">{reason}<' in shown
    assert (
        refused(
            lambda: services.arrangement_confirm(
                arrangement=plan, actor=collector, upload=signed_pdf()
            )
        )
        == reason
    )

    services.arrangement_approve(arrangement=plan, actor=lead)
    shown = detail(collector, plan)
    assert 'id="confirm"' in shown
    assert 'data-refused="confirm"' not in shown

    services.arrangement_confirm(arrangement=plan, actor=collector, upload=signed_pdf())
    reason = "方案当前为“执行中”，不能上传签字确认"
    shown = detail(collector, plan)
    assert 'id="confirm"' not in shown
    assert f'data-refused="confirm">{reason}<' in shown
    assert (
        refused(
            lambda: services.arrangement_confirm(
                arrangement=plan, actor=collector, upload=signed_pdf()
            )
        )
        == reason
    )


def test_an_active_arrangement_shows_why_it_cannot_be_withdrawn(
    case: CollectionCase, collector: User, lead: User
) -> None:
    plan = propose(case, collector)
    assert 'id="withdraw"' in detail(collector, plan)
    services.arrangement_approve(arrangement=plan, actor=lead)
    assert 'id="withdraw"' in detail(collector, plan)
    services.arrangement_confirm(arrangement=plan, actor=collector, upload=signed_pdf())

    reason = "方案当前为“执行中”，不能撤回"
    shown = detail(collector, plan)
    assert 'id="withdraw"' not in shown
    assert f'data-refused="withdraw">{reason}<' in shown
    assert (
        refused(
            lambda: services.arrangement_withdraw(arrangement=plan, actor=collector, note="撤回")
        )
        == reason
    )
    plan.refresh_from_db()
    assert plan.state == ArrangementState.ACTIVE
