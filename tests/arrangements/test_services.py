"""The arrangement workflow: proposal with its exact schedule, the approval matrix (nobody
approves their own plan; a team lead only within limits), the signed confirmation, and the
daily evaluation marking installments kept or broken and flagging a broken arrangement."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.arrangements.models import (
    Arrangement,
    ArrangementDocument,
    ArrangementKind,
    ArrangementState,
    InstallmentState,
)
from autocollect.arrangements.services import (
    arrangement_approve,
    arrangement_confirm,
    arrangement_propose,
    arrangement_reject,
    arrangement_withdraw,
    arrangements_evaluate,
)
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CaseFlag, CollectionCase
from autocollect.core.errors import ApplicationError, Refused
from autocollect.documents.storage import document_intact
from autocollect.engine.arrangements import Components
from tests.arrangements.conftest import TODAY, make_case, signed_pdf
from tests.factories import make_payment, make_user

pytestmark = pytest.mark.django_db


def propose(
    case: CollectionCase, actor: User, *, kind: str = ArrangementKind.INSTALLMENT_PLAN, **kw: object
) -> Arrangement:
    params: dict[str, object] = {"installments": 3, "reason": "借款人失业，申请分期"}
    params.update(kw)
    return arrangement_propose(case=case, actor=actor, kind=kind, today=TODAY, **params)  # type: ignore[arg-type]


def arrears(case: CollectionCase) -> int:
    return sum(
        i.principal_fen + i.interest_fen for i in case.loan.installments.filter(due_on__lte=TODAY)
    )


def test_a_plan_splits_the_arrears_exactly_and_the_last_takes_the_rounding(
    case: CollectionCase, collector: User
) -> None:
    plan = propose(case, collector)
    rows = list(plan.installments.order_by("seq"))
    assert plan.state == ArrangementState.PROPOSED
    assert plan.agreed_total_fen == arrears(case)
    assert sum(r.amount_fen for r in rows) == plan.agreed_total_fen
    assert [r.due_on.month for r in rows] == [4, 5, 6]
    assert rows[0].amount_fen == rows[1].amount_fen
    assert rows[-1].amount_fen == plan.agreed_total_fen - 2 * rows[0].amount_fen
    assert plan.approver_role == Role.TEAM_LEAD
    assert AuditEvent.objects.filter(action="arrangement.propose", object_id=str(plan.pk)).exists()


def test_a_settlement_schedule_plus_what_was_paid_equals_the_agreed_total(
    case: CollectionCase, collector: User
) -> None:
    make_payment(case.loan, amount_fen=50_000, paid_on=TODAY - timedelta(days=2))
    settlement = propose(
        case,
        collector,
        kind=ArrangementKind.SETTLEMENT,
        installments=2,
        counted_from=TODAY - timedelta(days=5),
        discount=Components(interest_fen=10_001),
    )
    scheduled = sum(r.amount_fen for r in settlement.installments.all())
    assert settlement.already_paid_fen == 50_000
    assert scheduled + settlement.already_paid_fen == settlement.agreed_total_fen
    # The whole principal is covered (a settlement pays the loan off).
    assert settlement.balance_principal_fen == case.loan.principal_fen
    assert settlement.agreed_total_fen == settlement.balance_fen - 10_001


def test_a_deferral_starts_paying_after_the_deferred_months(
    case: CollectionCase, collector: User
) -> None:
    deferral = propose(
        case, collector, kind=ArrangementKind.DEFERRAL, installments=1, deferral_months=3
    )
    assert deferral.first_due_on >= date(2026, 6, 10)
    with pytest.raises(ApplicationError):
        propose(
            make_case(collector),
            collector,
            kind=ArrangementKind.DEFERRAL,
            installments=1,
            deferral_months=3,
            first_due_on=date(2026, 4, 1),
        )


def test_nobody_approves_their_own_proposal(case: CollectionCase, lead: User) -> None:
    case.assigned_agent = lead
    case.save()
    plan = propose(case, lead)
    with pytest.raises(Refused, match="自己"):
        arrangement_approve(arrangement=plan, actor=lead)
    plan.refresh_from_db()
    assert plan.state == ArrangementState.PROPOSED
    assert plan.decided_by is None
    assert not AuditEvent.objects.filter(action="arrangement.approve").exists()


def test_a_collector_cannot_approve(case: CollectionCase, collector: User, team: object) -> None:
    other = make_user("collector.two", Role.COLLECTOR)
    case.assigned_agent = other
    case.save()
    plan = propose(case, other)
    case.assigned_agent = collector
    case.save()
    with pytest.raises(Refused):
        arrangement_approve(arrangement=plan, actor=collector)
    plan.refresh_from_db()
    assert plan.state == ArrangementState.PROPOSED


def test_a_team_lead_approves_within_the_limit_and_risk_above_it(
    case: CollectionCase, collector: User, lead: User, risk: User
) -> None:
    small = propose(case, collector, discount=Components(penalty_fen=0, interest_fen=1_000))
    arrangement_approve(arrangement=small, actor=lead, note="同意")
    assert small.state == ArrangementState.APPROVED
    assert small.decided_by == lead

    big_case = make_case(collector)
    big = propose(
        big_case,
        collector,
        kind=ArrangementKind.SETTLEMENT,
        installments=1,
        discount=Components(principal_fen=1_000_000),  # 25 % of a 40,000-yuan payoff
    )
    assert big.approver_role == Role.RISK
    with pytest.raises(Refused, match="审批权限"):
        arrangement_approve(arrangement=big, actor=lead)
    big.refresh_from_db()
    assert big.state == ArrangementState.PROPOSED
    arrangement_approve(arrangement=big, actor=risk)
    assert big.state == ArrangementState.APPROVED


def test_the_approval_matrix_is_configurable(
    settings: object, case: CollectionCase, collector: User, lead: User
) -> None:
    settings.AUTOCOLLECT = {  # type: ignore[attr-defined]
        **settings.AUTOCOLLECT,  # type: ignore[attr-defined]
        "ARRANGEMENTS": {
            "APPROVERS": {"team_lead": {"max_discount_bp": 0, "max_balance_fen": None}}
        },
    }
    with pytest.raises(ApplicationError, match="无人可以批准"):
        propose(case, collector, discount=Components(interest_fen=100))
    plan = propose(case, collector)
    arrangement_approve(arrangement=plan, actor=lead)
    assert plan.state == ArrangementState.APPROVED


def test_forbidden_transitions_change_nothing(
    case: CollectionCase, collector: User, lead: User
) -> None:
    plan = propose(case, collector)
    with pytest.raises(Refused):
        arrangement_confirm(arrangement=plan, actor=collector, upload=signed_pdf())
    arrangement_reject(arrangement=plan, actor=lead, note="还款能力不足")
    for attempt in (
        lambda: arrangement_approve(arrangement=plan, actor=lead),
        lambda: arrangement_withdraw(arrangement=plan, actor=collector, note="x"),
        lambda: arrangement_reject(arrangement=plan, actor=lead, note="again"),
    ):
        with pytest.raises(Refused):
            attempt()
    plan.refresh_from_db()
    assert plan.state == ArrangementState.REJECTED
    assert not ArrangementDocument.objects.exists()
    assert AuditEvent.objects.filter(object_type="arrangements.arrangement").count() == 2


def test_one_live_arrangement_per_case(case: CollectionCase, collector: User) -> None:
    first = propose(case, collector)
    with pytest.raises(Refused, match="已有"):
        propose(case, collector)
    arrangement_withdraw(arrangement=first, actor=collector, note="借款人改变主意")
    assert propose(case, collector).state == ArrangementState.PROPOSED


def test_the_signed_confirmation_activates_and_is_stored_with_its_hash(
    case: CollectionCase, collector: User, lead: User, document_dir: Path
) -> None:
    plan = propose(case, collector)
    arrangement_approve(arrangement=plan, actor=lead)
    document = arrangement_confirm(arrangement=plan, actor=collector, upload=signed_pdf())
    plan.refresh_from_db()
    assert plan.state == ArrangementState.ACTIVE
    assert (document_dir / document.stored_path).exists()
    assert document_intact(document.stored_path, document.sha256)
    (document_dir / document.stored_path).write_bytes(b"%PDF-tampered")
    assert not document_intact(document.stored_path, document.sha256)


def test_a_confirmation_that_is_not_a_document_is_refused(
    case: CollectionCase, collector: User, lead: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    plan = propose(case, collector)
    arrangement_approve(arrangement=plan, actor=lead)
    with pytest.raises(ApplicationError, match="PDF"):
        arrangement_confirm(
            arrangement=plan,
            actor=collector,
            upload=SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf"),
        )
    plan.refresh_from_db()
    assert plan.state == ArrangementState.APPROVED


def active_plan(case: CollectionCase, collector: User, lead: User, **kw: Any) -> Arrangement:
    plan = propose(case, collector, **kw)
    arrangement_approve(arrangement=plan, actor=lead)
    arrangement_confirm(arrangement=plan, actor=collector, upload=signed_pdf())
    return plan


def test_a_paid_installment_is_kept_and_all_kept_completes(
    case: CollectionCase, collector: User, lead: User
) -> None:
    plan = active_plan(case, collector, lead, kind=ArrangementKind.SETTLEMENT, installments=1)
    row = plan.installments.get()
    arrangements_evaluate(as_of=row.due_on)
    row.refresh_from_db()
    assert row.state == InstallmentState.PENDING
    make_payment(case.loan, amount_fen=row.amount_fen, paid_on=row.due_on)
    arrangements_evaluate(as_of=row.due_on)
    row.refresh_from_db()
    plan.refresh_from_db()
    assert row.state == InstallmentState.KEPT
    assert plan.state == ArrangementState.COMPLETED


def test_an_unpaid_installment_after_grace_breaks_and_flags_the_case(
    case: CollectionCase, collector: User, lead: User
) -> None:
    plan = active_plan(case, collector, lead)
    first = plan.installments.get(seq=1)
    arrangements_evaluate(as_of=first.due_on + timedelta(days=3))  # within the 3-day grace
    plan.refresh_from_db()
    assert plan.state == ArrangementState.ACTIVE
    assert not CaseFlag.objects.filter(kind="broken_arrangement").exists()
    arrangements_evaluate(as_of=first.due_on + timedelta(days=4))
    plan.refresh_from_db()
    first.refresh_from_db()
    assert first.state == InstallmentState.BROKEN
    assert plan.state == ArrangementState.BROKEN
    flag = CaseFlag.objects.get(case=case, kind="broken_arrangement", cleared_at__isnull=True)
    assert flag.set_by == "system"
    assert AuditEvent.objects.filter(action="arrangement.break").count() == 1


def test_a_plan_of_arrears_needs_the_contract_installments_paid_too(
    case: CollectionCase, collector: User, lead: User
) -> None:
    plan = active_plan(case, collector, lead)
    first = plan.installments.get(seq=1)
    # Pays only the plan's installment: the contract's own installments due since the
    # proposal (April and early May) are unpaid, so the plan's installment is not covered.
    make_payment(case.loan, amount_fen=first.amount_fen, paid_on=first.due_on)
    arrangements_evaluate(as_of=first.due_on + timedelta(days=10))
    first.refresh_from_db()
    assert first.state == InstallmentState.BROKEN


def test_a_new_active_arrangement_clears_the_broken_flag(
    case: CollectionCase, collector: User, lead: User
) -> None:
    plan = active_plan(case, collector, lead)
    first = plan.installments.get(seq=1)
    arrangements_evaluate(as_of=first.due_on + timedelta(days=10))
    assert CaseFlag.objects.filter(kind="broken_arrangement", cleared_at__isnull=True).count() == 1
    active_plan(case, collector, lead, installments=4)
    assert CaseFlag.objects.filter(kind="broken_arrangement", cleared_at__isnull=True).count() == 0
