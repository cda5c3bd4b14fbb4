"""Deadlines: the steps that open and finish them for the stage services, a legal user
completing one, and the daily check that alerts every overdue deadline once (docs/legal.md,
"Deadlines"). The periods themselves are in ``legal.models`` (``JC_APPLICATION_DAYS`` …)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse
from autocollect.legal.models import DeadlineResolution, LegalDeadline, LegalReferral
from autocollect.legal.permissions import referral_work_refusal
from autocollect.legal.selectors import deadlines_due_soon

DEFAULT_SOON_DAYS = 7
SYSTEM_ACTOR = "system:legal-deadlines"


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def deadline_add(referral: LegalReferral, kind: str, due_on: date, note: str = "") -> LegalDeadline:
    return LegalDeadline.objects.create(
        referral=referral, kind=kind, due_on=due_on, note=note, created_at=clock.now()
    )


def deadlines_finish(
    referral: LegalReferral, kinds: list[str] | None, resolution: str, actor: str
) -> None:
    """Finish the referral's open deadlines of ``kinds`` (all of them for ``None``), one audit
    event each."""
    open_ = LegalDeadline.objects.filter(referral=referral, done_at__isnull=True)
    if kinds is not None:
        open_ = open_.filter(kind__in=kinds)
    for deadline in open_:
        deadline.done_at = clock.now()
        deadline.resolution = resolution
        deadline.save(update_fields=["done_at", "resolution"])
        audit_record(
            actor=actor,
            action="legal.deadline_done",
            obj=deadline,
            after={"kind": deadline.kind, "due_on": deadline.due_on, "resolution": resolution},
        )


@transaction.atomic
def deadline_complete(*, deadline: LegalDeadline, actor: User, note: str = "") -> LegalDeadline:
    refuse(referral_work_refusal(actor))
    deadline = LegalDeadline.objects.select_for_update().get(pk=deadline.pk)
    if deadline.done_at is not None:
        raise ApplicationError(_("期限已完成"))
    deadline.done_at = clock.now()
    deadline.resolution = DeadlineResolution.MET
    if note.strip():
        deadline.note = f"{deadline.note}\n{note.strip()}".strip()
    deadline.save(update_fields=["done_at", "resolution", "note"])
    audit_record(
        actor=actor.get_username(),
        action="legal.deadline_done",
        obj=deadline,
        after={"kind": deadline.kind, "due_on": deadline.due_on, "resolution": "met"},
        reason=note,
    )
    return deadline


# --- the daily deadline check ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeadlineReport:
    as_of: date
    overdue: list[LegalDeadline]
    due_soon: list[LegalDeadline]
    newly_alerted: list[int]


@transaction.atomic
def deadline_scan(*, as_of: date, soon_days: int = DEFAULT_SOON_DAYS) -> DeadlineReport:
    """Open deadlines past due on ``as_of`` and those due within ``soon_days``. Each overdue
    deadline is alerted once (``overdue_alerted_at`` set, one audit event), and listed every
    day until it is done: nothing passes unnoticed."""
    overdue, soon = deadlines_due_soon(as_of=as_of, days=soon_days)
    alerted: list[int] = []
    for deadline in overdue:
        if deadline.overdue_alerted_at is None:
            deadline.overdue_alerted_at = clock.now()
            deadline.save(update_fields=["overdue_alerted_at"])
            audit_record(
                actor=SYSTEM_ACTOR,
                action="legal.deadline_overdue",
                obj=deadline,
                after={
                    "referral": deadline.referral_id,
                    "kind": deadline.kind,
                    "due_on": deadline.due_on,
                    "as_of": as_of,
                },
            )
            alerted.append(deadline.pk)
    return DeadlineReport(as_of=as_of, overdue=overdue, due_soon=soon, newly_alerted=alerted)
