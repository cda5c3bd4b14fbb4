"""The legal pages show an action only in a state where the service accepts it: in any other
state the form is absent, one line says why, and the service (or, for a closed referral, the
action endpoint) refuses with that very reason (docs/legal.md, "Pages")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from autocollect.accounts.models import Team, User
from autocollect.accounts.roles import Role
from autocollect.cases.models import CaseStatus, CollectionCase
from autocollect.core.errors import Refused
from autocollect.legal.models import LegalCost, LegalReferral
from autocollect.legal.permissions import referral_act_refusal
from autocollect.legal.services.litigation import enforcement_apply, litigation_file
from autocollect.legal.services.mediation import (
    jc_accept,
    jc_apply,
    jc_rule,
    mediation_session_record,
    mediation_start,
)
from autocollect.legal.services.referrals import referral_close, referral_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail(user: User, referral: LegalReferral) -> str:
    response = client_for(user).get(reverse("legal:detail", args=[referral.pk]))
    assert response.status_code == 200
    return response.content.decode()


def refused(call: object) -> str:
    assert callable(call)
    with pytest.raises(Refused) as caught:
        call()
    return caught.value.message


def line(form: str, reason: str) -> str:
    return f'data-refused="{form}">{reason}<'


@pytest.fixture
def lead(case: CollectionCase) -> User:
    """A team lead whose team works the case (so they see it and may refer it)."""
    team = Team.objects.create(name="一组")
    case.assigned_agent = make_user("collector.team", Role.COLLECTOR, team=team)
    case.save(update_fields=["assigned_agent"])
    return make_user("lead.team", Role.TEAM_LEAD, lead_of=team)


def refer(case: CollectionCase, people: dict[str, User]) -> LegalReferral:
    return referral_create(case=case, actor=people["lead"], reason="refused_to_pay")


def agreed(referral: LegalReferral, legal: User, *, days_ago: int) -> LegalReferral:
    referral = mediation_start(referral=referral, actor=legal, mediator="王")
    mediation_session_record(
        referral=referral,
        actor=legal,
        held_on=timezone.localdate() - timedelta(days=days_ago),
        result="agreement",
        agreement_fen=100_000,
    )
    referral.refresh_from_db()
    return referral


def accepted(referral: LegalReferral, legal: User) -> LegalReferral:
    """A judicial confirmation applied for and accepted, not yet ruled."""
    today = timezone.localdate()
    referral = agreed(referral, legal, days_ago=10)
    referral = jc_apply(
        referral=referral, actor=legal, court="法院", applied_on=today - timedelta(days=9)
    )
    return jc_accept(referral=referral, actor=legal, accepted_on=today - timedelta(days=8))


def test_an_open_case_offers_the_referral_form_and_a_closed_one_says_why(
    case: CollectionCase, lead: User
) -> None:
    url = reverse("legal:refer", args=[case.pk])
    client = client_for(lead)
    assert 'name="reason"' in client.get(url).content.decode()

    case.status = CaseStatus.CLOSED
    case.save(update_fields=["status"])
    reason = "只有处理中的案件可以转法务"
    shown = client.get(url).content.decode()
    assert 'name="reason"' not in shown
    assert line("refer", reason) in shown
    assert refused(lambda: referral_create(case=case, actor=lead, reason="other")) == reason


def test_a_closed_referral_shows_why_instead_of_its_actions_and_refuses_them(
    case: CollectionCase, people: dict[str, User], lead: User
) -> None:
    legal = people["legal"]
    referral = refer(case, people)
    assert 'data-section="actions"' in detail(legal, referral)
    referral_close(referral=referral, actor=legal, outcome="paid", note="已结清")
    referral.refresh_from_db()

    reason = "法务案件已结案，不能再办理"
    shown = detail(legal, referral)
    assert 'data-section="actions"' not in shown
    assert 'data-op="cost"' not in shown
    assert line("actions", reason) in shown
    # A team lead reads the page but acts on nothing: no line for them.
    assert 'data-refused="actions"' not in detail(lead, referral)

    response = client_for(legal).post(
        reverse("legal:act", args=[referral.pk]),
        {"op": "cost", "kind": "court_fee", "amount_yuan": "100", "incurred_on": "2026-03-01"},
        follow=True,
    )
    assert reason in response.content.decode()
    assert not LegalCost.objects.exists()
    assert referral_act_refusal(referral) == reason


def test_a_pending_confirmation_offers_neither_suit_nor_enforcement_and_says_why(
    case: CollectionCase, people: dict[str, User]
) -> None:
    legal = people["legal"]
    referral = accepted(refer(case, people), legal)
    today = timezone.localdate()

    shown = detail(legal, referral)
    sue = "司法确认尚未被法院驳回，不能转入诉讼"
    enforce = "调解协议未经法院裁定确认，不能申请执行"
    assert 'data-op="litigation_file"' not in shown
    assert 'data-op="enforcement_apply"' not in shown
    assert line("litigation_file", sue) in shown
    assert line("enforcement_apply", enforce) in shown
    assert (
        refused(
            lambda: litigation_file(
                referral=referral, actor=legal, court="法院", case_no="x", filed_on=today
            )
        )
        == sue
    )
    assert (
        refused(lambda: enforcement_apply(referral=referral, actor=legal, applied_on=today))
        == enforce
    )


def test_a_confirmed_agreement_offers_enforcement_but_not_suit(
    case: CollectionCase, people: dict[str, User]
) -> None:
    legal = people["legal"]
    referral = accepted(refer(case, people), legal)
    jc_rule(referral=referral, actor=legal, ruling_on=timezone.localdate(), confirmed=True)
    referral.refresh_from_db()

    shown = detail(legal, referral)
    assert 'data-op="enforcement_apply"' in shown
    assert 'data-refused="enforcement_apply"' not in shown
    assert 'data-op="litigation_file"' not in shown
    assert line("litigation_file", "司法确认尚未被法院驳回，不能转入诉讼") in shown


def test_litigation_before_an_effective_judgment_shows_why_enforcement_is_not_offered(
    case: CollectionCase, people: dict[str, User]
) -> None:
    legal = people["legal"]
    today = timezone.localdate()
    referral = litigation_file(
        referral=refer(case, people), actor=legal, court="法院", case_no="x", filed_on=today
    )

    reason = "判决尚未生效，不能申请执行"
    shown = detail(legal, referral)
    assert 'data-op="enforcement_apply"' not in shown
    assert line("enforcement_apply", reason) in shown
    assert (
        refused(lambda: enforcement_apply(referral=referral, actor=legal, applied_on=today))
        == reason
    )


def test_no_suit_while_the_confirmation_window_is_open_and_suit_after_it(
    case: CollectionCase, people: dict[str, User]
) -> None:
    legal = people["legal"]
    referral = agreed(refer(case, people), legal, days_ago=5)

    reason = "已达成调解协议：请在30日内申请司法确认，期限届满后方可起诉"
    shown = detail(legal, referral)
    assert 'data-op="jc_apply"' in shown
    assert 'data-op="litigation_file"' not in shown
    assert line("litigation_file", reason) in shown
    assert (
        refused(
            lambda: litigation_file(
                referral=referral,
                actor=legal,
                court="法院",
                case_no="x",
                filed_on=timezone.localdate(),
            )
        )
        == reason
    )

    # Past the 30 days the route to confirmation is lost: suing is offered.
    referral.mediation_agreement_on = timezone.localdate() - timedelta(days=31)
    referral.save(update_fields=["mediation_agreement_on"])
    shown = detail(legal, referral)
    assert 'data-op="litigation_file"' in shown
    assert 'data-refused="litigation_file"' not in shown
