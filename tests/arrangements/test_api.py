"""GET /api/arrangements and /api/arrangements/{id}: terms in fen and yuan, the schedule with
its states, the signed confirmation without its storage path; only the caller's cases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from autocollect.accounts.roles import Role
from autocollect.arrangements.models import Arrangement, ArrangementDocument
from autocollect.arrangements.services import (
    arrangement_approve,
    arrangement_confirm,
    arrangement_propose,
)
from autocollect.cases.models import CollectionCase
from autocollect.engine.arrangements import Components
from tests.accounts.conftest import World
from tests.api_support import api_document_dir, api_world, bearer, get_json, pdf, session  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


BASE = "/api/arrangements"


def propose(world: World, case: CollectionCase, **kwargs: object) -> Arrangement:
    agent = world.users[Role.COLLECTOR] if case == world.own_case else world.collector_b
    fields: dict[str, object] = {
        "kind": "installment_plan",
        "installments": 3,
        "reason": "收入下降",
    }
    return arrangement_propose(case=case, actor=agent, **{**fields, **kwargs})  # type: ignore[arg-type]


def active_arrangement(world: World) -> Arrangement:
    """On own_case: proposed by collector_a with a ¥10.00 interest discount, approved by
    lead_a, made active by the borrower's signed confirmation."""
    arrangement = propose(world, world.own_case, discount=Components(interest_fen=1000))
    arrangement_approve(arrangement=arrangement, actor=world.users[Role.TEAM_LEAD], note="同意")
    arrangement_confirm(
        arrangement=arrangement,
        actor=world.users[Role.COLLECTOR],
        upload=pdf("签字确认.pdf", b"signed"),
    )
    arrangement.refresh_from_db()
    return arrangement


def yuan(fen: int) -> str:
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def test_the_detail_shows_the_terms_in_fen_and_yuan_the_schedule_and_the_documents(
    world: World,
) -> None:
    arrangement = active_arrangement(world)
    body = get_json(session(world.users[Role.COLLECTOR]), f"{BASE}/{arrangement.pk}")

    assert body["state"] == "active"
    assert body["kind"] == "installment_plan"
    assert body["case_id"] == world.own_case.pk
    assert body["contract_no"] == world.own_case.loan.contract_no
    for part in ("penalty", "interest", "principal"):
        fen = getattr(arrangement, f"balance_{part}_fen")
        assert body[f"balance_{part}_fen"] == fen
        assert body[f"balance_{part}_yuan"] == yuan(fen)
    assert body["balance_fen"] == arrangement.balance_fen > 0
    assert body["discount_interest_fen"] == 1000
    assert body["discount_interest_yuan"] == "10.00"
    assert body["discount_fen"] == 1000
    assert body["agreed_total_fen"] == arrangement.balance_fen - 1000
    assert body["agreed_total_yuan"] == yuan(arrangement.balance_fen - 1000)
    assert body["approver_role"] == "team_lead"
    assert body["proposed_by"] == "collector_a"
    assert body["decided_by"] == "lead_a"
    assert body["decision_note"] == "同意"

    rows = list(arrangement.installments.order_by("seq"))
    assert [(r["seq"], r["due_on"], r["amount_fen"], r["state"]) for r in body["schedule"]] == [
        (r.seq, r.due_on.isoformat(), r.amount_fen, "pending") for r in rows
    ]
    assert [r["amount_yuan"] for r in body["schedule"]] == [yuan(r.amount_fen) for r in rows]
    # The invariant of docs/arrangements.md, as the API shows it.
    assert (
        sum(r["amount_fen"] for r in body["schedule"]) + body["already_paid_fen"]
        == (body["agreed_total_fen"])
    )

    document = ArrangementDocument.objects.get(arrangement=arrangement)
    assert body["documents"] == [
        {
            "name": "签字确认.pdf",
            "sha256": document.sha256,
            "size_bytes": document.size_bytes,
            "content_type": "application/pdf",
            "uploaded_by": "collector_a",
            "uploaded_at": body["documents"][0]["uploaded_at"],
        }
    ]
    assert document.stored_path
    assert document.stored_path not in str(body)


def test_the_list_holds_only_visible_cases_and_filters_by_case_and_state(world: World) -> None:
    own = propose(world, world.own_case)
    other = propose(world, world.other_case)

    mine = get_json(session(world.users[Role.COLLECTOR]), BASE)
    assert [item["id"] for item in mine["items"]] == [own.pk]
    assert mine["count"] == 1
    assert mine["items"][0]["agreed_total_yuan"] == yuan(own.agreed_total_fen)

    risk = session(world.users[Role.RISK])
    assert {item["id"] for item in get_json(risk, BASE)["items"]} == {own.pk, other.pk}
    assert [i["id"] for i in get_json(risk, BASE, case=world.other_case.pk)["items"]] == [other.pk]
    assert get_json(risk, BASE, state="active")["count"] == 0
    assert get_json(risk, BASE, state="proposed")["count"] == 2
    assert get_json(risk, BASE, limit=1)["items"][0]["id"] == other.pk  # newest first
    # Asking for the other collector's case by filter does not open it.
    assert get_json(session(world.users[Role.COLLECTOR]), BASE, case=world.other_case.pk) == {
        "items": [],
        "count": 0,
    }
    assert risk.get(BASE, {"state": "nonsense"}).status_code == 422


def test_another_collectors_arrangement_is_a_404_like_a_missing_one(world: World) -> None:
    other = propose(world, world.other_case)
    collector = session(world.users[Role.COLLECTOR])
    hidden = collector.get(f"{BASE}/{other.pk}")
    missing = collector.get(f"{BASE}/{other.pk + 1000}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == {"detail": f"还款方案 {other.pk} 不存在"}
    assert missing.json() == {"detail": f"还款方案 {other.pk + 1000} 不存在"}
    # Its own collector reads it.
    assert session(world.collector_b).get(f"{BASE}/{other.pk}").status_code == 200


def test_a_token_reads_and_nobody_signed_in_gets_401(world: World) -> None:
    own = propose(world, world.own_case)
    token = bearer(world.users[Role.COLLECTOR])
    response = Client().get(f"{BASE}/{own.pk}", headers=token)
    assert response.status_code == 200
    assert response.json()["id"] == own.pk
    assert Client().get(f"{BASE}/{own.pk}").status_code == 401
    assert Client().get(BASE).status_code == 401
