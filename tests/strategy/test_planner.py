"""The daily planner against the database: outbox, gate, queues, capacity, stickiness, reruns."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from autocollect.cases.models import CaseFlag, Interaction
from autocollect.channels.models import OutboxMessage
from autocollect.compliance.services import hold_place, hold_release
from autocollect.core.errors import ApplicationError
from autocollect.portfolio.models import ContactPoint
from autocollect.strategy.models import ActionStatus, PlannedAction, PlanRun, Strategy
from autocollect.strategy.services import (
    LoadResult,
    plan_run,
    strategy_load_file,
)
from tests.factories import make_loan, make_payment
from tests.strategy.conftest import (
    AS_OF,
    Clock,
    beijing,
    late_loan,
    make_agent,
    open_case,
    run_cycle,
    set_case_day,
    staff_team,
)

NEXT = AS_OF + timedelta(days=1)
EARLY_QUEUES = ["early_calls", "m2_calls", "promise_follow_up"]


def action(case_id: int, step: str, as_of: date = AS_OF) -> PlannedAction:
    return PlannedAction.objects.get(as_of=as_of, case_id=case_id, step=step)


def plan_rows(as_of: date = AS_OF) -> list[tuple[Any, ...]]:
    return list(
        PlannedAction.objects.filter(as_of=as_of)
        .order_by("case_id", "step")
        .values_list(
            "case_id",
            "step",
            "status",
            "channel",
            "scheduled_at",
            "due_on",
            "gate_rules",
            "agent_id",
            "queue_rank",
            "outbox_message_id",
        )
    )


def test_the_plan_needs_the_cycle_of_its_date(champion_only: LoadResult) -> None:
    with pytest.raises(ApplicationError, match="日终批处理尚未运行 2026-03-16"):
        plan_run(as_of=AS_OF)


def test_automated_actions_go_to_the_outbox_with_the_plans_idempotency_key(
    champion_only: LoadResult,
) -> None:
    loan = late_loan(days_late=4, name="李娜")
    run_cycle()
    case = open_case(loan)
    stats = plan_run(as_of=AS_OF)
    sms = action(case.pk, "sms_d1")
    assert sms.status == ActionStatus.SENT_TO_OUTBOX
    # 09:00 on the debtor's clock (Asia/Shanghai).
    assert sms.scheduled_at == beijing(AS_OF, 9)
    assert sms.outbox_message is not None
    message = sms.outbox_message
    assert message.idempotency_key == f"plan:2026-03-16:{case.pk}:sms_d1"
    assert message.channel == "sms"
    assert message.to == ContactPoint.objects.get(borrower=loan.borrower, kind="mobile").value
    assert "李娜" in message.body
    assert loan.contract_no in message.body
    assert message.next_attempt_at >= sms.scheduled_at
    assert stats["by_channel"] == {"sms": 1}
    assert stats["outbox"] == 1


def test_rerunning_a_date_gives_the_same_plan_and_no_second_message(
    champion_only: LoadResult,
) -> None:
    loans = [late_loan(days_late=d) for d in (4, 5, 6, 40, 70)]
    run_cycle()
    for loan, day in zip(loans, (1, 2, 3, 29, 6), strict=True):
        set_case_day(loan, day)
    staff_team("早期组", EARLY_QUEUES, [make_agent("a1")])
    staff_team("后期组", ["late_calls", "legal_review"], [make_agent("b1")])
    first = plan_run(as_of=AS_OF)
    rows, messages = plan_rows(), OutboxMessage.objects.count()
    second = plan_run(as_of=AS_OF)
    assert plan_rows() == rows
    assert OutboxMessage.objects.count() == messages == 3  # sms, email, robot call
    assert {k: v for k, v in first.items() if k not in ("seconds", "phases")} == {
        k: v for k, v in second.items() if k not in ("seconds", "phases")
    }
    assert PlanRun.objects.filter(as_of=AS_OF).count() == 1


def test_a_blocked_contact_is_rescheduled_to_the_next_allowed_moment_and_then_sent(
    champion_only: LoadResult,
) -> None:
    loan = late_loan(days_late=6)
    run_cycle()
    case = set_case_day(loan, 3)  # robot reminder call today at 10:00
    mobile = ContactPoint.objects.get(borrower=loan.borrower, kind="mobile").value
    for minute in (10, 20, 30):  # three conversations already this morning (3 a day at most)
        Interaction.objects.create(
            case=case,
            at=beijing(AS_OF, 8, minute),
            channel="call",
            party="borrower",
            number=mobile,
            outcome="answered",
        )
    stats = plan_run(as_of=AS_OF)
    robot = action(case.pk, "robot_d3")
    assert robot.status == ActionStatus.RESCHEDULED
    assert "cn.calls.answered_daily" in robot.gate_rules
    # Tomorrow 08:00 in Beijing, when the window opens on a new day.
    assert robot.scheduled_at == beijing(NEXT, 8)
    assert robot.due_on == NEXT
    assert robot.outbox_message_id is None
    assert stats["rescheduled"] == 1

    run_cycle(NEXT)
    plan_run(as_of=NEXT)
    carried = action(case.pk, "robot_d3", NEXT)
    assert carried.reason == "carried"
    assert carried.carried_from_id == robot.pk
    assert carried.status == ActionStatus.SENT_TO_OUTBOX
    assert carried.scheduled_at == beijing(NEXT, 10)
    assert OutboxMessage.objects.filter(idempotency_key=f"plan:{NEXT}:{case.pk}:robot_d3").exists()
    # Re-planning the day takes it up again (once); the day after, it is done.
    plan_run(as_of=NEXT)
    assert action(case.pk, "robot_d3", NEXT).carried_from_id == robot.pk
    after = NEXT + timedelta(days=1)
    run_cycle(after)
    plan_run(as_of=after)
    assert not PlannedAction.objects.filter(as_of=after, case=case, step="robot_d3").exists()


def test_a_contact_before_the_window_is_moved_to_the_opening_the_same_day(db: None) -> None:
    from autocollect.channels.services import template_load_defaults

    template_load_defaults(actor="tests")
    strategy_load_file(path=_early_bird_file(), actor="tests")
    loan = late_loan(days_late=4)
    run_cycle()
    stats = plan_run(as_of=AS_OF, strategy_code="early_bird")
    sms = action(open_case(loan).pk, "sms_dawn")
    assert sms.status == ActionStatus.SENT_TO_OUTBOX
    assert sms.local_time == time(7, 0)
    assert sms.planned_at == beijing(AS_OF, 7)
    assert sms.scheduled_at == beijing(AS_OF, 8)
    assert sms.gate_rules == ["cn.window"]
    assert stats["rescheduled"] == 1


def _early_bird_file() -> Any:
    import tempfile
    from pathlib import Path

    text = """
strategy:
  code: early_bird
  name: 早鸟
  segments: [{id: all, path: main}]
  paths:
    - id: main
      steps:
        - {id: sms_dawn, day: 1, channel: sms, template: sms_reminder_day1, at: "07:00"}
"""
    path = Path(tempfile.mkdtemp()) / "early_bird.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_hold_blocks_without_end_and_the_action_goes_once_it_is_released(
    champion_only: LoadResult, clock: Clock
) -> None:
    loan = late_loan(days_late=4)
    run_cycle()
    case = open_case(loan)
    clock.set(beijing(AS_OF, 1))
    hold = hold_place(case=case, reason="complaint", actor="qa", note="投诉")
    clock.set(beijing(AS_OF, 2, 30))
    plan_run(as_of=AS_OF)
    sms = action(case.pk, "sms_d1")
    assert sms.status == ActionStatus.BLOCKED
    assert sms.gate_rules == ["cn.hold.complaint"]
    assert sms.scheduled_at is None
    assert sms.due_on == NEXT  # asked again tomorrow, not dropped
    clock.set(beijing(AS_OF, 18))
    hold_release(hold=hold, actor="qa", note="投诉已处理")
    clock.set(beijing(NEXT, 2, 30))
    run_cycle(NEXT)
    plan_run(as_of=NEXT)
    again = action(case.pk, "sms_d1", NEXT)
    assert (again.reason, again.status) == ("carried", ActionStatus.SENT_TO_OUTBOX)


def test_an_opted_out_channel_and_a_missing_contact_point_are_blocked(
    champion_only: LoadResult,
) -> None:
    opted = late_loan(days_late=4)
    ContactPoint.objects.filter(borrower=opted.borrower, kind="mobile").update(
        opted_out_channels=["sms"]
    )
    no_mobile = late_loan(days_late=4, mobile=False)
    run_cycle()
    stats = plan_run(as_of=AS_OF)
    first = action(open_case(opted).pk, "sms_d1")
    assert (first.status, first.gate_rules) == (ActionStatus.BLOCKED, ["cn.opt_out"])
    second = action(open_case(no_mobile).pk, "sms_d1")
    assert (second.status, second.gate_rules) == (
        ActionStatus.BLOCKED,
        ["strategy.no_contact_point"],
    )
    assert second.due_on is None  # nothing to retry without a number
    assert stats["blocked"] == 2
    assert OutboxMessage.objects.count() == 0


def test_agent_work_is_queued_by_priority_then_by_how_late(champion_only: LoadResult) -> None:
    late = late_loan(days_late=70)
    later = late_loan(days_late=95)
    vehicle = late_loan(days_late=10)
    run_cycle()
    set_case_day(late, 1)
    set_case_day(later, 6)
    vehicle_case = set_case_day(vehicle, 1)
    CaseFlag.objects.create(
        case=vehicle_case, kind="vehicle_risk", set_at=beijing(AS_OF, 0, 5), set_by="risk"
    )
    staff_team("后期组", ["late_calls", "field_visits", "legal_review"], [make_agent("b1")])
    plan_run(as_of=AS_OF)
    queue = list(
        PlannedAction.objects.filter(as_of=AS_OF, queue__code="late_calls")
        .order_by("queue_rank")
        .values_list("case__loan_id", "step", "priority", "queue_rank", "status")
    )
    assert queue == [
        (vehicle.pk, "vehicle_call", 80, 1, "queued"),
        (later.pk, "late_call", 75, 2, "queued"),
        (late.pk, "late_call", 75, 3, "queued"),
    ]


def test_capacity_is_respected_and_the_overflow_is_counted_and_carried(
    champion_only: LoadResult,
) -> None:
    loans = [late_loan(days_late=8) for _ in range(3)]
    run_cycle()
    for loan in loans:
        set_case_day(loan, 5)  # first agent call, 6 minutes
    agent = make_agent("a1")
    staff_team("早期组", EARLY_QUEUES, [agent], minutes=10)
    stats = plan_run(as_of=AS_OF)
    calls = PlannedAction.objects.filter(as_of=AS_OF, step="call_d5")
    queued = calls.filter(status=ActionStatus.QUEUED)
    overflow = calls.filter(status=ActionStatus.OVERFLOW)
    assert queued.count() == 1
    assert overflow.count() == 2
    assert sum(queued.values_list("minutes", flat=True)) <= 10
    assert set(queued.values_list("agent_id", flat=True)) == {agent.pk}
    assert set(overflow.values_list("due_on", flat=True)) == {NEXT}
    assert set(overflow.values_list("agent_id", flat=True)) == {None}
    assert stats["overflow"] == 2
    assert stats["by_queue"]["early_calls"] == {"queued": 1, "overflow": 2, "minutes": 6}


def test_contact_work_goes_only_to_authorised_agents_reviews_to_anyone(
    champion_only: LoadResult,
) -> None:
    loan = late_loan(days_late=70)
    run_cycle()
    set_case_day(loan, 1)  # legal review (case opened) and a late call
    trainee = make_agent("trainee", authorised=False)
    staff_team("后期组", ["late_calls", "legal_review"], [trainee])
    plan_run(as_of=AS_OF)
    case = open_case(loan)
    assert action(case.pk, "late_call").status == ActionStatus.OVERFLOW
    review = action(case.pk, "legal_review_opened")
    assert (review.status, review.agent_id) == (ActionStatus.QUEUED, trainee.pk)


def test_one_borrower_goes_to_one_agent_the_same_day(champion_only: LoadResult) -> None:
    first = late_loan(days_late=8)
    second = make_loan(borrower=first.borrower, first_due_on=AS_OF - timedelta(days=8), term=12)
    run_cycle()
    set_case_day(first, 5)
    set_case_day(second, 5)
    a1, a2 = make_agent("a1"), make_agent("a2")
    staff_team("早期组", EARLY_QUEUES, [a1, a2])
    plan_run(as_of=AS_OF)
    agents = set(
        PlannedAction.objects.filter(as_of=AS_OF, step="call_d5").values_list("agent_id", flat=True)
    )
    # Without stickiness the second call would go to a2, who has more minutes left.
    assert agents == {a1.pk}


def test_a_borrower_keeps_their_agent_on_later_days(champion_only: LoadResult) -> None:
    keeps = late_loan(days_late=32)
    cures = late_loan(days_late=33)
    run_cycle()
    set_case_day(keeps, 29)
    set_case_day(cures, 29)
    a1, a2 = make_agent("a1"), make_agent("a2")
    staff_team("早期组", EARLY_QUEUES, [a1, a2])
    plan_run(as_of=AS_OF)
    # The later case is first in the queue and gets a1; the other goes to a2.
    assert action(open_case(cures).pk, "call_d29").agent_id == a1.pk
    kept_case = open_case(keeps)
    assert action(kept_case.pk, "call_d29").agent_id == a2.pk
    # The other borrower pays everything due; two days later only this borrower has a call.
    for installment in cures.installments.filter(due_on__lt=AS_OF):
        make_payment(cures, amount_fen=installment.outstanding_fen, paid_on=NEXT)
    day = AS_OF + timedelta(days=2)
    run_cycle(NEXT)
    run_cycle(day)
    plan_run(as_of=day)
    # Both agents are free; a1 would win the tie, but the borrower stays with a2.
    assert action(kept_case.pk, "call_d29", day).agent_id == a2.pk


def test_arms_are_assigned_once_by_hash_and_kept(default_strategy: LoadResult) -> None:
    from autocollect.strategy.models import ArmAssignment
    from autocollect.strategy.planner import arm_hash, arm_of

    loans = [late_loan(days_late=4) for _ in range(12)]
    run_cycle()
    strategy = Strategy.objects.get(code="default")
    plan_run(as_of=AS_OF)
    assignments = {a.case_id: a for a in ArmAssignment.objects.all()}
    assert len(assignments) == len(loans)
    for case_id, assignment in assignments.items():
        digest, bucket = arm_hash("default", case_id)
        assert (assignment.hash, assignment.bucket) == (digest, bucket)
        assert assignment.arm == arm_of(bucket, 1000)
        assert assignment.challenger_id == strategy.challenger_id
    # The share changes; cases already assigned keep their arm, and nobody is assigned twice.
    Strategy.objects.filter(pk=strategy.pk).update(challenger_share_bp=10_000)
    plan_run(as_of=AS_OF)
    assert ArmAssignment.objects.count() == len(loans)
    assert {a.case_id: a.arm for a in ArmAssignment.objects.all()} == {
        k: a.arm for k, a in assignments.items()
    }
    versions = dict(
        PlannedAction.objects.filter(as_of=AS_OF).values_list("case_id", "arm").distinct()
    )
    assert versions == {k: a.arm for k, a in assignments.items()}


def test_the_challenger_arm_follows_the_challenger_version(default_strategy: LoadResult) -> None:
    loan = late_loan(days_late=5)
    run_cycle()
    case = set_case_day(loan, 2)
    Strategy.objects.filter(code="default").update(challenger_share_bp=10_000)
    plan_run(as_of=AS_OF)
    steps = set(PlannedAction.objects.filter(as_of=AS_OF, case=case).values_list("step", "arm"))
    # The challenger sends the robot reminder on day 2 (the champion on day 3).
    assert steps == {("email_d2", "challenger"), ("robot_d2", "challenger")}


def test_the_plan_schedules_in_the_debtors_own_time_zone(champion_only: LoadResult) -> None:
    loan = late_loan(days_late=4, timezone="America/New_York")
    run_cycle()
    plan_run(as_of=AS_OF)
    sms = action(open_case(loan).pk, "sms_d1")
    # 09:00 in New York on 16 March 2026 (EDT, UTC−4).
    assert sms.scheduled_at == datetime(2026, 3, 16, 13, 0, tzinfo=UTC)


def test_promises_steer_the_path(champion_only: LoadResult) -> None:
    from autocollect.cases.models import Promise

    promised = late_loan(days_late=8)
    broke = late_loan(days_late=8)
    run_cycle()
    promised_case = set_case_day(promised, 5)
    broke_case = set_case_day(broke, 5)
    for case, status, evaluated in (
        (promised_case, "pending", None),
        (broke_case, "broken", AS_OF),
    ):
        Promise.objects.create(
            case=case,
            loan=case.loan,
            promised_on=AS_OF - timedelta(days=3),
            due_on=AS_OF if status == "pending" else AS_OF - timedelta(days=2),
            amount_fen=100_000,
            status=status,
            evaluated_on=evaluated,
        )
    staff_team("早期组", EARLY_QUEUES, [make_agent("a1")])
    plan_run(as_of=AS_OF)
    # While a promise runs, no calls: a reminder on the day it falls due.
    assert set(
        PlannedAction.objects.filter(as_of=AS_OF, case=promised_case).values_list(
            "segment", "step", "reason"
        )
    ) == {("promise_pending", "promise_due_sms", "promise_due")}
    # A broken promise: an agent follows up at once (and on the path's call days).
    assert set(
        PlannedAction.objects.filter(as_of=AS_OF, case=broke_case).values_list(
            "segment", "step", "reason", "status"
        )
    ) == {
        ("broken_promise", "broken_follow_up", "promise_broken", "queued"),
        ("broken_promise", "broken_call", "day", "queued"),
    }


def test_a_book_with_nothing_late_plans_nothing(champion_only: LoadResult) -> None:
    make_loan(first_due_on=AS_OF + timedelta(days=10))
    run_cycle()
    stats = plan_run(as_of=AS_OF)
    assert (stats["cases"], stats["actions"], stats["by_channel"], stats["by_queue"]) == (
        0,
        0,
        {},
        {},
    )
    assert PlanRun.objects.get(as_of=AS_OF).stats["actions"] == 0


def test_planning_a_strategy_that_does_not_exist_says_how_to_load_it(
    champion_only: LoadResult,
) -> None:
    run_cycle()
    with pytest.raises(ApplicationError, match=r"策略 nope 不存在.*autocollect strategy load"):
        plan_run(as_of=AS_OF, strategy_code="nope")


def test_overflow_is_carried_daily_until_the_step_falls_due_again_and_replaces_it(
    champion_only: LoadResult,
) -> None:
    loan = late_loan(days_late=8)
    run_cycle()
    case = set_case_day(loan, 5)  # call_d5 today; the next call is due on day 8
    staff_team("早期组", EARLY_QUEUES, [make_agent("a1")], minutes=1)  # too little for any call
    previous: PlannedAction | None = None
    for offset in range(4):
        day = AS_OF + timedelta(days=offset)
        if offset:
            run_cycle(day)
        plan_run(as_of=day)
        (call,) = PlannedAction.objects.filter(as_of=day, case=case, channel="call")
        assert call.status == ActionStatus.OVERFLOW
        assert call.carried_from_id == (previous.pk if previous else None)
        previous = call
    # Day 8: the step itself is due again; it takes up the one carried, and nothing doubles.
    assert previous is not None
    assert (previous.step, previous.reason) == ("call_d5", "day")
    steps = list(
        PlannedAction.objects.filter(case=case, channel="call")
        .order_by("as_of")
        .values_list("reason", flat=True)
    )
    assert steps == ["day", "carried", "carried", "day"]
