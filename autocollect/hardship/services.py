"""Hardship claims: file, upload and verify documents, decide, lapse overdue claims.

State machine (docs/hardship.md has the table)::

    awaiting_documents ──(last required document verified)──▶ ready
        │  ├─▶ rejected / bad_faith / withdrawn                 │
        │  └─▶ lapsed (deadline passed, `hardship_overdue --lapse`)
        │                                                       ├─▶ arrangement / paused
        └───────────────────────────────────────────────────────┴─▶ rejected / bad_faith / withdrawn

Anything else raises ``ApplicationError`` and changes nothing; every transition is audited.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.cases.models import CollectionCase, FlagKind
from autocollect.cases.services import case_flag_clear, case_flag_set
from autocollect.cases.workflow import state_lock, state_move
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse
from autocollect.delinquency.models import PauseReason
from autocollect.delinquency.services import loan_pause
from autocollect.documents.storage import document_atomic, document_store
from autocollect.hardship import permissions, selectors
from autocollect.hardship.claim_types import DOCUMENT_DEADLINE_DAYS, ClaimType, DocumentType
from autocollect.hardship.models import TRANSITIONS, ClaimDocument, ClaimState, HardshipClaim
from autocollect.legal.models import ReferralReason
from autocollect.legal.services.referrals import referral_create

C = ClaimState
DECISIONS = (C.ARRANGEMENT, C.PAUSED, C.REJECTED, C.BAD_FAITH, C.WITHDRAWN)
# Final states in which the borrower's hardship is no longer taken as claimed.
_CLEARS_FLAG = frozenset({C.REJECTED, C.BAD_FAITH, C.LAPSED, C.WITHDRAWN})
MAX_PAUSE_DAYS = 90
# Sub-folder of the document store for the proofs (registered in apps.py).
DOCUMENT_FOLDER = "hardship"


def _name(user: User) -> str:
    return user.get_username()


def _move(
    claim: HardshipClaim,
    *,
    to: str,
    actor: str,
    reason: str = "",
    extra: dict[str, Any] | None = None,
    fields: tuple[str, ...] = (),
) -> HardshipClaim:
    """Lock, check the claim did not change since it was read and the transition against the
    table, save, audit (``cases.workflow.state_move``); a final state that ends the claim
    clears the case's hardship flag."""
    state_move(
        claim,
        to=to,
        field="state",
        transitions=TRANSITIONS,
        labels=C,
        changed=_("申请状态已变化，请刷新后重试"),
        refused=_("申请当前为“%(from)s”，不能变为“%(to)s”"),
        actor=actor,
        action=f"hardship.{to}",
        reason=reason,
        extra={"case": claim.case_id, **(extra or {})},
        fields=fields,
    )
    if to in _CLEARS_FLAG:
        _flag_clear(claim, actor=actor)
    return claim


def _flag_clear(claim: HardshipClaim, *, actor: str) -> None:
    case_flag_clear(
        case_id=claim.case_id,
        kind=FlagKind.HARDSHIP_CLAIMED,
        actor=actor,
        extra={"claim": claim.pk},
    )


@transaction.atomic
def claim_file(
    *,
    case: CollectionCase,
    actor: User,
    claim_type: str,
    description: str,
    today: date | None = None,
) -> HardshipClaim:
    """Record the borrower's hardship claim; the required documents are due in
    ``DOCUMENT_DEADLINE_DAYS`` days. Sets the ``hardship_claimed`` flag on the case."""
    today = today or clock.localdate()
    refuse(permissions.claim_file_refusal(actor, case))
    if claim_type not in ClaimType.values:
        raise ApplicationError(_("未知的困难类型：%(t)s") % {"t": claim_type})
    if not description.strip():
        raise ApplicationError(_("请填写情况说明"))
    now = clock.now()
    claim = HardshipClaim.objects.create(
        case=case,
        claim_type=claim_type,
        description=description.strip(),
        filed_by=actor,
        filed_at=now,
        documents_due_on=today + timedelta(days=DOCUMENT_DEADLINE_DAYS),
    )
    audit_record(
        actor=_name(actor),
        action="hardship.file",
        obj=claim,
        after={
            "case": case.pk,
            "claim_type": claim_type,
            "state": claim.state,
            "documents_due_on": claim.documents_due_on.isoformat(),
        },
        reason=claim.description,
    )
    case_flag_set(
        case_id=case.pk,
        kind=FlagKind.HARDSHIP_CLAIMED,
        actor=_name(actor),
        note=_("困难申请 #%(pk)s") % {"pk": claim.pk},
        at=now,
        extra={"claim": claim.pk},
    )
    return claim


@document_atomic()
def document_upload(
    *, claim: HardshipClaim, actor: User, doc_type: str, upload: UploadedFile
) -> ClaimDocument:
    """Store one proof of the claim. The claim is locked and its state checked before the
    file is written, so a claim decided meanwhile is refused and nothing is left on disk."""
    state_lock(claim, field="state", changed=_("申请状态已变化，请刷新后重试"))
    refuse(permissions.document_upload_refusal(actor, claim))
    if doc_type not in DocumentType.values:
        raise ApplicationError(_("未知的材料类型：%(t)s") % {"t": doc_type})
    stored = document_store(upload, folder=DOCUMENT_FOLDER)
    document = ClaimDocument.objects.create(
        claim=claim,
        doc_type=doc_type,
        original_name=stored.original_name,
        stored_path=stored.stored_path,
        sha256=stored.sha256,
        size_bytes=stored.size_bytes,
        content_type=stored.content_type,
        uploaded_by=actor,
        uploaded_at=clock.now(),
    )
    audit_record(
        actor=_name(actor),
        action="hardship.document_upload",
        obj=document,
        after={"claim": claim.pk, "doc_type": doc_type, "sha256": stored.sha256},
    )
    return document


@transaction.atomic
def document_verify(
    *, document: ClaimDocument, actor: User, ok: bool, note: str = ""
) -> ClaimDocument:
    """A named user other than the uploader checks one document against the original. When
    the last required document is verified the claim is ready for a decision."""
    claim = document.claim
    refuse(permissions.document_verify_refusal(actor, document))
    if not ok and not note.strip():
        raise ApplicationError(_("不通过须说明理由"))
    document.verified_by = actor
    document.verified_at = clock.now()
    document.verified_ok = ok
    document.verification_note = note
    document.save(update_fields=["verified_by", "verified_at", "verified_ok", "verification_note"])
    audit_record(
        actor=_name(actor),
        action="hardship.document_verify",
        obj=document,
        before={"verified": False},
        after={"claim": claim.pk, "doc_type": document.doc_type, "ok": ok},
        reason=note,
    )
    if claim.state == C.AWAITING_DOCUMENTS and not selectors.missing_documents(claim):
        _move(claim, to=C.READY, actor=_name(actor), reason=_("材料齐全"))
    return document


def _refer_to_legal(claim: HardshipClaim, *, actor: User, note: str) -> str:
    """Bad faith goes to legal through the legal module's referral (it sets
    ``legal_referred_at`` and places the legal hold), with its own reason
    (``bad_faith_hardship``) and a note naming the claim, so legal can find it."""
    reason_text = _("困难申请 #%(pk)s 认定为恶意逃债：%(note)s") % {"pk": claim.pk, "note": note}
    referral = referral_create(
        case=claim.case,
        actor=actor,
        reason=ReferralReason.BAD_FAITH_HARDSHIP,
        note=reason_text,
    )
    return f"referral:{referral.pk}"


@transaction.atomic
def claim_decide(
    *,
    claim: HardshipClaim,
    actor: User,
    decision: str,
    note: str,
    pause_days: int = 0,
    today: date | None = None,
) -> HardshipClaim:
    """A team lead decides the claim: arrangement (propose one next), temporary pause (the
    loan's delinquency stops counting for ``pause_days``), rejected, or bad faith (→ legal).
    The proposer of the claim may also withdraw it."""
    today = today or clock.localdate()
    if decision not in DECISIONS:
        raise ApplicationError(_("未知的决定：%(d)s") % {"d": decision})
    refuse(permissions.claim_decide_refusal(actor, claim, decision))
    if not note.strip():
        raise ApplicationError(_("请填写决定说明"))
    extra: dict[str, Any] = {}
    fields = ["decided_by", "decided_at", "decision_note"]
    if decision == C.PAUSED:
        if not 1 <= pause_days <= MAX_PAUSE_DAYS:
            raise ApplicationError(_("暂停天数须在 1 到 %(n)s 之间") % {"n": MAX_PAUSE_DAYS})
        end = today + timedelta(days=pause_days - 1)
        pause = loan_pause(
            loan=claim.case.loan,
            start_on=today,
            end_on=end,
            reason=(
                PauseReason.DISASTER_RELIEF
                if claim.claim_type == ClaimType.DISASTER
                else PauseReason.OTHER
            ),
            actor=_name(actor),
            note=_("困难申请 #%(pk)s：%(note)s") % {"pk": claim.pk, "note": note},
            case=claim.case,
        )
        claim.pause_until = end
        fields.append("pause_until")
        extra = {"pause": pause.pk, "pause_until": end.isoformat()}
    elif decision == C.BAD_FAITH:
        extra = {"legal": _refer_to_legal(claim, actor=actor, note=note)}
    claim.decided_by = actor
    claim.decided_at = clock.now()
    claim.decision_note = note
    return _move(
        claim, to=decision, actor=_name(actor), reason=note, extra=extra, fields=tuple(fields)
    )


@transaction.atomic
def claims_lapse_overdue(*, as_of: date, actor: str = "system") -> list[HardshipClaim]:
    """Close the claims whose documents were not all verified by their deadline."""
    lapsed = []
    for claim in selectors.claims_overdue(as_of=as_of):
        claim.decision_note = _("材料截止日期 %(d)s 前未补齐") % {"d": claim.documents_due_on}
        _move(
            claim,
            to=C.LAPSED,
            actor=actor,
            reason=claim.decision_note,
            fields=("decision_note",),
        )
        lapsed.append(claim)
    return lapsed
