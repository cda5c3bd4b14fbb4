"""Writes on collection cases that every app shares, one function each, so that a flag, a
promise, a follow-up or an alert is written and audited the same way whoever causes it:

- ``case_flag_set`` / ``case_flag_clear``: a flag on the case (lost contact, hardship claimed,
  vehicle risk, broken arrangement …), audited as ``case.flag_set`` and ``case.flag_clear``;
- ``promise_create``: a promise to pay (``promise.create``), judged later by the daily cycle;
- ``follow_up_replace``: the case's next follow-up date (``follow_up.create``/``.done``);
- ``alert_raise``: an alert to the team lead (``alert.raise``).

They join the caller's transaction; the use cases that call them (logging an outcome on the
workbench, a hardship claim, a skip trace …) check who may act.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.cases.models import Alert, CaseFlag, CollectionCase, FollowUp, Promise
from autocollect.core import clock


def case_flag_set(
    *,
    case_id: int,
    kind: str,
    actor: str,
    note: str = "",
    at: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[CaseFlag, bool]:
    """Set the flag ``kind`` on the case unless it is already set (and not cleared). Returns
    the active flag and whether it was set now. ``extra`` goes into the audit event (what
    caused it: an arrangement, a claim …)."""
    active = CaseFlag.objects.filter(case_id=case_id, kind=kind, cleared_at__isnull=True).first()
    if active is not None:
        return active, False
    flag = CaseFlag.objects.create(
        case_id=case_id, kind=kind, set_at=at or clock.now(), set_by=actor, note=note
    )
    audit_record(
        actor=actor,
        action="case.flag_set",
        obj=flag,
        after={"case": case_id, "kind": kind, **(extra or {})},
    )
    return flag, True


def case_flag_clear(
    *,
    case_id: int,
    kind: str,
    actor: str,
    reason: str = "",
    at: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> list[CaseFlag]:
    """Clear the active flag ``kind`` of the case (none is fine); returns what was cleared."""
    when = at or clock.now()
    cleared = list(CaseFlag.objects.filter(case_id=case_id, kind=kind, cleared_at__isnull=True))
    for flag in cleared:
        flag.cleared_at = when
        flag.save(update_fields=["cleared_at"])
        audit_record(
            actor=actor,
            action="case.flag_clear",
            obj=flag,
            before={"case": case_id, "kind": kind, "active": True},
            after={"active": False, **(extra or {})},
            reason=reason,
        )
    return cleared


def promise_create(
    *, case: CollectionCase, amount_fen: int, due_on: date, promised_on: date, actor: str
) -> Promise:
    """A promise to pay ``amount_fen`` by ``due_on``, made on ``promised_on`` (the debtor's
    local day); the daily cycle judges it kept, partly kept or broken."""
    promise = Promise.objects.create(
        case=case,
        loan=case.loan,
        promised_on=promised_on,
        due_on=due_on,
        amount_fen=amount_fen,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="promise.create",
        obj=promise,
        after={"case": case.pk, "amount_fen": amount_fen, "due_on": due_on.isoformat()},
    )
    return promise


def follow_up_replace(
    *, case: CollectionCase, agent: User, due_on: date | None, when: datetime
) -> FollowUp | None:
    """The case's open follow-up is done; a new date opens the next one (for the case's
    collector, or ``agent`` when it has none)."""
    actor = agent.get_username()
    done = FollowUp.objects.filter(case=case, done_at__isnull=True).update(done_at=when)
    if due_on is None:
        if done:
            audit_record(
                actor=actor,
                action="follow_up.done",
                object_type="cases.collectioncase",
                object_id=str(case.pk),
                after={"done": done},
            )
        return None
    follow_up = FollowUp.objects.create(
        case=case,
        due_on=due_on,
        agent=case.assigned_agent or agent,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="follow_up.create",
        obj=follow_up,
        after={"case": case.pk, "due_on": due_on.isoformat(), "replaced": done},
    )
    return follow_up


def alert_raise(
    *, case: CollectionCase, kind: str, raised_by: User | None, message: str = ""
) -> Alert:
    alert = Alert.objects.create(
        case=case, kind=kind, raised_by=raised_by, raised_at=clock.now(), message=message
    )
    audit_record(
        actor=raised_by.get_username() if raised_by else "system",
        action="alert.raise",
        obj=alert,
        after={"case": case.pk, "kind": kind},
    )
    return alert
