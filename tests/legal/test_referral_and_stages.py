"""Legal referral and the stage machine: allowed paths, forbidden moves (refused, nothing
changed), holds, deadlines and audit events."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.audit.services import audit_verify
from autocollect.cases.models import CollectionCase
from autocollect.compliance.models import ContactHold
from autocollect.compliance.services import contact_check
from autocollect.core.errors import ApplicationError, Refused
from autocollect.legal.models import (
    DeadlineKind,
    DefendantKind,
    LegalDeadline,
    LegalReferral,
    Stage,
)
from autocollect.legal.selectors import loan_balance_fen
from autocollect.legal.services.costs import cost_record
from autocollect.legal.services.litigation import (
    enforcement_apply,
    hearing_add,
    judgment_record,
    litigation_file,
    recovery_record,
)
from autocollect.legal.services.mediation import (
    jc_accept,
    jc_apply,
    jc_rule,
    mediation_session_record,
    mediation_start,
)
from autocollect.legal.services.referrals import ThirdParty, referral_close, referral_create
from autocollect.legal.services.stages import TRANSITIONS, stage_move

pytestmark = pytest.mark.django_db


def refer(case: CollectionCase, actor: User, **kwargs: object) -> LegalReferral:
    return referral_create(case=case, actor=actor, reason="refused_to_pay", **kwargs)  # type: ignore[arg-type]


def test_referral_fixes_amounts_names_defendants_places_the_legal_hold_and_is_audited(
    case: CollectionCase, people: dict[str, User]
) -> None:
    today = timezone.localdate()
    referral = refer(
        case,
        people["lead"],
        note="三次承诺未兑现",
        third_parties=(ThirdParty(name="李四", basis="受让抵押车辆"),),
        vehicle_value_fen=5_000_000,
        costs_fen=300_000,
    )

    case.refresh_from_db()
    assert case.legal_referred_at is not None
    balance = loan_balance_fen(case.loan, as_of=today)
    assert referral.outstanding_fen == balance
    # Principal of ¥120,000, three installments due and unpaid: the balance is the principal
    # plus three months' interest.
    assert 12_000_000 < balance < 12_300_000
    assert referral.exposure_fen == balance + 300_000 - 5_000_000
    assert referral.stage == Stage.REFERRAL
    kinds = sorted(referral.defendants.values_list("kind", "name"))
    assert kinds == [(DefendantKind.BORROWER, "张伟"), (DefendantKind.THIRD_PARTY, "李四")]
    hold = ContactHold.objects.get(case=case, released_at__isnull=True)
    assert hold.reason == "legal"
    assert referral.hold_id == hold.pk
    event = AuditEvent.objects.get(action="legal.refer")
    assert event.after is not None
    assert event.after["exposure_fen"] == referral.exposure_fen
    assert event.actor == "lead1"
    assert audit_verify().ok


def test_collection_contact_is_refused_once_the_case_is_with_legal(
    case: CollectionCase, people: dict[str, User]
) -> None:
    refer(case, people["legal"])
    decision = contact_check(
        case=case,
        channel="sms",
        party="borrower",
        number="+8613800138000",
        requested_by="test",
        record=False,
    )
    assert not decision.allowed
    assert "cn.hold.legal" in decision.rules


def test_a_collector_cannot_refer_and_a_case_is_referred_only_once(
    case: CollectionCase, people: dict[str, User]
) -> None:
    with pytest.raises(PermissionDenied):
        refer(case, people["collector"])
    assert not LegalReferral.objects.exists()
    refer(case, people["lead"])
    with pytest.raises(Refused):
        refer(case, people["legal"])
    assert LegalReferral.objects.count() == 1
    assert ContactHold.objects.filter(case=case).count() == 1


def test_mediation_to_judicial_confirmation_to_enforcement_to_closed(
    case: CollectionCase, people: dict[str, User]
) -> None:
    legal = people["legal"]
    referral = refer(case, people["lead"])
    day = date(2026, 3, 2)
    referral = mediation_start(referral=referral, actor=legal, mediator="王调解员")
    mediation_session_record(
        referral=referral, actor=legal, held_on=day, result="continuing", notes="首次调解"
    )
    mediation_session_record(
        referral=referral, actor=legal, held_on=day + timedelta(days=7), result="agreement",
        agreement_fen=10_000_000,
    )  # fmt: skip
    window = LegalDeadline.objects.get(referral=referral, kind=DeadlineKind.JC_APPLICATION)
    assert window.due_on == day + timedelta(days=37)

    referral = jc_apply(
        referral=referral,
        actor=legal,
        court="深圳市南山区人民法院",
        applied_on=day + timedelta(days=20),
    )
    window.refresh_from_db()
    assert window.done_at is not None
    assert window.resolution == "met"
    assert referral.stage == Stage.JUDICIAL_CONFIRMATION
    acceptance = LegalDeadline.objects.get(referral=referral, kind=DeadlineKind.JC_ACCEPTANCE)
    assert acceptance.due_on == day + timedelta(days=23)

    referral = jc_accept(referral=referral, actor=legal, accepted_on=day + timedelta(days=22))
    ruling = LegalDeadline.objects.get(referral=referral, kind=DeadlineKind.JC_RULING)
    assert ruling.due_on == day + timedelta(days=37)
    referral = jc_rule(
        referral=referral, actor=legal, ruling_on=day + timedelta(days=30), confirmed=True
    )
    enforcement = LegalDeadline.objects.get(
        referral=referral, kind=DeadlineKind.ENFORCEMENT_APPLICATION
    )
    assert enforcement.due_on == date(2028, 4, 1)

    referral = enforcement_apply(
        referral=referral,
        actor=legal,
        applied_on=day + timedelta(days=60),
        case_no="(2026)粤0305执1号",
    )
    cost_record(
        referral=referral, actor=legal, kind="court_fee", amount_fen=50_000, incurred_on=day
    )
    recovery_record(referral=referral, actor=legal, amount_fen=4_000_000)
    referral = referral_close(
        referral=referral, actor=legal, outcome="partly_recovered", note="执行回款40,000元"
    )

    assert referral.stage == Stage.CLOSED
    assert referral.recovered_fen == 4_000_000
    assert not LegalDeadline.objects.filter(referral=referral, done_at__isnull=True).exists()
    # The legal hold placed at referral is released at closure.
    assert not ContactHold.objects.filter(case=case, released_at__isnull=True).exists()
    stages = [
        (e.before["stage"], e.after["stage"])  # type: ignore[index]
        for e in AuditEvent.objects.filter(action="legal.stage").order_by("id")
    ]
    assert stages == [
        ("referral", "mediation"),
        ("mediation", "judicial_confirmation"),
        ("judicial_confirmation", "enforcement"),
        ("enforcement", "closed"),
    ]
    assert audit_verify().ok


def test_failed_mediation_goes_to_litigation_hearing_judgment_enforcement(
    case: CollectionCase, people: dict[str, User]
) -> None:
    legal = people["legal"]
    referral = mediation_start(
        referral=refer(case, people["lead"]), actor=legal, mediator="王调解员"
    )
    mediation_session_record(
        referral=referral, actor=legal, held_on=date(2026, 3, 2), result="failed"
    )
    referral = litigation_file(
        referral=referral, actor=legal, court="南山法院", case_no="(2026)粤0305民初1号",
        filed_on=date(2026, 3, 10),
    )  # fmt: skip
    with pytest.raises(Refused):
        enforcement_apply(referral=referral, actor=legal, applied_on=date(2026, 4, 1))
    hearing_add(referral=referral, actor=legal, scheduled_on=date(2026, 4, 20))
    referral = judgment_record(
        referral=referral, actor=legal, judgment_on=date(2026, 5, 1),
        effective_on=date(2026, 5, 20), amount_fen=12_100_000, summary="支持全部诉请",
    )  # fmt: skip
    hearing = LegalDeadline.objects.get(referral=referral, kind=DeadlineKind.HEARING)
    assert hearing.done_at is not None
    referral = enforcement_apply(referral=referral, actor=legal, applied_on=date(2026, 6, 1))
    assert referral.stage == Stage.ENFORCEMENT


def test_referral_can_go_straight_to_litigation_for_a_default_judgment(
    case: CollectionCase, people: dict[str, User]
) -> None:
    referral = refer(case, people["lead"], default_judgment=True)
    referral = litigation_file(
        referral=referral, actor=people["legal"], court="南山法院", case_no="(2026)民初2号",
        filed_on=date(2026, 3, 1),
    )  # fmt: skip
    assert referral.stage == Stage.LITIGATION
    assert referral.default_judgment


FORBIDDEN = [
    (a, b) for a, b in product(Stage.values, Stage.values) if b not in TRANSITIONS[a] and a != b
]


@pytest.mark.parametrize(("start", "to"), FORBIDDEN)
def test_every_move_outside_the_table_is_refused_and_changes_nothing(
    case: CollectionCase, people: dict[str, User], start: str, to: str
) -> None:
    referral = refer(case, people["lead"])
    LegalReferral.objects.filter(pk=referral.pk).update(stage=start)
    referral.refresh_from_db()
    events = AuditEvent.objects.count()

    with pytest.raises(Refused):
        stage_move(referral, to, actor=people["legal"])

    referral.refresh_from_db()
    assert referral.stage == start
    assert AuditEvent.objects.count() == events


def test_judicial_confirmation_needs_an_agreement_and_the_30_day_window(
    case: CollectionCase, people: dict[str, User]
) -> None:
    legal = people["legal"]
    referral = refer(case, people["lead"])
    # Straight from referral: no mediation agreement.
    with pytest.raises(ApplicationError):
        jc_apply(referral=referral, actor=legal, court="法院", applied_on=date(2026, 3, 1))
    referral = mediation_start(referral=referral, actor=legal, mediator="王")
    mediation_session_record(
        referral=referral, actor=legal, held_on=date(2026, 3, 1), result="agreement",
        agreement_fen=9_000_000,
    )  # fmt: skip
    # Suing while the confirmation window is open is refused too.
    with pytest.raises(Refused):
        litigation_file(
            referral=referral, actor=legal, court="法院", case_no="x", filed_on=date(2026, 3, 5)
        )
    with pytest.raises(ApplicationError, match="已超过司法确认申请期限"):
        jc_apply(referral=referral, actor=legal, court="法院", applied_on=date(2026, 4, 1))
    referral.refresh_from_db()
    assert referral.stage == Stage.MEDIATION
    assert referral.jc_applied_on is None
    # Day 30 is still inside.
    referral = jc_apply(referral=referral, actor=legal, court="法院", applied_on=date(2026, 3, 31))
    assert referral.stage == Stage.JUDICIAL_CONFIRMATION
    # A pending confirmation cannot be enforced nor abandoned for a lawsuit.
    with pytest.raises(Refused):
        enforcement_apply(referral=referral, actor=legal, applied_on=date(2026, 4, 2))
    with pytest.raises(Refused):
        litigation_file(
            referral=referral, actor=legal, court="法院", case_no="x", filed_on=date(2026, 4, 2)
        )


def test_a_refused_confirmation_may_be_litigated_and_its_deadlines_are_superseded(
    case: CollectionCase, people: dict[str, User]
) -> None:
    legal = people["legal"]
    referral = mediation_start(referral=refer(case, people["lead"]), actor=legal, mediator="王")
    mediation_session_record(
        referral=referral, actor=legal, held_on=date(2026, 3, 1), result="agreement",
        agreement_fen=9_000_000,
    )  # fmt: skip
    referral = jc_apply(referral=referral, actor=legal, court="法院", applied_on=date(2026, 3, 3))
    referral = jc_accept(referral=referral, actor=legal, accepted_on=date(2026, 3, 5))
    referral = jc_rule(referral=referral, actor=legal, ruling_on=date(2026, 3, 15), confirmed=False)
    assert not LegalDeadline.objects.filter(
        referral=referral, kind=DeadlineKind.ENFORCEMENT_APPLICATION
    ).exists()
    with pytest.raises(Refused):
        enforcement_apply(referral=referral, actor=legal, applied_on=date(2026, 3, 20))
    referral = litigation_file(
        referral=referral, actor=legal, court="法院", case_no="y", filed_on=date(2026, 3, 20)
    )
    assert referral.stage == Stage.LITIGATION


def test_only_legal_moves_stages_and_costs_must_be_positive(
    case: CollectionCase, people: dict[str, User]
) -> None:
    referral = refer(case, people["lead"])
    with pytest.raises(PermissionDenied):
        mediation_start(referral=referral, actor=people["lead"], mediator="王")
    with pytest.raises(ApplicationError):
        cost_record(
            referral=referral, actor=people["legal"], kind="court_fee", amount_fen=0,
            incurred_on=date(2026, 3, 1),
        )  # fmt: skip
    with pytest.raises(ApplicationError):
        referral_close(referral=referral, actor=people["legal"], outcome="paid", note=" ")
    referral.refresh_from_db()
    assert referral.stage == Stage.REFERRAL
