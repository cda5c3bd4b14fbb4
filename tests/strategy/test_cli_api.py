"""``autocollect plan``, ``autocollect worker``, ``autocollect strategy`` and the API."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from autocollect.compliance.services import hold_place
from autocollect.core.money import fen_to_yuan
from autocollect.strategy.models import PlannedAction, Strategy
from autocollect.strategy.services import LoadResult, plan_run
from tests.factories import make_payment
from tests.strategy.conftest import (
    AS_OF,
    late_loan,
    make_agent,
    open_case,
    run_cycle,
    set_case_day,
    staff_team,
)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def planned(champion_only: LoadResult) -> dict[str, Any]:
    loans = [late_loan(days_late=d) for d in (4, 8, 8, 70)]
    run_cycle()
    set_case_day(loans[1], 5)
    set_case_day(loans[2], 5)
    set_case_day(loans[3], 1)
    staff_team("早期组", ["early_calls"], [make_agent("a1")], minutes=6)
    staff_team("后期组", ["late_calls", "legal_review"], [make_agent("b1")])
    return {"loans": loans}


def test_plan_json_has_the_documented_figures(planned: dict[str, Any]) -> None:
    result = json.loads(run("plan", "--as-of", "2026-03-16", "--json"))
    assert set(result) == {
        "as_of",
        "cases",
        "actions",
        "by_channel",
        "by_queue",
        "blocked",
        "rescheduled",
        "overflow",
        "seconds",
    }
    assert result["as_of"] == "2026-03-16"
    assert result["cases"] == 4
    assert result["by_channel"] == {"call": 3, "review_legal": 1, "sms": 1}
    assert result["actions"] == 5
    assert result["by_queue"]["early_calls"] == {"queued": 1, "overflow": 1, "minutes": 6}
    assert result["overflow"] == 1
    assert (result["blocked"], result["rescheduled"]) == (0, 0)
    assert isinstance(result["seconds"], float)


def test_plan_without_its_cycle_is_a_command_error(champion_only: LoadResult) -> None:
    with pytest.raises(CommandError, match="日终批处理尚未运行 2026-03-16"):
        run("plan", "--as-of", "2026-03-16")


def test_plan_refuses_a_date_that_is_not_one(champion_only: LoadResult) -> None:
    with pytest.raises(CommandError, match="--as-of: '16/03/2026' is not a date"):
        run("plan", "--as-of", "16/03/2026")


def test_plan_prints_a_summary_per_queue(planned: dict[str, Any]) -> None:
    text = run("plan", "--as-of", "2026-03-16")
    assert text.startswith("2026-03-16: 4 open cases, 5 actions")
    assert "  early_calls: 1 queued (6 min), 1 overflow" in text


def test_worker_runs_the_huey_consumer_with_the_options_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from huey.contrib.djhuey import HUEY

    started: dict[str, Any] = {}

    class Consumer:
        def run(self) -> None:
            started["ran"] = True

    def create_consumer(**options: Any) -> Consumer:
        started.update(options)
        return Consumer()

    monkeypatch.setattr(HUEY, "create_consumer", create_consumer)
    call_command("worker", "--workers", "3", "--no-periodic")
    assert started["ran"] is True
    assert started["workers"] == 3
    assert started["periodic"] is False


def test_strategy_load_is_idempotent_and_validate_reports_problems(
    db: None, tmp_path: Path
) -> None:
    from autocollect.channels.services import template_load_defaults

    template_load_defaults(actor="tests")
    first = run("strategy", "load")
    assert first.startswith("strategy default: champion v1, challenger v2 on 1000 bp (")
    assert run("strategy", "load").endswith("(nothing new)\n")
    assert Strategy.objects.get(code="default").versions.count() == 2
    assert "strategy default: 8 segments" in run("strategy", "validate", str(_default()))
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "code: x\nname: x\nsegments: [{id: a, path: nowhere}]\n"
        "paths: [{id: p, steps: [{id: s, day: 1, channel: sms, template: t}]}]\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="strategy x: segment a: field path: no path"):
        run("strategy", "validate", str(broken))


def _default() -> Path:
    from autocollect.strategy.services import DEFAULT_STRATEGY_FILE

    return DEFAULT_STRATEGY_FILE


def test_activating_needs_the_templates_and_queues_it_uses(db: None) -> None:
    with pytest.raises(CommandError) as caught:
        run("strategy", "load")
    assert "step sms_d1 (path standard): field template: no active sms template" in str(
        caught.value
    )


# --- API ------------------------------------------------------------------------------------

ENDPOINTS = [
    "/api/strategy/strategies",
    "/api/strategy/strategies/default",
    "/api/strategy/plan?as_of=2026-03-16",
    "/api/strategy/queues",
    "/api/strategy/queues/early_calls?as_of=2026-03-16",
    "/api/strategy/experiments/default/arms",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_every_endpoint_needs_a_session(client: Client, db: None, url: str) -> None:
    assert client.get(url).status_code == 401


@pytest.fixture
def user_client(client: Client, django_user_model: Any) -> Client:
    client.force_login(django_user_model.objects.create_user("risk", password="x", role="risk"))
    return client


def test_strategies_list_and_detail(user_client: Client, default_strategy: LoadResult) -> None:
    listing = user_client.get("/api/strategy/strategies").json()
    assert listing["count"] == 1
    (item,) = listing["items"]
    assert item == {
        "code": "default",
        "name": "车贷标准催收策略",
        "description": item["description"],
        "active_version": 1,
        "challenger_version": 2,
        "challenger_share_bp": 1000,
    }
    detail = user_client.get("/api/strategy/strategies/default").json()
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    assert detail["definition"]["code"] == "default"
    assert detail["challenger_definition"]["paths"][0]["steps"][2]["id"] == "robot_d2"
    assert user_client.get("/api/strategy/strategies/nope").status_code == 404


def test_plan_endpoint_lists_the_dates_actions(
    user_client: Client, planned: dict[str, Any]
) -> None:
    plan_run(as_of=AS_OF)
    body = user_client.get("/api/strategy/plan?as_of=2026-03-16&channel=call").json()
    assert body["as_of"] == "2026-03-16"
    assert body["stats"]["actions"] == 5
    assert body["count"] == 3
    assert {item["status"] for item in body["items"]} == {"queued", "overflow"}
    sms = user_client.get("/api/strategy/plan?status=sent_to_outbox").json()["items"]
    assert [item["step"] for item in sms] == ["sms_d1"]
    assert sms[0]["outbox_message_id"] is not None
    assert user_client.get("/api/strategy/plan?as_of=2026-03-01").status_code == 404


def test_queue_endpoints_show_capacity_load_and_working_order(
    user_client: Client, planned: dict[str, Any]
) -> None:
    plan_run(as_of=AS_OF)
    queues = {q["code"]: q for q in user_client.get("/api/strategy/queues").json()["items"]}
    assert queues["early_calls"] == {
        "code": "early_calls",
        "name": "早期催收外呼 (M1)",
        "team": "早期组",
        "agents": 1,
        "capacity_minutes": 6,
        "queued": 1,
        "overflow": 1,
        "planned_minutes": 6,
    }
    detail = user_client.get("/api/strategy/queues/early_calls?as_of=2026-03-16").json()
    assert detail["count"] == 2
    assert [(i["rank"], i["status"]) for i in detail["items"]] == [
        (1, "queued"),
        (2, "overflow"),
    ]
    assert detail["items"][0]["agent"] == "a1"
    assert user_client.get("/api/strategy/queues/nope?as_of=2026-03-16").status_code == 404


def test_experiment_report_gives_outcomes_per_arm(
    user_client: Client, default_strategy: LoadResult
) -> None:
    from autocollect.cases.models import Interaction

    loans = [late_loan(days_late=4) for _ in range(4)]
    run_cycle()
    Strategy.objects.filter(code="default").update(challenger_share_bp=10_000)
    plan_run(as_of=AS_OF)
    case = open_case(loans[0])
    Interaction.objects.create(
        case=case,
        at=case.opened_on.isoformat() + "T02:00:00+00:00",
        channel="call",
        party="borrower",
        number="+8613800000000",
        outcome="answered",
    )
    hold_place(case=open_case(loans[2]), reason="complaint", actor="qa", note="投诉")
    paid = sum(i.outstanding_fen for i in loans[1].installments.filter(due_on__lt=AS_OF))
    make_payment(loans[1], amount_fen=paid, paid_on=AS_OF + timedelta(days=1))
    run_cycle(AS_OF + timedelta(days=1))  # the paid case closes, cured
    body = user_client.get("/api/strategy/experiments/default/arms").json()
    assert (body["strategy"], body["challenger_version"], body["share_bp"]) == ("default", 2, 10000)
    arms = {arm["arm"]: arm for arm in body["arms"]}
    assert arms["champion"]["cases"] == 0
    assert {k: arms["challenger"][k] for k in arms["challenger"]} == {
        "arm": "challenger",
        "cases": 4,
        "recovered_fen": paid,
        "recovered_yuan": str(fen_to_yuan(paid)),
        "cured": 1,
        "cure_rate_bp": 2500,
        "contacts": 1,
        "contacts_per_case": "0.25",
        "complaints": 1,
    }
    assert PlannedAction.objects.filter(arm="challenger").count() == 4
