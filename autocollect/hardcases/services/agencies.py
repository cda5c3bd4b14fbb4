"""Investigation agencies (外部调查机构): the register, with the lender's signed authorisation
letter (委托授权书) of each, its revocation, and whether an agency's authorisation covers a day
(docs/hard-cases.md, "Agencies")."""

from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autocollect.accounts.models import User
from autocollect.audit.services import audit_record
from autocollect.core import clock
from autocollect.core.errors import ApplicationError, FieldValidationError, refuse
from autocollect.documents import storage
from autocollect.hardcases.conf import letter_required_from
from autocollect.hardcases.models import InvestigationAgency
from autocollect.hardcases.permissions import agency_register_refusal
from autocollect.hardcases.selectors import agency_open_tasks

# Sub-folder of the document store for the agencies' signed authorisation letters.
LETTER_FOLDER = "agency_letters"


def agency_letter_missing(agency: InvestigationAgency) -> bool:
    """Whether the agency's period needs the stored letter and it is not there."""
    return not agency.has_letter and agency.authorised_from >= letter_required_from()


def agency_authorised(agency: InvestigationAgency, on: date) -> bool:
    return (
        agency.revoked_at is None
        and bool(agency.authorisation_ref.strip())
        and agency.authorised_from <= on <= agency.authorised_until
        and not agency_letter_missing(agency)
    )


@storage.document_atomic()
def agency_register(
    *,
    actor: User,
    name: str,
    licence_no: str,
    authorisation_ref: str,
    authorised_from: date,
    authorised_until: date,
    letter: UploadedFile | None,
) -> InvestigationAgency:
    """Record an agency and the lender's written authorisation (委托授权书) with its dates and
    the signed letter itself (PDF, PNG or JPEG), stored with its SHA-256, so that an auditor or
    a court sees the authorisation the system relied on. A refusal writes nothing: no row, no
    event, no file."""
    refuse(agency_register_refusal(actor))
    if not (name.strip() and licence_no.strip() and authorisation_ref.strip()):
        raise ApplicationError(
            _("请填写机构名称、许可证号和授权书编号"),
            extra={"field": "name, licence_no, authorisation_ref"},
        )
    if authorised_until < authorised_from:
        raise ApplicationError(_("授权截止日早于授权起始日"), extra={"field": "authorised_until"})
    if letter is None:
        raise FieldValidationError("letter", _("必须上传签署的委托授权书（PDF、PNG 或 JPEG）"))
    try:
        stored = storage.document_store(letter, folder=LETTER_FOLDER)
    except ApplicationError as exc:  # wrong kind, empty or too large: nothing was stored
        raise FieldValidationError("letter", exc.message) from exc
    agency = InvestigationAgency.objects.create(
        name=name.strip(),
        licence_no=licence_no.strip(),
        authorisation_ref=authorisation_ref.strip(),
        letter_name=stored.original_name,
        stored_path=stored.stored_path,
        sha256=stored.sha256,
        size_bytes=stored.size_bytes,
        letter_content_type=stored.content_type,
        authorised_from=authorised_from,
        authorised_until=authorised_until,
    )
    audit_record(
        actor=actor.get_username(),
        action="skiptrace.agency_register",
        obj=agency,
        after={
            "name": agency.name,
            "authorisation_ref": agency.authorisation_ref,
            "authorised_from": authorised_from,
            "authorised_until": authorised_until,
            "letter": stored.original_name,
            "stored_path": stored.stored_path,
            "sha256": stored.sha256,
            "size_bytes": stored.size_bytes,
        },
    )
    return agency


@transaction.atomic
def agency_revoke(*, agency: InvestigationAgency, actor: User, reason: str) -> InvestigationAgency:
    """Revoke the lender's authorisation of an agency (撤销委托授权), as of now: it takes no new
    work (``agency_authorised`` is false from now on). The tasks it still holds are not
    touched: they stay pending, listed on the agencies page for reassignment
    (``selectors.agency_open_tasks``), and are recorded or given to another agency as usual.
    Same permissions as registering; the reason is required and goes to the audit event. A
    renewed authorisation is a new registration with the new letter, never an undo."""
    refuse(agency_register_refusal(actor))
    if not reason.strip():
        raise FieldValidationError("reason", _("撤销委托授权须说明原因"))
    # The agency's row is locked, as ``skip_task_add`` locks it: a task given at the same time
    # is served either before the revocation or after it, refused.
    agency = InvestigationAgency.objects.select_for_update().get(pk=agency.pk)
    if agency.revoked_at is not None:
        raise ApplicationError(
            _("%(agency)s 的委托授权已于 %(day)s 撤销")
            % {"agency": agency.name, "day": f"{timezone.localtime(agency.revoked_at):%Y-%m-%d}"}
        )
    agency.revoked_at = clock.now()
    agency.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor.get_username(),
        action="skiptrace.agency_revoke",
        obj=agency,
        before={"revoked_at": None},
        after={
            "revoked_at": agency.revoked_at,
            "name": agency.name,
            "authorisation_ref": agency.authorisation_ref,
            "open_tasks": list(agency_open_tasks([agency.pk]).values_list("pk", flat=True)),
        },
        reason=reason.strip(),
    )
    return agency


def agency_lock_for_task(agency: InvestigationAgency, *, on: date) -> InvestigationAgency:
    """The agency as stored, its row locked, when its authorisation lets it take a task on
    ``on``; else ``ApplicationError`` saying why: revoked, the signed letter missing, or ``on``
    outside the authorised period. Called by ``skip_task_add`` inside its transaction."""
    # Read (and lock) the agency as stored: a revocation made since the caller loaded it
    # counts, and one made at the same time waits for this task or comes after it.
    agency = InvestigationAgency.objects.select_for_update().get(pk=agency.pk)
    if agency.revoked_at is not None:
        raise ApplicationError(
            _("%(agency)s 的委托授权已于 %(day)s 撤销，不能再指派任务，请委托其他机构")
            % {
                "agency": agency.name,
                "day": f"{timezone.localtime(agency.revoked_at):%Y-%m-%d}",
            },
            extra={"agency": agency.pk, "on": on.isoformat()},
        )
    if agency_letter_missing(agency):
        raise ApplicationError(
            _("%(agency)s 缺少授权书：%(start)s 起的授权期需要上传签署的委托授权书")
            % {"agency": agency.name, "start": f"{agency.authorised_from:%Y-%m-%d}"},
            extra={"agency": agency.pk, "on": on.isoformat()},
        )
    if not agency_authorised(agency, on):
        raise ApplicationError(
            _("%(agency)s 的委托授权不在有效期内（%(start)s 至 %(end)s）")
            % {
                "agency": agency.name,
                "start": f"{agency.authorised_from:%Y-%m-%d}",
                "end": f"{agency.authorised_until:%Y-%m-%d}",
            },
            extra={"agency": agency.pk, "on": on.isoformat()},
        )
    return agency
