"""Activating a version of borrower-facing wording only if the content checker passes it.

Message templates (``channels``) and collection scripts (``scripts``) are versioned texts with
a ``code``, a ``language``, a ``version`` and a ``status`` (draft, active, retired). Putting a
version in front of borrowers goes through :func:`activate_checked_version`: the stored text is
checked; a refusal is audited (who tried to put what in front of borrowers) and raised; a pass
activates that version under a row lock, retires the active one of the same code and language,
and is audited. The text checked is the text activated: if it changed in between, nothing is
activated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.db import models, transaction
from django.utils.translation import gettext as _

from autocollect.audit.services import audit_record
from autocollect.compliance.content import LintResult
from autocollect.core import clock
from autocollect.core.errors import ApplicationError

ACTIVE = "active"
RETIRED = "retired"


class ContentRejectedError(ApplicationError):
    """The content checker found something; the message names each rule and the text."""

    def __init__(self, what: str, result: LintResult) -> None:
        findings = "; ".join(f"{f.rule} ({f.category}) “{f.text}”" for f in result.findings)
        super().__init__(
            f"{what} fails the content checker: {findings}",
            extra={"findings": [f.as_dict() for f in result.findings]},
        )
        self.rules = [f.rule for f in result.findings]


class VersionedText(Protocol):
    pk: Any
    code: str
    language: str
    version: int
    status: str
    activated_by: str
    activated_at: Any

    def save(self, *, update_fields: list[str]) -> None: ...


V = TypeVar("V", bound=models.Model)


def activate_checked_version(
    model: type[V],
    pk: int,
    *,
    actor: str,
    action: str,
    label: str,
    content_fields: tuple[str, ...],
    check: Callable[[V], LintResult],
    rejected: Callable[[str, LintResult], ContentRejectedError] = ContentRejectedError,
    reactivate_retired: bool = True,
    audit_fields: tuple[str, ...] = (),
) -> V:
    """Activate version ``pk`` of ``model`` if ``check`` passes its stored text.

    ``action`` names the audit events (``action`` and ``action + "_refused"``); ``label`` names
    the kind of text in messages ("template", "script"); ``content_fields`` are the fields
    whose values were checked and must not change before the activation; ``audit_fields`` are
    added to the activation's audit record. A retired version may be activated again only with
    ``reactivate_retired``. An active version is returned as it is."""
    stored = model._default_manager.get(pk=pk)
    text: VersionedText = stored  # type: ignore[assignment]
    what = f"{label} {text.code} v{text.version}"
    result = check(stored)
    if not result.ok:
        error = rejected(what, result)
        audit_record(
            actor=actor,
            action=f"{action}_refused",
            obj=stored,
            after={"rules": error.rules},
            reason=error.message,
        )
        raise error
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=pk)
        current: VersionedText = locked  # type: ignore[assignment]
        if any(getattr(locked, f) != getattr(stored, f) for f in content_fields):
            raise ApplicationError(
                _("%(label)s %(code)s 在启用过程中被修改") % {"label": label, "code": text.code}
            )
        if current.status == ACTIVE:
            return locked
        if current.status == RETIRED and not reactivate_retired:
            # A retired version stays retired: bring it back as a new version, so that the
            # history says who put it in front of borrowers again and when.
            raise ApplicationError(_("%(what)s 已停用，请新建版本") % {"what": what})
        previous = list(
            model._default_manager.select_for_update().filter(
                code=current.code, language=current.language, status=ACTIVE
            )
        )
        for old in previous:
            old_text: VersionedText = old  # type: ignore[assignment]
            old_text.status = RETIRED
            old_text.save(update_fields=["status"])
        before = current.status
        current.status = ACTIVE
        current.activated_by = actor
        current.activated_at = clock.now()
        current.save(update_fields=["status", "activated_by", "activated_at"])
        audit_record(
            actor=actor,
            action=action,
            obj=locked,
            before={"status": before},
            after={
                "status": ACTIVE,
                "version": current.version,
                **{field: getattr(locked, field) for field in audit_fields},
                "retired": [old.pk for old in previous],
            },
        )
    return locked
