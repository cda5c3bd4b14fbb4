"""GET /api/legal/referrals and /api/legal/referrals/{id}: stage history (from the audit log),
deadlines with their due dates, costs and recoveries in fen and yuan; legal and team leads
only, for the cases they see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from autocollect.accounts.roles import Role
from autocollect.legal.models import LegalReferral
from autocollect.legal.services.costs import cost_record
from autocollect.legal.services.litigation import enforcement_apply, recovery_record
from autocollect.legal.services.mediation import (
    jc_accept,
    jc_apply,
    jc_rule,
    mediation_session_record,
    mediation_start,
)
from autocollect.legal.services.referrals import referral_create
from tests.accounts.conftest import World
from tests.api_support import api_document_dir, api_world, bearer, get_json, session  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


BASE = "/api/legal/referrals"


def refer(world: World) -> LegalReferral:
    """own_case referred by its team lead (lead_a)."""
    return referral_create(
        case=world.own_case,
        actor=world.users[Role.TEAM_LEAD],
        reason="refused_to_pay",
        note="多次拒绝还款",
    )


def test_the_detail_follows_a_referral_from_mediation_to_enforcement(world: World) -> None:
    legal = world.users[Role.LEGAL]
    today = timezone.localdate()
    agreed_on = today - timedelta(days=20)
    referral = refer(world)
    ruling_on = agreed_on + timedelta(10)
    steps = [
        lambda r: mediation_start(
            referral=r, actor=legal, mediator="陈调解员", organisation="南山区人民调解委员会"
        ),
        lambda r: mediation_session_record(
            referral=r, actor=legal, held_on=agreed_on, result="agreement", agreement_fen=5_000_000
        ),
        lambda r: jc_apply(
            referral=r, actor=legal, court="南山区人民法院", applied_on=agreed_on + timedelta(2)
        ),
        lambda r: jc_accept(referral=r, actor=legal, accepted_on=agreed_on + timedelta(4)),
        lambda r: jc_rule(referral=r, actor=legal, ruling_on=ruling_on, confirmed=True),
        lambda r: enforcement_apply(
            referral=r, actor=legal, applied_on=today - timedelta(5), case_no="（2026）执123号"
        ),
        lambda r: cost_record(
            referral=r, actor=legal, kind="court_fee", amount_fen=35_000, incurred_on=agreed_on
        ),
        lambda r: recovery_record(referral=r, actor=legal, amount_fen=1_000_000),
        lambda r: recovery_record(referral=r, actor=legal, amount_fen=250_050),
    ]
    for step in steps:  # each service is handed the referral as it now stands
        step(referral)
        referral.refresh_from_db()

    body = get_json(session(legal), f"{BASE}/{referral.pk}")
    assert body["stage"] == "enforcement"
    assert body["contract_no"] == world.own_case.loan.contract_no
    assert body["referred_by"] == "lead_a"
    assert body["outstanding_fen"] == referral.outstanding_fen > 0
    assert body["outstanding_yuan"] == f"{referral.outstanding_fen / 100:.2f}"
    assert [(s["from_stage"], s["stage"], s["actor"]) for s in body["stage_history"]] == [
        (None, "referral", "lead_a"),
        ("referral", "mediation", "legal1"),
        ("mediation", "judicial_confirmation", "legal1"),
        ("judicial_confirmation", "enforcement", "legal1"),
    ]
    assert body["mediation"]["agreement_fen"] == 5_000_000
    assert body["mediation"]["agreement_yuan"] == "50000.00"
    assert [s["result"] for s in body["mediation"]["sessions"]] == ["agreement"]
    assert body["judicial_confirmation"]["confirmed"] is True
    assert body["litigation"] is None
    assert body["enforcement"]["case_no"] == "（2026）执123号"
    assert [(d["kind"], d["due_on"], d["resolution"], d["overdue"]) for d in body["deadlines"]] == [
        ("jc_acceptance", (agreed_on + timedelta(5)).isoformat(), "met", False),
        ("jc_ruling", (agreed_on + timedelta(19)).isoformat(), "met", False),
        ("jc_application", (agreed_on + timedelta(30)).isoformat(), "met", False),
        (
            "enforcement_application",
            ruling_on.replace(year=ruling_on.year + 2).isoformat(),
            "met",
            False,
        ),
    ]
    assert [(c["kind"], c["amount_fen"], c["amount_yuan"]) for c in body["costs"]] == [
        ("court_fee", 35_000, "350.00")
    ]
    assert (body["costs_recorded_fen"], body["costs_recorded_yuan"]) == (35_000, "350.00")
    assert [(r["amount_fen"], r["amount_yuan"], r["recorded_by"]) for r in body["recoveries"]] == [
        (1_000_000, "10000.00", "legal1"),
        (250_050, "2500.50", "legal1"),
    ]
    assert (body["recovered_fen"], body["recovered_yuan"]) == (1_250_050, "12500.50")
    assert [(d["kind"], d["name"]) for d in body["defendants"]] == [
        ("borrower", world.own_case.loan.borrower.name)
    ]
    assert str(world.own_case.loan.borrower.national_id) not in str(body)


def test_an_open_deadline_past_its_date_is_overdue(world: World) -> None:
    legal = world.users[Role.LEGAL]
    referral = refer(world)
    mediation_start(referral=referral, actor=legal, mediator="陈调解员")
    referral.refresh_from_db()
    mediation_session_record(
        referral=referral,
        actor=legal,
        held_on=timezone.localdate() - timedelta(days=31),
        result="agreement",
        agreement_fen=100_000,
    )
    body = get_json(session(legal), f"{BASE}/{referral.pk}")
    assert [(d["kind"], d["resolution"], d["overdue"]) for d in body["deadlines"]] == [
        ("jc_application", None, True)
    ]


def test_the_list_filters_by_stage_and_holds_only_visible_cases(world: World) -> None:
    referral = refer(world)
    lead_a = session(world.users[Role.TEAM_LEAD])
    listed = get_json(lead_a, BASE)
    assert [item["id"] for item in listed["items"]] == [referral.pk]
    assert listed["items"][0]["outstanding_yuan"] == f"{referral.outstanding_fen / 100:.2f}"
    assert get_json(lead_a, BASE, stage="referral")["count"] == 1
    assert get_json(lead_a, BASE, stage="mediation")["count"] == 0
    assert get_json(session(world.lead_b), BASE)["count"] == 0
    assert lead_a.get(BASE, {"stage": "nonsense"}).status_code == 422


def test_who_reads_a_referral(world: World) -> None:
    referral = refer(world)
    url = f"{BASE}/{referral.pk}"
    assert session(world.users[Role.TEAM_LEAD]).get(url).status_code == 200
    assert session(world.users[Role.LEGAL]).get(url).status_code == 200
    # The collector of the case sees the case but not the legal pages: refused outright.
    assert session(world.users[Role.COLLECTOR]).get(url).status_code == 403
    assert session(world.users[Role.COMPLIANCE]).get(BASE).status_code == 403
    # A team lead of another team: as if it did not exist.
    hidden = session(world.lead_b).get(url)
    missing = session(world.lead_b).get(f"{BASE}/{referral.pk + 1000}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == {"detail": f"法务案件 {referral.pk} 不存在"}
    assert missing.json() == {"detail": f"法务案件 {referral.pk + 1000} 不存在"}


def test_a_token_reads_and_nobody_signed_in_gets_401(world: World) -> None:
    referral = refer(world)
    response = Client().get(f"{BASE}/{referral.pk}", headers=bearer(world.users[Role.LEGAL]))
    assert response.status_code == 200
    assert response.json()["stage"] == "referral"
    assert Client().get(f"{BASE}/{referral.pk}").status_code == 401
    assert Client().get(BASE).status_code == 401
