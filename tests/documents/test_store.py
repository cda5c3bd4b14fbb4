"""The document store (docs/architecture.md, "The document store"): no file without its row —
a file is pending until its use case succeeds and deleted when it fails, what an enclosing
rollback or a crash leaves is swept — and a stored file is named and served as what its bytes
are, never as what the uploader called it."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.arrangements.models import Arrangement, ArrangementDocument, ArrangementState
from autocollect.arrangements.services import (
    arrangement_approve,
    arrangement_confirm,
    arrangement_propose,
)
from autocollect.cases.models import CollectionCase
from autocollect.core.errors import ApplicationError, Refused
from autocollect.documents.storage import (
    PENDING,
    document_atomic,
    document_store,
    documents_sweep,
)
from autocollect.hardship.models import ClaimDocument
from autocollect.hardship.services import claim_decide, claim_file, document_upload
from autocollect.portfolio.models import LoanDocument
from autocollect.portfolio.services import loan_document_add, loan_document_download
from tests.arrangements.conftest import PDF, TODAY
from tests.factories import make_loan, make_product, make_user

pytestmark = pytest.mark.django_db

OTHER_PDF = b"%PDF-1.7\n% another signed page\n%%EOF\n"
# A PDF that is also an HTML page: what a browser would render if it were served as HTML.
POLYGLOT = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


class LaterError(Exception):
    """Something failing in the use case after the file was stored."""


def files(root: Path) -> set[str]:
    """Every file under the document directory, relative to it."""
    if not root.exists():
        return set()
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def upload(data: bytes = PDF, name: str = "合同.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# The store itself ---------------------------------------------------------------------------


def test_a_file_is_pending_until_its_block_succeeds(document_dir: Path) -> None:
    with document_atomic():
        stored = document_store(upload(), folder="loans")
        assert files(document_dir) == {
            f"{PENDING}/{name}" for name in os.listdir(document_dir / PENDING)
        }
        assert stored.stored_path not in files(document_dir)

    assert files(document_dir) == {stored.stored_path}


def test_a_block_that_raises_leaves_no_file(document_dir: Path) -> None:
    def store_then_fail() -> None:
        with document_atomic():
            document_store(upload(), folder="loans")
            raise LaterError

    with pytest.raises(LaterError):
        store_then_fail()

    assert files(document_dir) == set()


def test_an_inner_block_hands_its_files_to_the_enclosing_one(document_dir: Path) -> None:
    def inner_done_outer_fails() -> None:
        with document_atomic():
            with document_atomic():
                document_store(upload(), folder="loans")
            raise LaterError

    with pytest.raises(LaterError):
        inner_done_outer_fails()

    assert files(document_dir) == set()


def test_storing_outside_a_document_block_or_in_an_unknown_folder_is_a_programming_error(
    document_dir: Path,
) -> None:
    with pytest.raises(RuntimeError, match="document_atomic"):
        document_store(upload(), folder="loans")
    with pytest.raises(RuntimeError, match="not registered"), document_atomic():
        document_store(upload(), folder="somewhere")
    assert files(document_dir) == set()


def test_what_an_enclosing_rollback_leaves_is_swept_and_a_named_file_is_kept(
    document_dir: Path, collector: User
) -> None:
    loan = make_loan(product=make_product())
    kept = loan_document_add(loan=loan, kind="contract", upload=upload(), actor=admin())

    def use_case_then_rollback() -> None:
        # A plain transaction around the use case: it succeeds, then everything rolls back.
        with transaction.atomic():
            loan_document_add(loan=loan, kind="contract", upload=upload(OTHER_PDF), actor=admin())
            raise LaterError

    with pytest.raises(LaterError):
        use_case_then_rollback()
    assert LoanDocument.objects.count() == 1
    left = files(document_dir) - {kept.stored_path}
    assert len(left) == 1  # the rolled-back upload's file, which no row names

    assert documents_sweep().unreferenced == []  # too young: its use case may still run
    report = documents_sweep(older_than=timedelta(0))

    assert report.unreferenced == sorted(left)
    assert files(document_dir) == {kept.stored_path}


def test_the_sweep_removes_old_pending_files_and_the_command_runs_it(document_dir: Path) -> None:
    stale = document_dir / PENDING / "crashed.pdf"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(PDF)
    hour_ago = time.time() - 3_700
    os.utime(stale, (hour_ago, hour_ago))
    fresh = document_dir / PENDING / "running.pdf"
    fresh.write_bytes(PDF)

    call_command("documents", "sweep")

    assert files(document_dir) == {f"{PENDING}/running.pdf"}


def admin() -> User:
    user = User.objects.filter(username="admin.zhou").first()
    return user or make_user("admin.zhou", Role.ADMIN)


# Concurrent and refused uploads -------------------------------------------------------------


@pytest.fixture
def approved(case: CollectionCase, collector: User, lead: User) -> Arrangement:
    plan = arrangement_propose(
        case=case,
        actor=collector,
        kind="installment_plan",
        installments=3,
        reason="借款人失业，申请分期",
        today=TODAY,
    )
    return arrangement_approve(arrangement=plan, actor=lead, note="同意")


def test_a_second_confirmation_of_the_same_arrangement_is_refused_and_leaves_no_file(
    approved: Arrangement, collector: User, document_dir: Path
) -> None:
    # Two pages opened on the approved arrangement; both send a signed confirmation.
    first_page = Arrangement.objects.get(pk=approved.pk)
    second_page = Arrangement.objects.get(pk=approved.pk)
    document = arrangement_confirm(arrangement=first_page, actor=collector, upload=upload())

    with pytest.raises(Refused):
        arrangement_confirm(arrangement=second_page, actor=collector, upload=upload(OTHER_PDF))

    assert files(document_dir) == {document.stored_path}
    assert ArrangementDocument.objects.count() == 1


def test_a_proof_for_a_claim_decided_meanwhile_is_refused_and_leaves_no_file(
    case: CollectionCase, collector: User, document_dir: Path
) -> None:
    claim = claim_file(case=case, actor=collector, claim_type="job_loss", description="公司裁员")
    page = type(claim).objects.get(pk=claim.pk)
    claim_decide(claim=claim, actor=collector, decision="withdrawn", note="借款人已还款")

    with pytest.raises(Refused):
        document_upload(
            claim=page, actor=collector, doc_type="unemployment_certificate", upload=upload()
        )

    assert files(document_dir) == set()
    assert ClaimDocument.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_confirmations_at_once_leave_exactly_the_referenced_file(
    approved: Arrangement, collector: User, document_dir: Path
) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(data: bytes) -> None:
        page = Arrangement.objects.get(pk=approved.pk)
        barrier.wait()
        try:
            arrangement_confirm(arrangement=page, actor=collector, upload=upload(data))
            outcomes.append("confirmed")
        except Refused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(d,)) for d in (PDF, OTHER_PDF)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["confirmed", "refused"]
    document = ArrangementDocument.objects.get()
    assert files(document_dir) == {document.stored_path}
    assert Arrangement.objects.get(pk=approved.pk).state == ArrangementState.ACTIVE


# Stored names and downloads -----------------------------------------------------------------


def test_a_pdf_html_polyglot_named_html_is_stored_and_served_as_a_pdf(
    document_dir: Path,
) -> None:
    loan = make_loan(product=make_product())
    document = loan_document_add(
        loan=loan, kind="contract", upload=upload(POLYGLOT, "x.html"), actor=admin()
    )

    assert document.original_name == "x.pdf"
    assert document.stored_path.endswith(".pdf")
    assert document.content_type == "application/pdf"
    response = loan_document_download(document=document, actor=admin())
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="x.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == POLYGLOT  # type: ignore[arg-type]


def test_an_html_file_named_pdf_is_refused_and_nothing_is_stored(document_dir: Path) -> None:
    loan = make_loan(product=make_product())

    with pytest.raises(ApplicationError, match="PDF"):
        loan_document_add(loan=loan, kind="contract", upload=upload(HTML, "x.pdf"), actor=admin())

    assert files(document_dir) == set()
    assert LoanDocument.objects.count() == 0


def test_a_row_from_before_is_served_as_what_its_bytes_are(document_dir: Path) -> None:
    loan = make_loan(product=make_product())
    document = loan_document_add(loan=loan, kind="contract", upload=upload(), actor=admin())
    LoanDocument.objects.filter(pk=document.pk).update(
        original_name="旧合同.html", content_type="text/html"
    )
    document.refresh_from_db()

    response = loan_document_download(document=document, actor=admin())

    assert response["Content-Type"] == "application/pdf"
    assert "%E6%97%A7%E5%90%88%E5%90%8C.pdf" in response["Content-Disposition"]
