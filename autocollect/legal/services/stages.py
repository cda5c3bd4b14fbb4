"""The stage machine of a referral: the table of allowed moves, the row lock and the move
itself (``cases.workflow.state_move``), which every stage-changing service goes through.

Stages and moves (docs/legal.md)::

    referral ──▶ mediation ──▶ judicial_confirmation ──▶ enforcement ──▶ closed
       │            │                 │                      ▲
       │            └──────┬──────────┘ (mediation failed /  │
       └───────────────────▼            confirmation refused)│
                       litigation ───────────────────────────┘
    every stage ──▶ closed (paid, settled, withdrawn, unrecoverable)
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from autocollect.accounts.models import User
from autocollect.cases.workflow import state_lock, state_move
from autocollect.core import clock
from autocollect.legal.models import LegalReferral, Stage

TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.REFERRAL: frozenset({Stage.MEDIATION, Stage.LITIGATION, Stage.CLOSED}),
    Stage.MEDIATION: frozenset({Stage.JUDICIAL_CONFIRMATION, Stage.LITIGATION, Stage.CLOSED}),
    Stage.JUDICIAL_CONFIRMATION: frozenset({Stage.ENFORCEMENT, Stage.LITIGATION, Stage.CLOSED}),
    Stage.LITIGATION: frozenset({Stage.ENFORCEMENT, Stage.CLOSED}),
    Stage.ENFORCEMENT: frozenset({Stage.CLOSED}),
    Stage.CLOSED: frozenset(),
}
# The msgid (tests compare with it); each use translates it when raised.
STAGE_CHANGED = gettext_noop("法务阶段已变化，请刷新后重试")


def allowed_stages(referral: LegalReferral) -> frozenset[str]:
    return TRANSITIONS[referral.stage]


def stage_move(referral: LegalReferral, to: str, *, actor: User, reason: str = "") -> None:
    """Lock, check the stage did not change since ``referral`` was read and the move against
    the table, save the whole row (the caller set its own fields on it), audit the stage
    (``cases.workflow.state_move``); the caller audits the details."""
    state_move(
        referral,
        to=to,
        field="stage",
        transitions=TRANSITIONS,
        labels=Stage,
        changed=_(STAGE_CHANGED),
        refused=_("不允许的阶段变更：%(from)s → %(to)s"),
        actor=actor.get_username(),
        action="legal.stage",
        reason=reason,
        values={"stage_changed_at": clock.now()},
        fields=None,
    )


def referral_locked(referral: LegalReferral) -> LegalReferral:
    return LegalReferral.objects.select_for_update().get(pk=referral.pk)


def referral_locked_to_move(referral: LegalReferral) -> LegalReferral:
    """The row locked for a stage move, refused when its stage is no longer the one the
    caller read: of two legal users acting on one referral at once, the second is told to
    reload instead of moving a referral that has just moved."""
    return state_lock(referral, field="stage", changed=_(STAGE_CHANGED))
