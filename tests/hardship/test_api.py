"""GET /api/hardship/claims and /api/hardship/claims/{id}: documents with their verification,
the missing types, the decision; only the caller's cases; no storage path, no description."""

from __future__ import annotations

import pytest
from django.test import Client

from autocollect.accounts.roles import Role
from autocollect.cases.models import CollectionCase
from autocollect.hardship.models import ClaimDocument, HardshipClaim
from autocollect.hardship.services import claim_decide, claim_file, document_upload, document_verify
from tests.accounts.conftest import World
from tests.api_support import api_document_dir, api_world, bearer, get_json, pdf, session  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


BASE = "/api/hardship/claims"
DESCRIPTION = "三月起住院治疗，无法工作"


def file_claim(world: World, case: CollectionCase) -> HardshipClaim:
    agent = world.users[Role.COLLECTOR] if case == world.own_case else world.collector_b
    return claim_file(case=case, actor=agent, claim_type="illness", description=DESCRIPTION)


def test_the_detail_shows_each_documents_verification_and_then_the_decision(
    world: World,
) -> None:
    collector, lead = world.users[Role.COLLECTOR], world.users[Role.TEAM_LEAD]
    claim = file_claim(world, world.own_case)
    certificate = document_upload(
        claim=claim, actor=collector, doc_type="medical_certificate", upload=pdf("诊断证明.pdf")
    )
    bills = document_upload(
        claim=claim, actor=collector, doc_type="medical_bills", upload=pdf("费用单.pdf", b"2")
    )
    document_verify(document=certificate, actor=lead, ok=True)
    document_verify(document=bills, actor=lead, ok=False, note="单据不清晰")
    client = session(collector)

    body = get_json(client, f"{BASE}/{claim.pk}")
    assert body["state"] == "awaiting_documents"
    assert body["claim_type"] == "illness"
    assert body["contract_no"] == world.own_case.loan.contract_no
    assert body["filed_by"] == "collector_a"
    assert body["documents_due_on"] == claim.documents_due_on.isoformat()
    assert body["missing_documents"] == ["medical_bills"]
    assert body["decision"] is None
    by_type = {d["doc_type"]: d for d in body["documents"]}
    assert by_type["medical_certificate"]["verification"] == "passed"
    assert by_type["medical_certificate"]["verified_by"] == "lead_a"
    assert by_type["medical_certificate"]["name"] == "诊断证明.pdf"
    assert (
        by_type["medical_certificate"]["sha256"]
        == ClaimDocument.objects.get(pk=certificate.pk).sha256
    )
    assert by_type["medical_bills"]["verification"] == "refused"
    assert by_type["medical_bills"]["verification_note"] == "单据不清晰"
    for stored in ClaimDocument.objects.values_list("stored_path", flat=True):
        assert stored not in str(body)
    assert DESCRIPTION not in str(body)

    claim_decide(claim=claim, actor=lead, decision="rejected", note="材料不足，不予认定")
    body = get_json(client, f"{BASE}/{claim.pk}")
    assert body["state"] == "rejected"
    assert body["decision"]["decided_by"] == "lead_a"
    assert body["decision"]["note"] == "材料不足，不予认定"
    assert body["decision"]["pause_until"] is None


def test_a_new_document_is_pending(world: World) -> None:
    claim = file_claim(world, world.own_case)
    document_upload(
        claim=claim,
        actor=world.users[Role.COLLECTOR],
        doc_type="medical_certificate",
        upload=pdf("诊断证明.pdf"),
    )
    body = get_json(session(world.users[Role.COLLECTOR]), f"{BASE}/{claim.pk}")
    assert [(d["verification"], d["verified_by"]) for d in body["documents"]] == [("pending", None)]
    assert body["missing_documents"] == ["medical_certificate", "medical_bills"]


def test_the_list_holds_only_visible_cases_and_filters_by_case_and_state(world: World) -> None:
    own = file_claim(world, world.own_case)
    other = file_claim(world, world.other_case)
    mine = get_json(session(world.users[Role.COLLECTOR]), BASE)
    assert [item["id"] for item in mine["items"]] == [own.pk]
    assert mine["count"] == 1
    compliance = session(world.users[Role.COMPLIANCE])
    assert get_json(compliance, BASE)["count"] == 2
    assert [i["id"] for i in get_json(compliance, BASE, case=world.other_case.pk)["items"]] == [
        other.pk
    ]
    assert get_json(compliance, BASE, state="ready")["count"] == 0
    assert get_json(compliance, BASE, state="awaiting_documents")["count"] == 2


def test_another_collectors_claim_is_a_404_like_a_missing_one(world: World) -> None:
    other = file_claim(world, world.other_case)
    collector = session(world.users[Role.COLLECTOR])
    hidden = collector.get(f"{BASE}/{other.pk}")
    missing = collector.get(f"{BASE}/{other.pk + 1000}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == {"detail": f"困难申请 {other.pk} 不存在"}
    assert missing.json() == {"detail": f"困难申请 {other.pk + 1000} 不存在"}


def test_a_token_reads_and_nobody_signed_in_gets_401(world: World) -> None:
    own = file_claim(world, world.own_case)
    response = Client().get(f"{BASE}/{own.pk}", headers=bearer(world.users[Role.COLLECTOR]))
    assert response.status_code == 200
    assert response.json()["id"] == own.pk
    assert Client().get(f"{BASE}/{own.pk}").status_code == 401
    assert Client().get(BASE).status_code == 401
