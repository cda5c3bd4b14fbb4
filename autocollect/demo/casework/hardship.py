"""Hardship claims in the demo: filed on calls, documents sent by the borrower and uploaded by
the collector, verified by the team lead (never the uploader), decided by the team lead; those
whose documents never come lapse. A claim decided for an arrangement gets one proposed."""

from __future__ import annotations

import random
from datetime import date, timedelta

from autocollect.accounts.models import User
from autocollect.arrangements.models import ArrangementKind
from autocollect.cases.models import CaseStatus, CollectionCase
from autocollect.demo.casework.arrangements import propose
from autocollect.demo.casework.desk import (
    Desk,
    attempt,
    case_busy,
    case_dpd,
    case_worker,
    weighted,
)
from autocollect.demo.casework.paper import pdf_upload
from autocollect.demo.simulation import DayFigures
from autocollect.hardship.claim_types import REQUIRED_DOCUMENTS, ClaimType, DocumentType
from autocollect.hardship.models import ClaimDocument, ClaimState, HardshipClaim
from autocollect.hardship.selectors import missing_documents
from autocollect.hardship.services import claim_decide, claim_file, document_upload, document_verify

# An answered call on an M2+ case (DPD over 30: a borrower late for a week or two is rarely
# in hardship) that ends without a promise ends with a hardship claim this often.
MIN_DPD = 31
SHARE = 0.08
CLAIM_TYPES: tuple[tuple[str, int], ...] = (
    (ClaimType.JOB_LOSS, 35),
    (ClaimType.ILLNESS, 25),
    (ClaimType.BUSINESS_FAILURE, 20),
    (ClaimType.DISASTER, 5),
    (ClaimType.OTHER, 15),
)
STORIES: dict[str, tuple[str, ...]] = {
    ClaimType.JOB_LOSS: (
        "借款人称所在公司裁员，上月起失业，暂无稳定收入",
        "借款人称工厂停产放假，已两个月未发工资",
    ),
    ClaimType.ILLNESS: (
        "借款人称本人住院手术，医疗费用支出较大",
        "借款人称配偶重病住院，家庭收入中断",
    ),
    ClaimType.BUSINESS_FAILURE: (
        "借款人称经营的餐饮店已停业，无力按期还款",
        "借款人称个体运输生意亏损，货款无法收回",
    ),
    ClaimType.DISASTER: ("借款人称家中遭受洪涝灾害，房屋及财产受损",),
    ClaimType.OTHER: ("借款人称家庭变故，收入大幅下降，请求协商还款",),
}
# A quarter of the claimants never send their documents (the claim lapses after 15 days); the
# others send each one 1–12 days after the call.
SILENT_SHARE = 0.25
VERIFIED_OK = 0.88
REFUSALS = ("复印件模糊，无法辨认，请借款人重新提供", "证明未加盖出具单位公章，请补充")
DECISIONS: tuple[tuple[str, int], ...] = (
    (ClaimState.ARRANGEMENT, 45),
    (ClaimState.PAUSED, 30),
    (ClaimState.REJECTED, 15),
    (ClaimState.BAD_FAITH, 10),
)
DECISION_NOTES: dict[str, str] = {
    ClaimState.ARRANGEMENT: "材料核实属实，同意协商分期还款",
    ClaimState.PAUSED: "材料核实属实，暂停计算逾期",
    ClaimState.REJECTED: "材料不足以证明无力偿还，维持原还款安排",
    ClaimState.BAD_FAITH: "材料与核查情况不符，借款人有还款能力，认定恶意逃债，转法务",
}
PAUSE_DAYS = 30
DISASTER_PAUSE_DAYS = 60


def file_on_call(
    desk: Desk, case: CollectionCase, agent: User, rng: random.Random, today: DayFigures
) -> bool:
    """The borrower says they cannot pay, and why: the collector records the claim."""
    if case_dpd(case) < MIN_DPD or case_busy(case):
        return False
    claim_type = weighted(rng, CLAIM_TYPES)
    claim = attempt(
        today, "hardship.file", claim_file,
        case=case, actor=agent, claim_type=claim_type,
        description=rng.choice(STORIES[claim_type]), today=today.day,
    )  # fmt: skip
    if claim is None:
        return False
    if rng.random() < SILENT_SHARE:
        desk.silent.add(claim.pk)
    else:
        for doc_type in REQUIRED_DOCUMENTS[claim_type]:
            desk.documents_on[(claim.pk, doc_type)] = today.day + timedelta(days=rng.randint(1, 12))
    return True


def upload_documents(desk: Desk, day: date, rng: random.Random, today: DayFigures) -> None:
    """The collector uploads each document that has come, for the claims awaiting them."""
    claims = (
        HardshipClaim.objects.filter(state=ClaimState.AWAITING_DOCUMENTS)
        .select_related("case__loan__borrower", "case__assigned_agent", "filed_by")
        .order_by("pk")
    )
    for claim in claims:
        if claim.pk in desk.silent:
            continue
        waiting = set(
            claim.documents.filter(verified_at__isnull=True).values_list("doc_type", flat=True)
        )
        for doc_type in missing_documents(claim):
            key = (claim.pk, doc_type)
            if doc_type in waiting:
                continue
            if key not in desk.documents_on:  # a claim filed before this run
                desk.documents_on[key] = day + timedelta(days=rng.randint(0, 5))
            worker = case_worker(claim.case, claim.filed_by)
            if desk.documents_on[key] > day or worker is None:
                continue
            label = str(DocumentType(doc_type).label)
            upload = pdf_upload(
                f"{label}.pdf",
                [
                    label,
                    f"困难申请 #{claim.pk}  合同编号 {claim.case.loan.contract_no}",
                    f"申请人：{claim.case.loan.borrower.name}",
                    f"出具日期：{day.isoformat()}",
                ],
            )
            attempt(
                today, "hardship.document_upload", document_upload,
                claim=claim, actor=worker, doc_type=doc_type, upload=upload,
            )  # fmt: skip


def verify_documents(desk: Desk, day: date, rng: random.Random, today: DayFigures) -> None:
    """The team lead checks each uploaded document against the original; a refused one comes
    again a few days later."""
    documents = (
        ClaimDocument.objects.filter(
            verified_at__isnull=True,
            claim__state__in=[ClaimState.AWAITING_DOCUMENTS, ClaimState.READY],
        )
        .exclude(uploaded_by=desk.lead)
        .select_related("claim__case")
        .order_by("pk")
    )
    for document in documents:
        ok = rng.random() < VERIFIED_OK
        note = "" if ok else rng.choice(REFUSALS)
        done = attempt(
            today, "hardship.document_verify", document_verify,
            document=document, actor=desk.lead, ok=ok, note=note,
        )  # fmt: skip
        if done is not None and not ok:
            desk.documents_on[(document.claim_id, document.doc_type)] = day + timedelta(
                days=rng.randint(2, 6)
            )


def decide_claims(desk: Desk, day: date, rng: random.Random, today: DayFigures) -> None:
    """The team lead decides every claim whose documents are all verified, and withdraws the
    open claims of cases that were cured meanwhile (the borrower paid after all)."""
    open_claims = (
        HardshipClaim.objects.filter(state__in=[ClaimState.AWAITING_DOCUMENTS, ClaimState.READY])
        .select_related("case")
        .order_by("pk")
    )
    for claim in open_claims:
        decision: str
        if claim.case.status != CaseStatus.OPEN:
            decision, note = ClaimState.WITHDRAWN, "借款人已还清逾期款项，申请撤回"
        elif claim.state == ClaimState.READY:
            decision = weighted(rng, DECISIONS)
            if decision == ClaimState.BAD_FAITH and claim.case.legal_referred_at is not None:
                # Already with legal (referred before the claim was decided).
                decision = ClaimState.REJECTED
            note = DECISION_NOTES[decision]
        else:
            continue
        pause = DISASTER_PAUSE_DAYS if claim.claim_type == ClaimType.DISASTER else PAUSE_DAYS
        attempt(
            today, f"hardship.{decision}", claim_decide,
            claim=claim, actor=desk.lead, decision=decision, note=note,
            pause_days=pause if decision == ClaimState.PAUSED else 0, today=day,
        )  # fmt: skip


def propose_after_claims(desk: Desk, rng: random.Random, today: DayFigures) -> None:
    """A claim decided for an arrangement: the collector proposes a longer installment plan."""
    claims = (
        HardshipClaim.objects.filter(state=ClaimState.ARRANGEMENT)
        .exclude(pk__in=desk.planned_claims)
        .select_related("case__assigned_agent", "filed_by")
        .order_by("pk")
    )
    for claim in claims:
        desk.planned_claims.add(claim.pk)
        case = claim.case
        worker = case_worker(case, claim.filed_by)
        if worker is None or case.status != CaseStatus.OPEN or case_busy(case, claims=False):
            continue
        propose(
            case, worker, rng, today, kind=ArrangementKind.INSTALLMENT_PLAN,
            installments=rng.choice((6, 9, 12)),
            reason=f"困难申请 #{claim.pk} 核实属实，组长同意协商分期还款",
        )  # fmt: skip
