"""A stage move on a referral that moved since it was read is refused: two legal users acting
on one referral at once do not both succeed. The move locks the row (cases.workflow), and the
second user is told to reload, with nothing changed and nothing audited."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection, transaction

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CollectionCase
from autocollect.core.errors import Refused
from autocollect.legal.models import LegalReferral, Stage
from autocollect.legal.services.litigation import litigation_file
from autocollect.legal.services.mediation import mediation_start
from autocollect.legal.services.referrals import referral_close, referral_create
from autocollect.legal.services.stages import STAGE_CHANGED, stage_move

Move = Callable[[LegalReferral, User], object]


def mediate(referral: LegalReferral, actor: User) -> object:
    return mediation_start(referral=referral, actor=actor, mediator="王调解员")


def sue(referral: LegalReferral, actor: User) -> object:
    return litigation_file(
        referral=referral, actor=actor, court="南山法院", case_no="(2026)粤0305民初9号",
        filed_on=date(2026, 3, 10),
    )  # fmt: skip


def close(referral: LegalReferral, actor: User) -> object:
    return referral_close(referral=referral, actor=actor, outcome="withdrawn", note="撤回起诉")


def refer(case: CollectionCase, people: dict[str, User]) -> LegalReferral:
    return referral_create(case=case, actor=people["lead"], reason="refused_to_pay")


# (what someone else did meanwhile, the move the stale reader then tries, where it ends). The
# stale move would be allowed from the new stage too, or refused for another reason: either
# way the reader is told the referral changed.
CASES = [
    pytest.param(mediate, sue, Stage.MEDIATION, id="mediated-then-stale-suit"),
    pytest.param(mediate, close, Stage.MEDIATION, id="mediated-then-stale-close"),
    pytest.param(sue, mediate, Stage.LITIGATION, id="sued-then-stale-mediation"),
    pytest.param(close, sue, Stage.CLOSED, id="closed-then-stale-suit"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("meanwhile", "stale_move", "stage"), CASES)
def test_a_move_on_a_referral_read_before_it_moved_is_refused_and_not_audited(
    case: CollectionCase,
    people: dict[str, User],
    meanwhile: Move,
    stale_move: Move,
    stage: str,
) -> None:
    referral = refer(case, people)
    stale = LegalReferral.objects.get(pk=referral.pk)  # the second user's page
    meanwhile(referral, people["legal"])
    before = LegalReferral.objects.get(pk=referral.pk)
    events = AuditEvent.objects.count()

    with pytest.raises(Refused) as refused:
        stale_move(stale, people["legal"])

    assert refused.value.message == STAGE_CHANGED
    after = LegalReferral.objects.get(pk=referral.pk)
    assert after.stage == stage
    assert (after.stage_changed_at, after.court, after.mediator, after.closed_at) == (
        before.stage_changed_at,
        before.court,
        before.mediator,
        before.closed_at,
    )
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_the_stage_step_itself_refuses_a_stale_referral(
    case: CollectionCase, people: dict[str, User]
) -> None:
    referral = refer(case, people)
    stale = LegalReferral.objects.get(pk=referral.pk)
    mediate(referral, people["legal"])
    events = AuditEvent.objects.count()

    with pytest.raises(Refused, match=STAGE_CHANGED):
        stage_move(stale, Stage.LITIGATION, actor=people["legal"])

    assert LegalReferral.objects.get(pk=referral.pk).stage == Stage.MEDIATION
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db(transaction=True)
def test_two_legal_users_at_once_the_second_waits_for_the_first_and_is_refused(
    case: CollectionCase, people: dict[str, User]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises whole writes)")
    referral = refer(case, people)
    stale = LegalReferral.objects.get(pk=referral.pk)
    outcome: dict[str, object] = {}

    def second_user() -> None:
        try:
            close(stale, people["legal"])
            outcome["result"] = "closed"
        except Refused as exc:
            outcome["result"] = exc.message
        finally:
            connection.close()

    other = threading.Thread(target=second_user)
    with transaction.atomic():
        mediate(referral, people["legal"])  # the first user holds the row until commit
        other.start()
        other.join(timeout=1)
        # The second user is waiting for the row, not working on what it read.
        assert other.is_alive()
    other.join(timeout=20)

    assert not other.is_alive()
    assert outcome == {"result": STAGE_CHANGED}
    assert LegalReferral.objects.get(pk=referral.pk).stage == Stage.MEDIATION
    assert list(
        AuditEvent.objects.filter(action="legal.stage").values_list("after", flat=True)
    ) == [{"stage": "mediation"}]
