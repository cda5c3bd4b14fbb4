"""Legal in the demo: the team lead refers cases from the day's legal-review queue, and legal
moves them on — pre-litigation mediation, sessions, judicial confirmation of an agreement,
litigation with its hearing and judgment — each step on a plausible day, so that after 90 days
referrals stand in every stage with their deadlines running."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from django.db.models import Max, Q

from autocollect.cases.models import CaseFlag, CaseStatus, CollectionCase, FlagKind
from autocollect.core.calendar import is_workday
from autocollect.demo.casework.desk import (
    Desk,
    attempt,
    case_dpd,
    local_date,
    weighted,
    yuan,
)
from autocollect.demo.casework.paper import court_fee_fen
from autocollect.demo.reference import CITIES
from autocollect.demo.simulation import DayFigures
from autocollect.hardship.models import ClaimState
from autocollect.legal.models import (
    JC_APPLICATION_DAYS,
    CloseOutcome,
    CostKind,
    DeadlineKind,
    LegalDeadline,
    LegalReferral,
    MediationResult,
    ReferralReason,
    Stage,
)
from autocollect.legal.services.costs import cost_record
from autocollect.legal.services.deadlines import deadline_complete
from autocollect.legal.services.litigation import hearing_add, judgment_record, litigation_file
from autocollect.legal.services.mediation import (
    jc_accept,
    jc_apply,
    jc_rule,
    mediation_session_record,
    mediation_start,
)
from autocollect.legal.services.referrals import referral_close, referral_create
from autocollect.portfolio.models import Payment
from autocollect.strategy.models import ActionStatus, PlannedAction

# The lead refers a case of the day's legal-review queue (the default strategy's M3+ step)
# that has had no payment for this long this often, and a case whose arrangement broke (its
# weekly review) more often.
MIN_DPD = 61
NO_PAYMENT_DAYS = 60
REFER_SHARE = 0.35
REFER_BROKEN_SHARE = 0.5
BROKEN_REVIEW_STEP = "arrangement_broken_review"
MEDIATORS = ("王建国", "李秀梅", "张志强", "刘桂芳", "陈国华", "杨淑珍", "赵立新", "黄明")
# Basic-level courts, fictitious like the dealers: the loan's city and a district-like name.
COURT_DISTRICTS = ("城东区", "城西区", "新城区", "高新区")
SESSION_RESULTS: tuple[tuple[str, int], ...] = (
    (MediationResult.AGREEMENT, 35),
    (MediationResult.CONTINUING, 30),
    (MediationResult.ABSENT, 20),
    (MediationResult.FAILED, 15),
)
SESSION_NOTES: dict[str, str] = {
    MediationResult.CONTINUING: "双方就还款期限未达成一致，约定再次调解",
    MediationResult.ABSENT: "被申请人未到场",
    MediationResult.FAILED: "被申请人拒绝调解方案，调解不成",
}
# Civil Procedure Law (2021) art. 171: a first-instance judgment takes effect once the 15
# days to appeal have passed.
APPEAL_DAYS = 15


def refer_from_review(desk: Desk, day: date, rng: random.Random, today: DayFigures) -> None:
    """The lead goes through the day's legal-review items (and broken-arrangement reviews) and
    refers the cases with no payment for a long time, or whose arrangement broke."""
    case_ids = set(
        PlannedAction.objects.filter(as_of=day, status=ActionStatus.QUEUED)
        .filter(Q(channel="review_legal") | Q(step=BROKEN_REVIEW_STEP))
        .values_list("case_id", flat=True)
    )
    # A case with a hardship claim under way waits for the claim's decision (bad faith is
    # referred by that decision).
    cases = (
        CollectionCase.objects.filter(
            pk__in=case_ids, status=CaseStatus.OPEN, legal_referred_at__isnull=True
        )
        .exclude(hardship_claims__state__in=[ClaimState.AWAITING_DOCUMENTS, ClaimState.READY])
        .order_by("pk")
    )
    for case in cases:
        flags = set(
            CaseFlag.objects.filter(case=case, cleared_at__isnull=True).values_list(
                "kind", flat=True
            )
        )
        dpd = case_dpd(case)
        last_paid = Payment.objects.filter(loan_id=case.loan_id, paid_on__lte=day).aggregate(
            last=Max("paid_on")
        )["last"]
        unpaid = f"{(day - last_paid).days}天未还款" if last_paid else "从未还款"
        lost = FlagKind.LOST_CONTACT in flags
        if FlagKind.BROKEN_ARRANGEMENT in flags:
            if rng.random() >= REFER_BROKEN_SHARE:
                continue
            reason = ReferralReason.BROKEN_PROMISES
            note = f"还款方案未履约，逾期{dpd}天，{unpaid}，建议诉前调解"
        elif dpd >= MIN_DPD and (last_paid is None or (day - last_paid).days >= NO_PAYMENT_DAYS):
            if rng.random() >= REFER_SHARE:
                continue
            reason = ReferralReason.LOST_CONTACT if lost else ReferralReason.REFUSED_TO_PAY
            note = f"逾期{dpd}天，{unpaid}，催收无果，建议诉前调解"
        else:
            continue
        attempt(
            today, "legal.refer", referral_create,
            case=case, actor=desk.lead, reason=reason, note=note, as_of=day,
            # A borrower who cannot be found is served by publication (default judgment).
            default_judgment=lost,
        )  # fmt: skip


def work_referrals(desk: Desk, day: date, rng: random.Random, today: DayFigures) -> None:
    """Legal's afternoon: every open referral, one step at most, when its time has come."""
    referrals = (
        LegalReferral.objects.exclude(stage=Stage.CLOSED)
        .select_related("case__loan")
        .order_by("pk")
    )
    steps: dict[str, Callable[[Desk, LegalReferral, date, random.Random, DayFigures], None]] = {
        Stage.REFERRAL: _start,
        Stage.MEDIATION: _mediate,
        Stage.JUDICIAL_CONFIRMATION: _confirm,
        Stage.LITIGATION: _litigate,
    }
    for referral in referrals:
        if referral.case.status != CaseStatus.OPEN:
            # Cured: the borrower paid the arrears (the daily cycle closed the case).
            attempt(
                today, "legal.close", referral_close,
                referral=referral, actor=desk.legal, outcome=CloseOutcome.PAID,
                note="借款人已还清逾期款项，案件结清",
            )  # fmt: skip
            continue
        step = steps.get(referral.stage)
        if step is not None:
            step(desk, referral, day, rng, today)


def _start(
    desk: Desk, referral: LegalReferral, day: date, rng: random.Random, today: DayFigures
) -> None:
    if (day - local_date(referral.stage_changed_at)).days < 3 or rng.random() >= 0.3:
        return
    if referral.reason == ReferralReason.LOST_CONTACT and rng.random() < 0.5:
        # Nobody to mediate with: sue, to serve by publication.
        _sue(desk, referral, day, rng, today)
        return
    attempt(
        today, "legal.mediation", mediation_start,
        referral=referral, actor=desk.legal, mediator=rng.choice(MEDIATORS),
        organisation=f"{referral.case.loan.city}金融纠纷人民调解委员会",
    )  # fmt: skip


def _mediate(
    desk: Desk, referral: LegalReferral, day: date, rng: random.Random, today: DayFigures
) -> None:
    agreed_on = referral.mediation_agreement_on
    if agreed_on is not None:
        _after_agreement(desk, referral, day, rng, today, agreed_on=agreed_on)
        return
    sessions = list(
        referral.mediation_sessions.order_by("held_on", "pk").values_list("held_on", "result")
    )
    if sessions and sessions[-1][1] == MediationResult.FAILED:
        if rng.random() < 0.3:
            _sue(desk, referral, day, rng, today)
        return
    last = sessions[-1][0] if sessions else local_date(referral.stage_changed_at)
    if (day - last).days < 7 or rng.random() >= 0.4:
        return
    _hold_session(desk, referral, day, rng, today, held_before=len(sessions))


def _after_agreement(
    desk: Desk,
    referral: LegalReferral,
    day: date,
    rng: random.Random,
    today: DayFigures,
    *,
    agreed_on: date,
) -> None:
    """The 30 days to apply for judicial confirmation are running: apply within them; once
    they have passed without, the route is lost and only a suit is left."""
    if (day - agreed_on).days > JC_APPLICATION_DAYS:
        if rng.random() < 0.3:
            _sue(desk, referral, day, rng, today)
    elif (day - agreed_on).days >= 2 and rng.random() < 0.25:
        attempt(
            today, "legal.jc_apply", jc_apply,
            referral=referral, actor=desk.legal,
            court=_court(referral.case.loan.city, rng), applied_on=day,
        )  # fmt: skip


def _hold_session(
    desk: Desk,
    referral: LegalReferral,
    day: date,
    rng: random.Random,
    today: DayFigures,
    *,
    held_before: int,
) -> None:
    """One session of the mediation and its result; after three sessions without an
    agreement, the mediation fails."""
    result = weighted(rng, SESSION_RESULTS)
    if held_before >= 3 and result != MediationResult.AGREEMENT:
        result = MediationResult.FAILED
    amount = None
    note = SESSION_NOTES.get(result, "")
    if result == MediationResult.AGREEMENT:
        # Agreed at 80–100 % of the claim, in whole hundreds of yuan.
        amount = referral.outstanding_fen * rng.randint(80, 100) // 100 // 10_000 * 10_000
        if amount > 0:
            note = f"双方达成调解协议，被申请人同意分期偿还 {yuan(amount)} 元"
        else:
            result, amount, note = MediationResult.CONTINUING, None, SESSION_NOTES["continuing"]
    attempt(
        today, "legal.mediation_session", mediation_session_record,
        referral=referral, actor=desk.legal, held_on=day, result=result, notes=note,
        agreement_fen=amount,
    )  # fmt: skip


def _confirm(
    desk: Desk, referral: LegalReferral, day: date, rng: random.Random, today: DayFigures
) -> None:
    """Judicial confirmation: the court accepts within days and rules within weeks; legal
    records each (the acceptance deadline is the court's, legal chases it)."""
    if referral.jc_accepted_on is None:
        if rng.random() < 0.5:
            attempt(
                today, "legal.jc_accept", jc_accept,
                referral=referral, actor=desk.legal, accepted_on=day,
            )  # fmt: skip
    elif referral.jc_ruling_on is None:
        if (day - referral.jc_accepted_on).days >= 5 and rng.random() < 0.3:
            attempt(
                today, "legal.jc_rule", jc_rule,
                referral=referral, actor=desk.legal, ruling_on=day,
                confirmed=rng.random() < 0.9,
            )  # fmt: skip
    elif referral.jc_confirmed is False and rng.random() < 0.3:
        _sue(desk, referral, day, rng, today)


def _litigate(
    desk: Desk, referral: LegalReferral, day: date, rng: random.Random, today: DayFigures
) -> None:
    if referral.judgment_on is not None or referral.filed_on is None:
        return
    hearing = referral.hearings.order_by("-scheduled_on", "-pk").first()
    if hearing is None:
        if (day - referral.filed_on).days >= 5 and rng.random() < 0.3:
            scheduled = day + timedelta(days=rng.randint(20, 45))
            while not is_workday(scheduled):
                scheduled += timedelta(days=1)
            attempt(
                today, "legal.hearing", hearing_add,
                referral=referral, actor=desk.legal, scheduled_on=scheduled,
            )  # fmt: skip
        return
    if hearing.scheduled_on == day:
        open_hearings = LegalDeadline.objects.filter(
            referral=referral, kind=DeadlineKind.HEARING, done_at__isnull=True
        ).order_by("pk")
        for deadline in open_hearings:
            attempt(
                today, "legal.hearing_attended", deadline_complete,
                deadline=deadline, actor=desk.legal, note="已按时出庭",
            )  # fmt: skip
    elif hearing.scheduled_on < day and rng.random() < 0.3:
        fee = court_fee_fen(referral.outstanding_fen)
        attempt(
            today, "legal.judgment", judgment_record,
            referral=referral, actor=desk.legal, judgment_on=day,
            effective_on=day + timedelta(days=APPEAL_DAYS), amount_fen=referral.outstanding_fen,
            summary=f"判令被告偿还借款本金、利息及罚息；案件受理费 {yuan(fee)} 元由被告负担",
        )  # fmt: skip


def _sue(
    desk: Desk, referral: LegalReferral, day: date, rng: random.Random, today: DayFigures
) -> None:
    city = referral.case.loan.city
    filed = attempt(
        today, "legal.litigation", litigation_file,
        referral=referral, actor=desk.legal, court=_court(city, rng),
        case_no=_case_no(city, day, rng), filed_on=day,
    )  # fmt: skip
    if filed is not None:
        attempt(
            today, "legal.cost", cost_record,
            referral=referral, actor=desk.legal, kind=CostKind.COURT_FEE,
            amount_fen=court_fee_fen(referral.outstanding_fen), incurred_on=day,
            note="预交案件受理费（诉讼费用交纳办法第十三条）",
        )  # fmt: skip


def _court(city: str, rng: random.Random) -> str:
    return f"{city}{rng.choice(COURT_DISTRICTS)}人民法院"


def _case_no(city: str, day: date, rng: random.Random) -> str:
    """A first-instance civil case number like （2026）粤0305民初12345号: the province's
    abbreviation and a court code (here a county-level code of the city)."""
    match = next((c for c in CITIES if c.name == city), None)
    court = f"{match.plate_province}{match.area_codes[0][2:]}" if match else "京0101"
    return f"（{day.year}）{court}民初{rng.randint(1000, 29999)}号"
