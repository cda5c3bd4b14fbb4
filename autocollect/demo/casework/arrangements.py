"""Repayment arrangements in the demo: proposed on calls (and after hardship claims), approved
or rejected by the team lead or, above the lead's limits, by risk; signed by the borrower (the
collector uploads the signed confirmation) or withdrawn. The daily cycle judges them."""

from __future__ import annotations

import random
from datetime import date, timedelta

from autocollect.accounts.models import User
from autocollect.arrangements.models import Arrangement, ArrangementKind, ArrangementState
from autocollect.arrangements.services import (
    arrangement_approve,
    arrangement_confirm,
    arrangement_preview,
    arrangement_propose,
    arrangement_reject,
    arrangement_withdraw,
)
from autocollect.cases.models import CollectionCase
from autocollect.core.errors import ApplicationError
from autocollect.demo.casework.desk import (
    Desk,
    attempt,
    case_busy,
    case_dpd,
    case_worker,
    local_date,
    yuan,
)
from autocollect.demo.casework.paper import pdf_upload
from autocollect.demo.simulation import DayFigures
from autocollect.engine.arrangements import Components

# An answered call on an M2+ case (DPD over 30) that would end in a promise ends instead in a
# proposed installment plan this often; on an M4+ case (DPD over 90) part of those are a
# discounted settlement (减免结清), above the team lead's limits, so risk approves them.
MIN_DPD = 31
SHARE = 0.3
SETTLEMENT_MIN_DPD = 91
SETTLEMENT_SHARE = 0.25
PLAN_INSTALLMENTS = (3, 4, 6, 6, 9, 12)
WAIVE_PENALTY_SHARE = 0.5
LEAD_APPROVES = 0.85
RISK_APPROVES = 0.7
# The borrower signs 1–4 days after the approval, or never: withdrawn after a week.
SIGNS_SHARE = 0.85
SIGN_WITHIN_DAYS = 7


def propose_on_call(
    desk: Desk, case: CollectionCase, agent: User, rng: random.Random, today: DayFigures
) -> bool:
    """The borrower cannot pay the arrears within three days: the collector proposes a plan
    instead of taking a promise. False (take the promise) when there is nothing to arrange."""
    dpd = case_dpd(case)
    if dpd < MIN_DPD or case_busy(case):
        return False
    if dpd >= SETTLEMENT_MIN_DPD and rng.random() < SETTLEMENT_SHARE:
        return propose(
            case, agent, rng, today, kind=ArrangementKind.SETTLEMENT,
            installments=rng.choice((1, 2, 3)),
            reason="借款人一次性还清能力有限，申请减免部分本金后结清",
        )  # fmt: skip
    return propose(
        case, agent, rng, today, kind=ArrangementKind.INSTALLMENT_PLAN,
        installments=rng.choice(PLAN_INSTALLMENTS),
        reason="借款人无法在三日内还清逾期款项，申请分期偿还",
    )  # fmt: skip


def propose(
    case: CollectionCase,
    agent: User,
    rng: random.Random,
    today: DayFigures,
    *,
    kind: str,
    installments: int,
    reason: str,
) -> bool:
    try:
        # The balance first, to size the discount (and a loan with nothing to arrange).
        terms = arrangement_preview(
            case=case, kind=kind, installments=installments, discount=Components(), today=today.day
        )
    except ApplicationError:
        return False
    balance = terms.balance
    if balance.principal_fen + balance.interest_fen <= 0:
        # Only penalty interest left (the book's installments already carry the payments
        # dated after the simulated day, docs/demo-data.md): nothing worth a plan.
        return False
    if kind == ArrangementKind.SETTLEMENT:
        # Penalty and interest waived, 10–30 % of the principal forgiven.
        discount = Components(
            penalty_fen=balance.penalty_fen,
            interest_fen=balance.interest_fen,
            principal_fen=balance.principal_fen * rng.randint(10, 30) // 100,
        )
    elif rng.random() < WAIVE_PENALTY_SHARE:
        discount = Components(penalty_fen=balance.penalty_fen)
    else:
        discount = Components()
    if balance.total_fen - discount.total_fen <= terms.already_paid_fen:
        return False  # paid today already: nothing left to schedule
    proposed = attempt(
        today,
        "arrangement.propose",
        arrangement_propose,
        case=case,
        actor=agent,
        kind=kind,
        installments=installments,
        reason=reason,
        discount=discount,
        today=today.day,
    )
    return proposed is not None


def decide(approver: User, role: str, share: float, rng: random.Random, today: DayFigures) -> None:
    """``approver`` goes through the proposals that need their role: approves ``share`` of
    them, rejects the others with a reason."""
    proposals = (
        Arrangement.objects.filter(state=ArrangementState.PROPOSED, approver_role=role)
        .exclude(proposed_by=approver)
        .select_related("case")
        .order_by("pk")
    )
    for arrangement in proposals:
        if rng.random() < share:
            attempt(
                today, "arrangement.approve", arrangement_approve,
                arrangement=arrangement, actor=approver, note="同意，请跟进借款人签字确认",
            )  # fmt: skip
            continue
        note = (
            "减免幅度过大，请先协商分期还款"
            if arrangement.kind == ArrangementKind.SETTLEMENT
            else "还款能力存疑，请补充借款人收入情况后重新提交"
        )
        attempt(
            today, "arrangement.reject", arrangement_reject,
            arrangement=arrangement, actor=approver, note=note,
        )  # fmt: skip


def collect_signatures(desk: Desk, day: date, rng: random.Random, today: DayFigures) -> None:
    """Approved arrangements: the collector uploads the borrower's signed confirmation when it
    comes (the arrangement becomes active), or withdraws the plan after a week without."""
    approved = (
        Arrangement.objects.filter(state=ArrangementState.APPROVED)
        .select_related("case__loan__borrower", "case__assigned_agent", "proposed_by")
        .order_by("pk")
    )
    for arrangement in approved:
        assert arrangement.decided_at is not None  # approved
        decided = local_date(arrangement.decided_at)
        if arrangement.pk not in desk.signs_on:
            desk.signs_on[arrangement.pk] = (
                decided + timedelta(days=rng.randint(1, 4)) if rng.random() < SIGNS_SHARE else None
            )
        signs = desk.signs_on[arrangement.pk]
        if signs is None:
            if (day - decided).days >= SIGN_WITHIN_DAYS:
                attempt(
                    today, "arrangement.withdraw", arrangement_withdraw,
                    arrangement=arrangement, actor=arrangement.proposed_by,
                    note=f"借款人未在{SIGN_WITHIN_DAYS}日内签字确认，方案撤回",
                )  # fmt: skip
            continue
        worker = case_worker(arrangement.case, arrangement.proposed_by)
        if signs > day or worker is None:
            continue
        loan = arrangement.case.loan
        upload = pdf_upload(
            "还款方案签字确认书.pdf",
            [
                "还款方案签字确认书",
                f"方案 #{arrangement.pk}  合同编号 {loan.contract_no}",
                f"{arrangement.get_kind_display()}：约定还款总额 "
                f"{yuan(arrangement.agreed_total_fen)} 元，分 {arrangement.installment_count} 期",
                f"借款人（签字）：{loan.borrower.name}    {signs.isoformat()}",
            ],
        )
        attempt(
            today, "arrangement.activate", arrangement_confirm,
            arrangement=arrangement, actor=worker, upload=upload,
        )  # fmt: skip
