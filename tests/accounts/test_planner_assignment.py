"""The daily planner gives each case queued to an agent that agent and team, in one statement,
with one audit event per plan run."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from autocollect.audit.models import AuditEvent
from autocollect.cases.selectors import visible_cases
from autocollect.strategy.models import ActionStatus, PlannedAction
from autocollect.strategy.planner import plan_run
from autocollect.strategy.services import LoadResult
from tests.strategy.conftest import (  # noqa: F401 - fixtures used by name
    AS_OF,
    champion_only,
    default_strategy,
    fake_providers,
    late_loan,
    make_agent,
    open_case,
    run_cycle,
    set_case_day,
    staff_team,
)

EARLY_QUEUES = ["early_calls", "m2_calls", "promise_follow_up"]


def test_queued_cases_get_their_agent_and_team_and_overflow_keeps_none(
    champion_only: LoadResult,  # noqa: F811
) -> None:
    loans = [late_loan(days_late=8) for _ in range(3)]
    run_cycle()
    for loan in loans:
        set_case_day(loan, 5)  # an agent call of 6 minutes each
    agent = make_agent("a1")
    team = staff_team("早期组", EARLY_QUEUES, [agent], minutes=10)  # room for one call
    with CaptureQueriesContext(connection) as queries:
        plan_run(as_of=AS_OF)
    queued = PlannedAction.objects.get(as_of=AS_OF, status=ActionStatus.QUEUED)
    cases = {open_case(loan).pk: open_case(loan) for loan in loans}
    assigned = {pk: (c.assigned_agent_id, c.assigned_team_id) for pk, c in cases.items()}
    assert assigned.pop(queued.case_id) == (agent.pk, team.pk)
    assert set(assigned.values()) == {(None, None)}  # overflow: nobody yet
    # One set-based statement for all the cases, not one per case.
    updates = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith("UPDATE")
        and "cases_collectioncase" in q["sql"]
        and "assigned_agent_id" in q["sql"]
    ]
    assert len(updates) == 1
    [event] = AuditEvent.objects.filter(action="case.assign")
    assert (event.actor, event.object_id) == ("planner", AS_OF.isoformat())
    assert event.after == {"cases_with_agent": 1, "agents": 1, "changed": 1}
    # The collector now sees exactly that case.
    assert list(visible_cases(agent).values_list("pk", flat=True)) == [queued.case_id]


def test_replanning_the_date_changes_nobody_and_says_so(
    champion_only: LoadResult,  # noqa: F811
) -> None:
    loan = late_loan(days_late=8)
    run_cycle()
    set_case_day(loan, 5)
    agent = make_agent("a1")
    staff_team("早期组", EARLY_QUEUES, [agent])
    plan_run(as_of=AS_OF)
    plan_run(as_of=AS_OF)
    changed = [(e.after or {})["changed"] for e in AuditEvent.objects.filter(action="case.assign")]
    assert changed == [1, 0]
    assert open_case(loan).assigned_agent_id == agent.pk
