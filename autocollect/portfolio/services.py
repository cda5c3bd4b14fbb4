"""Writes on the book besides the imports (``importers/``): the loan's own documents, above all
the copy of the signed contract (贷款合同副本) that the case archive keeps.

The book knows no cases, so whether a user may see a loan is checked by the page that calls
these (``cases.selectors.loan_hidden``, a hidden loan answers 404); these check what the user's
role may do (``permissions.py``).
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, refuse
from autocollect.documents import storage
from autocollect.portfolio.models import Loan, LoanDocument, LoanDocumentKind
from autocollect.portfolio.permissions import loan_document_add_refusal

# Sub-folder of the document store for the loans' own documents.
LOAN_DOCUMENT_FOLDER = "loans"


@storage.document_atomic()
def loan_document_add(
    *, loan: Loan, kind: str, upload: UploadedFile, actor: User, note: str = ""
) -> LoanDocument:
    """Store ``upload`` (PDF, PNG or JPEG, checked by its first bytes) as a document of
    ``loan``; audited as ``loan.document_add`` with its SHA-256. The file is written after the
    checks and removed if the row is not written (``storage.document_atomic``)."""
    refuse(loan_document_add_refusal(actor))
    if kind not in LoanDocumentKind.values:
        raise ApplicationError(_("未知的档案类型：%(kind)s") % {"kind": kind})
    stored = storage.document_store(upload, folder=LOAN_DOCUMENT_FOLDER)
    document = LoanDocument.objects.create(
        loan=loan,
        kind=kind,
        original_name=stored.original_name,
        stored_path=stored.stored_path,
        sha256=stored.sha256,
        size_bytes=stored.size_bytes,
        content_type=stored.content_type,
        note=note.strip(),
        uploaded_by=actor,
        uploaded_at=clock.now(),
    )
    audit_record(
        actor=actor.get_username(),
        action="loan.document_add",
        obj=document,
        after={
            "loan": loan.pk,
            "kind": kind,
            "file": stored.original_name,
            "sha256": stored.sha256,
            "size_bytes": stored.size_bytes,
        },
        reason=document.note,
    )
    return document


def loan_document_download(*, document: LoanDocument, actor: User) -> FileResponse:
    """The stored file, checked against its SHA-256; the read is audited
    (``loan.document_read``)."""
    return storage.document_download(
        document,
        stored_path=document.stored_path,
        sha256=document.sha256,
        name=document.original_name,
        content_type=document.content_type,
        actor=actor.get_username(),
        action="loan.document_read",
    )
