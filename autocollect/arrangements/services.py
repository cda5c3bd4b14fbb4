"""Repayment arrangements: propose, approve or reject, withdraw, confirm (the borrower's signed
confirmation makes it active), and the daily evaluation of the new schedule.

State machine (docs/arrangements.md has the table)::

    proposed ──approve──▶ approved ──confirm (signed upload)──▶ active ──▶ completed
        │                    │                                     └────▶ broken
        ├──reject──▶ rejected└──withdraw──▶ withdrawn
        └──withdraw─▶ withdrawn

Anything else is refused (``core.errors.Refused``) and changes nothing; every transition writes one
audit event. Nobody approves their own proposal; an approver approves only within the limits
of their role (``conf.APPROVERS``). Who may do what is ``permissions.py``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.arrangements import conf, permissions, selectors
from autocollect.arrangements.models import (
    Arrangement,
    ArrangementDocument,
    ArrangementInstallment,
    ArrangementKind,
    ArrangementState,
    InstallmentState,
)
from autocollect.audit.services import audit_record
from autocollect.cases.models import CollectionCase
from autocollect.cases.services import case_flag_clear, case_flag_set
from autocollect.cases.workflow import state_lock, state_move
from autocollect.core import clock
from autocollect.core.calendar import adjust_due_date
from autocollect.core.errors import ApplicationError, refuse
from autocollect.documents.storage import document_atomic, document_store
from autocollect.engine.arrangements import Components, Terms, arrangement_terms
from autocollect.engine.loanmath import add_months

S = ArrangementState
BROKEN_FLAG = "broken_arrangement"
# Sub-folder of the document store for the signed confirmations (registered in apps.py).
DOCUMENT_FOLDER = "arrangements"

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.ACTIVE, S.WITHDRAWN}),
    S.ACTIVE: frozenset({S.COMPLETED, S.BROKEN}),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.BROKEN: frozenset(),
    S.COMPLETED: frozenset(),
}


def _name(user: User) -> str:
    return user.get_username()


def _snapshot(arrangement: Arrangement) -> dict[str, Any]:
    return {
        "state": arrangement.state,
        "kind": arrangement.kind,
        "case": arrangement.case_id,
        "agreed_total_fen": arrangement.agreed_total_fen,
        "discount_fen": arrangement.discount_fen,
    }


def _move(
    arrangement: Arrangement,
    *,
    to: str,
    actor: str,
    action: str,
    reason: str = "",
    extra: dict[str, Any] | None = None,
    fields: tuple[str, ...] = (),
) -> Arrangement:
    """Lock, check the arrangement did not change since it was read and the transition
    against the table, save, audit (``cases.workflow.state_move``)."""
    return state_move(
        arrangement,
        to=to,
        field="state",
        transitions=TRANSITIONS,
        labels=S,
        changed=_("方案状态已变化，请刷新后重试"),
        refused=_("方案当前为“%(from)s”，不能变为“%(to)s”"),
        actor=actor,
        action=action,
        reason=reason,
        snapshot=_snapshot,
        extra=extra,
        fields=fields,
    )


def _first_due_on(*, kind: str, today: date, deferral_months: int, requested: date | None) -> date:
    if kind == ArrangementKind.DEFERRAL:
        earliest = add_months(today, deferral_months)
        if requested is not None and requested < earliest:
            raise ApplicationError(
                _("展期 %(m)s 个月：首期还款日不得早于 %(d)s")
                % {"m": deferral_months, "d": earliest}
            )
        return requested or earliest
    if requested is not None:
        if requested < today:
            raise ApplicationError(_("首期还款日不能早于今天"))
        return requested
    if kind == ArrangementKind.SETTLEMENT:
        return today + timedelta(days=7)
    return add_months(today, 1)


def arrangement_preview(
    *,
    case: CollectionCase,
    kind: str,
    installments: int,
    discount: Components,
    deferral_months: int = 0,
    first_due_on: date | None = None,
    counted_from: date | None = None,
    today: date | None = None,
) -> Terms:
    """The terms an arrangement would have, checked, without saving anything."""
    today = today or clock.localdate()
    if kind not in ArrangementKind.values:
        raise ApplicationError(_("未知的方案类型：%(kind)s") % {"kind": kind})
    max_n = int(conf.get("MAX_INSTALLMENTS"))
    low = 2 if kind == ArrangementKind.INSTALLMENT_PLAN else 1
    if not low <= installments <= max_n:
        raise ApplicationError(_("期数须在 %(low)s 到 %(high)s 之间") % {"low": low, "high": max_n})
    if kind == ArrangementKind.DEFERRAL:
        max_m = int(conf.get("MAX_DEFERRAL_MONTHS"))
        if not 1 <= deferral_months <= max_m:
            raise ApplicationError(_("展期月数须在 1 到 %(high)s 之间") % {"high": max_m})
    elif deferral_months:
        raise ApplicationError(_("只有展期方案填写展期月数"))
    counted_from = counted_from or today
    if counted_from > today:
        raise ApplicationError(_("计入已还起始日不能晚于今天"))
    if counted_from < case.opened_on:
        raise ApplicationError(_("计入已还起始日不能早于立案日期"))
    first = _first_due_on(
        kind=kind, today=today, deferral_months=deferral_months, requested=first_due_on
    )
    balance, already_paid = selectors.loan_balance(
        loan=case.loan, as_of=today, kind=kind, counted_from=counted_from
    )
    if balance.total_fen <= 0:
        raise ApplicationError(_("该贷款没有可安排的欠款"))
    rule = case.loan.product.holiday_rule
    try:
        return arrangement_terms(
            balance=balance,
            discount=discount,
            already_paid_fen=already_paid,
            installments=installments,
            first_due_on=first,
            adjust=lambda day: adjust_due_date(day, rule),
        )
    except ValueError as exc:
        raise ApplicationError(str(exc)) from exc


@transaction.atomic
def arrangement_propose(
    *,
    case: CollectionCase,
    actor: User,
    kind: str,
    installments: int,
    reason: str,
    discount: Components | None = None,
    deferral_months: int = 0,
    first_due_on: date | None = None,
    counted_from: date | None = None,
    today: date | None = None,
) -> Arrangement:
    """A collector (or team lead) proposes an arrangement with its exact new schedule."""
    today = today or clock.localdate()
    refuse(permissions.arrangement_propose_refusal(actor, case))
    if not reason.strip():
        raise ApplicationError(_("请填写申请理由"))
    discount = discount or Components()
    terms = arrangement_preview(
        case=case,
        kind=kind,
        installments=installments,
        discount=discount,
        deferral_months=deferral_months,
        first_due_on=first_due_on,
        counted_from=counted_from,
        today=today,
    )
    role = selectors.required_approver_role(
        discount_bp=terms.discount_bp,
        balance_fen=terms.balance.total_fen,
        discount_fen=terms.discount.total_fen,
    )
    if not role:
        raise ApplicationError(_("该方案超出所有审批权限，无人可以批准"))
    arrangement = Arrangement.objects.create(
        case=case,
        loan=case.loan,
        kind=kind,
        proposed_on=today,
        counted_from=counted_from or today,
        balance_penalty_fen=terms.balance.penalty_fen,
        balance_interest_fen=terms.balance.interest_fen,
        balance_principal_fen=terms.balance.principal_fen,
        discount_penalty_fen=terms.discount.penalty_fen,
        discount_interest_fen=terms.discount.interest_fen,
        discount_principal_fen=terms.discount.principal_fen,
        agreed_total_fen=terms.agreed_total_fen,
        already_paid_fen=terms.already_paid_fen,
        installment_count=installments,
        deferral_months=deferral_months,
        first_due_on=terms.installments[0].due_on,
        reason=reason.strip(),
        approver_role=role,
        proposed_by=actor,
        proposed_at=clock.now(),
    )
    ArrangementInstallment.objects.bulk_create(
        ArrangementInstallment(
            arrangement=arrangement, seq=row.seq, due_on=row.due_on, amount_fen=row.amount_fen
        )
        for row in terms.installments
    )
    audit_record(
        actor=_name(actor),
        action="arrangement.propose",
        obj=arrangement,
        after={
            **_snapshot(arrangement),
            "balance_fen": terms.balance.total_fen,
            "already_paid_fen": terms.already_paid_fen,
            "discount_bp": terms.discount_bp,
            "approver_role": role,
            "schedule": [[r.due_on.isoformat(), r.amount_fen] for r in terms.installments],
        },
        reason=arrangement.reason,
    )
    return arrangement


@transaction.atomic
def arrangement_approve(*, arrangement: Arrangement, actor: User, note: str = "") -> Arrangement:
    permissions.require_approver(actor, arrangement, approving=True)
    arrangement.decided_by = actor
    arrangement.decided_at = clock.now()
    arrangement.decision_note = note
    return _move(
        arrangement,
        to=S.APPROVED,
        actor=_name(actor),
        action="arrangement.approve",
        reason=note,
        extra={"role": actor.effective_role},
        fields=("decided_by", "decided_at", "decision_note"),
    )


@transaction.atomic
def arrangement_reject(*, arrangement: Arrangement, actor: User, note: str) -> Arrangement:
    permissions.require_approver(actor, arrangement, approving=False)
    if not note.strip():
        raise ApplicationError(_("驳回须说明理由"))
    arrangement.decided_by = actor
    arrangement.decided_at = clock.now()
    arrangement.decision_note = note
    arrangement.closed_on = clock.localdate()
    return _move(
        arrangement,
        to=S.REJECTED,
        actor=_name(actor),
        action="arrangement.reject",
        reason=note,
        fields=("decided_by", "decided_at", "decision_note", "closed_on"),
    )


@transaction.atomic
def arrangement_withdraw(*, arrangement: Arrangement, actor: User, note: str) -> Arrangement:
    """The proposer (or an approver who sees the case) takes back a proposal or an approved
    arrangement the borrower did not sign."""
    refuse(permissions.arrangement_withdraw_refusal(actor, arrangement))
    if not note.strip():
        raise ApplicationError(_("撤回须说明理由"))
    arrangement.closed_on = clock.localdate()
    arrangement.closed_note = note
    return _move(
        arrangement,
        to=S.WITHDRAWN,
        actor=_name(actor),
        action="arrangement.withdraw",
        reason=note,
        fields=("closed_on", "closed_note"),
    )


@document_atomic()
def arrangement_confirm(
    *, arrangement: Arrangement, actor: User, upload: UploadedFile
) -> ArrangementDocument:
    """Store the borrower's signed confirmation (借款人签字确认) and make the arrangement
    active. A new active arrangement clears a broken-arrangement flag on the case.

    The arrangement is locked and its state checked before the file is written: of two
    confirmations sent at once, the second waits, is refused, and writes nothing."""
    state_lock(arrangement, field="state", changed=_("方案状态已变化，请刷新后重试"))
    refuse(permissions.arrangement_confirm_refusal(actor, arrangement))
    stored = document_store(upload, folder=DOCUMENT_FOLDER)
    now = clock.now()
    document = ArrangementDocument.objects.create(
        arrangement=arrangement,
        original_name=stored.original_name,
        stored_path=stored.stored_path,
        sha256=stored.sha256,
        size_bytes=stored.size_bytes,
        content_type=stored.content_type,
        uploaded_by=actor,
        uploaded_at=now,
    )
    arrangement.activated_at = now
    _move(
        arrangement,
        to=S.ACTIVE,
        actor=_name(actor),
        action="arrangement.activate",
        extra={"document": document.pk, "sha256": stored.sha256, "file": stored.original_name},
        fields=("activated_at",),
    )
    case_flag_clear(
        case_id=arrangement.case_id,
        kind=BROKEN_FLAG,
        actor=_name(actor),
        reason=_("新还款方案已生效"),
        at=now,
        extra={"arrangement": arrangement.pk},
    )
    return document


def _flag_broken(arrangement: Arrangement, *, as_of: date) -> None:
    case_flag_set(
        case_id=arrangement.case_id,
        kind=BROKEN_FLAG,
        actor="system",
        note=_("还款方案 #%(pk)s 未履约（%(day)s）") % {"pk": arrangement.pk, "day": as_of},
        extra={"arrangement": arrangement.pk},
    )


def arrangement_judge(arrangement: Arrangement, *, as_of: date, grace_days: int) -> str | None:
    """Mark the active arrangement's installments kept or broken as of ``as_of``; return the
    arrangement's new state when it changed.

    Payments count cumulatively: everything received on the loan from ``counted_from`` up to
    ``as_of``, less what was already counted at the proposal. An installment is kept once
    that covers it and every earlier one; it is broken when it is still not covered more than
    ``grace_days`` after its due date. An arrangement of the arrears (installment plan,
    deferral) comes on top of the contract's own installments falling due after the proposal:
    those must be paid too before money counts towards the arrangement."""
    paid = (
        selectors.paid_between(
            loan_id=arrangement.loan_id, start=arrangement.counted_from, end=as_of
        )
        - arrangement.already_paid_fen
    )
    arrears_only = not selectors.covers_whole_balance(arrangement.kind)
    cumulative = 0
    changed: list[tuple[int, str]] = []
    broken = False
    rows = list(arrangement.installments.order_by("seq"))
    for row in rows:
        cumulative += row.amount_fen
        if row.state != InstallmentState.PENDING:
            if row.state == InstallmentState.BROKEN:
                broken = True
            continue
        contract = (
            selectors.contract_due_between(
                loan_id=arrangement.loan_id, after=arrangement.proposed_on, through=row.due_on
            )
            if arrears_only
            else 0
        )
        if paid >= cumulative + contract:
            row.state = InstallmentState.KEPT
        elif as_of > row.due_on + timedelta(days=grace_days):
            row.state = InstallmentState.BROKEN
            broken = True
        else:
            continue
        row.judged_on = as_of
        row.save(update_fields=["state", "judged_on"])
        changed.append((row.seq, row.state))
    if changed:
        audit_record(
            actor="system",
            action="arrangement.evaluate",
            obj=arrangement,
            after={"as_of": as_of.isoformat(), "installments": changed, "paid_fen": paid},
        )
    if broken:
        arrangement.closed_on = as_of
        _move(
            arrangement,
            to=S.BROKEN,
            actor="system",
            action="arrangement.break",
            reason=_("分期未按时履约"),
            fields=("closed_on",),
        )
        _flag_broken(arrangement, as_of=as_of)
        return S.BROKEN
    if all(row.state == InstallmentState.KEPT for row in rows):
        arrangement.closed_on = as_of
        _move(
            arrangement,
            to=S.COMPLETED,
            actor="system",
            action="arrangement.complete",
            fields=("closed_on",),
        )
        return S.COMPLETED
    return None


@transaction.atomic
def arrangements_evaluate(*, as_of: date) -> dict[str, int]:
    """The daily cycle's step for arrangements: judge every active arrangement as of
    ``as_of``. Joins the cycle's transaction (called at the end of each cycle date)."""
    grace = int(conf.get("GRACE_DAYS"))
    counts = {"evaluated": 0, S.BROKEN.value: 0, S.COMPLETED.value: 0}
    active = Arrangement.objects.filter(state=S.ACTIVE, proposed_on__lte=as_of)
    for arrangement in active.order_by("pk"):
        counts["evaluated"] += 1
        outcome = arrangement_judge(arrangement, as_of=as_of, grace_days=grace)
        if outcome is not None:
            counts[outcome] += 1
    return counts
