"""Repayment arrangements and hardship claims in a real browser (Playwright, Debian Chromium).

1. A collector opens a case, goes to its arrangements page and proposes an installment plan; the
   approve control is absent for the proposer; the team lead of the collector's team approves it;
   the collector uploads the borrower's signed confirmation and the plan becomes active. The new
   schedule shown, with what was already paid, sums to the agreed total (docs/arrangements.md).
2. A collector files a job-loss hardship claim and uploads the 失业证明 and the 收入证明; the team
   lead verifies them, and the claim is ready for a decision (docs/hardship.md).

Screenshots: ``arrangement-approved.png``, ``arrangement-active.png``, ``hardship-claim.png``.
"""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from autocollect.accounts.models import Team, User
from autocollect.accounts.roles import Role
from autocollect.arrangements.models import Arrangement, ArrangementKind, ArrangementState
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CollectionCase
from autocollect.core.money import format_yuan
from autocollect.hardship.models import ClaimState, HardshipClaim
from tests.browser_support import requires_chromium, sign_in
from tests.factories import make_loan, make_payment, make_product

pytestmark = [requires_chromium, pytest.mark.django_db(transaction=True)]

PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def png_bytes() -> bytes:
    """A real 1×1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# The browser talks to a live server in another thread: the data must be committed
# (conftest's team uses ``db``; collector, lead and the document folder are conftest's).
@pytest.fixture
def team(transactional_db: None) -> Team:
    return Team.objects.create(name="一组")


@pytest.fixture
def case(collector: User) -> CollectionCase:
    """A 24-month loan whose first four installments have fallen due, the first paid in part
    ten days ago, assigned to the collector."""
    today = timezone.localdate()
    loan = make_loan(
        product=make_product(),
        principal_fen=4_000_000,
        term=24,
        first_due_on=today - timedelta(days=115),
    )
    make_payment(loan, amount_fen=50_000, paid_on=today - timedelta(days=10))
    return CollectionCase.objects.create(
        loan=loan,
        opened_on=today - timedelta(days=114),
        opened_dpd=1,
        opened_bucket="M1",
        assigned_agent=collector,
    )


def fen(text: str) -> int:
    """``"¥1,234.56"`` → ``123456``."""
    return round(float(text.strip().lstrip("¥").replace(",", "")) * 100)


def messages_text(tab: Any) -> str:
    """The flash messages shown (wherever the layout puts them)."""
    return " ".join(tab.locator(".messages li").all_inner_texts())


def submit(tab: Any, selector: str) -> None:
    tab.locator(selector).click()
    tab.wait_for_load_state("networkidle")


def test_propose_approve_and_activate_an_installment_plan(
    page: Any,
    browser: Any,
    live_server: Any,
    case: CollectionCase,
    collector: User,
    lead: User,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    today = timezone.localdate()
    sign_in(page, collector.username, next_url=f"/cases/{case.pk}/")
    page.goto(f"/cases/{case.pk}/")
    page.locator("#case-workflows a", has_text="还款方案").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/arrangements/case/{case.pk}/")
    assert "暂无还款方案" in page.locator("main").inner_text()

    form = page.locator("form#propose")
    form.locator("select[name=kind]").select_option(ArrangementKind.INSTALLMENT_PLAN.value)
    form.locator("input[name=installments]").fill("3")
    form.locator("input[name=counted_from]").fill((today - timedelta(days=20)).isoformat())
    form.locator("input[name=discount_interest]").fill("100.00")
    form.locator("textarea[name=reason]").fill("借款人失业，申请分三期偿还逾期欠款")
    submit(page, "form#propose button[type=submit]")

    plan = Arrangement.objects.get(case=case)
    assert page.url.endswith(f"/arrangements/{plan.pk}/")
    assert plan.state == ArrangementState.PROPOSED
    assert plan.proposed_by == collector
    assert plan.approver_role == Role.TEAM_LEAD
    assert plan.already_paid_fen == 50_000
    assert plan.discount_interest_fen == 10_000
    assert plan.agreed_total_fen == plan.balance_fen - 10_000
    assert page.locator("[data-field=state]").inner_text() == "待审批"
    assert "还款方案已提交审批" in messages_text(page)
    # The proposer is offered no approval and is refused when posting one anyway.
    assert page.locator("form#decide").count() == 0
    assert page.locator("button[value=approve]").count() == 0
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    refused = page.request.post(
        f"/arrangements/{plan.pk}/decide/",
        form={"decision": "approve", "csrfmiddlewaretoken": token},
        headers={"Referer": live_server.url},
    )
    # A collector is no approver at all: refused outright (docs/roles.md), before the rule
    # that nobody approves their own proposal is even reached (tests/arrangements covers that).
    assert refused.status == 403
    plan.refresh_from_db()
    assert plan.state == ArrangementState.PROPOSED
    assert plan.decided_by is None

    lead_context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1440, "height": 1000}
    )
    lead_context.set_default_timeout(15_000)
    boss = lead_context.new_page()
    try:
        sign_in(boss, lead.username, next_url="/arrangements/")
        boss.goto("/arrangements/")
        boss.locator(f"a[href='/arrangements/{plan.pk}/']").first.click()
        boss.wait_for_load_state("networkidle")
        assert boss.locator("[data-field=state]").inner_text() == "待审批"
        boss.locator("form#decide textarea[name=note]").fill("同意，按期跟进")
        submit(boss, "form#decide button[value=approve]")
        assert boss.locator("[data-field=state]").inner_text() == "已批准，待借款人签字确认"
        assert lead.username in boss.locator("[data-field=decided-by]").inner_text()
        assert boss.locator("form#decide").count() == 0
        boss.screenshot(path=str(screenshots / "arrangement-approved.png"), full_page=True)
    finally:
        lead_context.close()
    plan.refresh_from_db()
    assert plan.state == ArrangementState.APPROVED
    assert plan.decided_by == lead

    signed = tmp_path / "借款人签字确认.pdf"
    signed.write_bytes(PDF)
    page.goto(f"/arrangements/{plan.pk}/")
    page.locator("form#confirm input[name=document]").set_input_files(str(signed))
    submit(page, "form#confirm button[type=submit]")
    assert page.locator("[data-field=state]").inner_text() == "执行中"
    assert "签字确认已上传，方案开始执行" in messages_text(page)
    assert page.locator("form#confirm").count() == 0
    document_line = page.locator("li[data-document]")
    assert document_line.count() == 1
    assert "借款人签字确认.pdf" in document_line.inner_text()

    plan.refresh_from_db()
    assert plan.state == ArrangementState.ACTIVE
    assert plan.activated_at is not None
    stored = plan.documents.get()
    assert stored.sha256 in document_line.inner_text()
    assert stored.uploaded_by == collector
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="arrangement.")] == [
        "arrangement.propose",
        "arrangement.approve",
        "arrangement.activate",
    ]

    # The schedule on the page, with what was already paid, sums to the agreed total.
    amounts = [
        fen(cell)
        for cell in page.locator("[data-table=schedule] tbody tr td:nth-child(3)").all_inner_texts()
    ]
    assert len(amounts) == 3
    assert amounts == [row.amount_fen for row in plan.installments.order_by("seq")]
    assert sum(amounts) + plan.already_paid_fen == plan.agreed_total_fen
    assert page.locator("[data-field=agreed]").inner_text() == format_yuan(plan.agreed_total_fen)
    assert fen(page.locator("[data-field=agreed]").inner_text()) == sum(amounts) + 50_000
    page.screenshot(path=str(screenshots / "arrangement-active.png"), full_page=True)

    page.goto(f"/arrangements/case/{case.pk}/")
    row = page.locator(f"[data-table=arrangements] tr[data-arrangement='{plan.pk}']")
    assert "执行中" in row.inner_text()


def test_file_a_job_loss_claim_and_another_user_verifies_its_documents(
    page: Any,
    browser: Any,
    live_server: Any,
    case: CollectionCase,
    collector: User,
    lead: User,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    sign_in(page, collector.username, next_url=f"/cases/{case.pk}/")
    page.goto(f"/cases/{case.pk}/")
    page.locator("#case-workflows a", has_text="困难申请").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/hardship/case/{case.pk}/")
    page.locator("#claim_type").select_option("job_loss")
    page.locator("#description").fill("借款人所在工厂停产，已于上月失业")
    submit(page, "form#file-claim button[type=submit]")

    claim = HardshipClaim.objects.get(case=case)
    assert page.url.endswith(f"/hardship/{claim.pk}/")
    assert claim.state == ClaimState.AWAITING_DOCUMENTS
    assert claim.filed_by == collector
    assert page.locator("[data-field=state]").inner_text() == "待补充材料"
    assert page.locator("[data-field=missing]").inner_text() == "失业证明、收入证明"

    proof = tmp_path / "失业证明.png"
    proof.write_bytes(png_bytes())
    page.locator("#doc_type").select_option("unemployment_certificate")
    page.locator("form#upload input[name=document]").set_input_files(str(proof))
    submit(page, "form#upload button[type=submit]")
    assert "材料已上传，待核验" in messages_text(page)
    row = page.locator("[data-table=documents] tbody tr[data-document]")
    assert row.count() == 1
    assert "失业证明.png" in row.inner_text()
    # The uploader cannot verify their own upload: no verify buttons, just "待核验".
    assert row.locator("button").count() == 0
    assert "待核验" in row.inner_text()
    document = claim.documents.get()
    assert document.uploaded_by == collector
    assert document.verified_at is None

    lead_context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1440, "height": 1000}
    )
    lead_context.set_default_timeout(15_000)
    boss = lead_context.new_page()
    try:
        sign_in(boss, lead.username, next_url=f"/hardship/{claim.pk}/")
        boss.goto(f"/hardship/{claim.pk}/")
        lead_row = boss.locator(f"tr[data-document='{document.pk}']")
        lead_row.locator("input[name=note]").fill("已核对原件")
        lead_row.locator("button[name=ok][value='1']").click()
        boss.wait_for_load_state("networkidle")
        assert "核验结果已记录" in messages_text(boss)
        verified = boss.locator(f"tr[data-document='{document.pk}']").inner_text()
        assert "通过" in verified
        assert lead.username in verified
        assert boss.locator("[data-field=state]").inner_text() == "待补充材料"
        assert boss.locator("[data-field=missing]").inner_text() == "收入证明"
    finally:
        lead_context.close()

    document.refresh_from_db()
    assert document.verified_ok is True
    assert document.verified_by == lead
    assert document.verification_note == "已核对原件"
    claim.refresh_from_db()
    assert claim.state == ClaimState.AWAITING_DOCUMENTS

    # The second required document: once verified, the claim is ready for a decision.
    income = tmp_path / "收入证明.pdf"
    income.write_bytes(PDF)
    page.goto(f"/hardship/{claim.pk}/")
    page.locator("#doc_type").select_option("income_proof")
    page.locator("form#upload input[name=document]").set_input_files(str(income))
    submit(page, "form#upload button[type=submit]")
    second = claim.documents.get(doc_type="income_proof")

    lead_context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    lead_context.set_default_timeout(15_000)
    boss = lead_context.new_page()
    try:
        sign_in(boss, lead.username, next_url=f"/hardship/{claim.pk}/")
        boss.goto(f"/hardship/{claim.pk}/")
        boss.locator(f"tr[data-document='{second.pk}'] button[name=ok][value='1']").click()
        boss.wait_for_load_state("networkidle")
        assert boss.locator("[data-field=state]").inner_text() == "材料齐全，待决定"
    finally:
        lead_context.close()

    claim.refresh_from_db()
    assert claim.state == ClaimState.READY
    second.refresh_from_db()
    assert second.verified_by == lead
    page.goto(f"/hardship/{claim.pk}/")
    assert page.locator("[data-field=state]").inner_text() == "材料齐全，待决定"
    assert page.locator("[data-field=missing]").inner_text() == "—"
    assert page.locator("[data-table=documents] tbody tr[data-document]").count() == 2
    page.screenshot(path=str(screenshots / "hardship-claim.png"), full_page=True)
    actions = set(
        AuditEvent.objects.filter(action__startswith="hardship.").values_list("action", flat=True)
    )
    assert {"hardship.file", "hardship.document_upload", "hardship.document_verify"} <= actions
