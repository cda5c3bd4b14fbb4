"""Writes for the script library: a new version (draft), activation through the content
checker, retirement, and loading the shipped scripts. Every write is audited.

Who may call these is decided by the caller (the views and the admin require the
``manage_scripts`` permission); the services record the actor they are given.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from autocollect.audit.services import audit_record
from autocollect.compliance.activation import ContentRejectedError, activate_checked_version
from autocollect.compliance.content import LintResult
from autocollect.core import clock
from autocollect.core.errors import ApplicationError
from autocollect.scripts import text
from autocollect.scripts.models import Audience, Language, Script, ScriptStatus, Stage

logger = logging.getLogger(__name__)

DEFAULT_SCRIPTS = Path(__file__).resolve().with_name("default_scripts.yaml")
# Recorded as the creator of the scripts put in place on an empty library (see
# ``scripts_bootstrap``).
BOOTSTRAP_ACTOR = "system:bootstrap"

__all__ = [
    "DEFAULT_SCRIPTS",
    "ScriptRejectedError",
    "script_activate",
    "script_check",
    "script_create",
    "script_load_defaults",
    "script_retire",
    "scripts_bootstrap",
]


class ScriptRejectedError(ContentRejectedError):
    """A script the content checker refuses."""


def _check_fields(script: Script) -> None:
    if script.stage == Stage.THIRD_PARTY and script.audience != Audience.THIRD_PARTY:
        raise ApplicationError(
            _("第三方联系阶段的话术只能对第三方使用"), extra={"field": "audience"}
        )
    if "{{" in script.title or "}}" in script.title:
        raise text.ScriptTextError("title: a title is not filled in; write it without variables")
    text.check_script_text(script.body, field="body", audience=script.audience)
    if text.contains_personal_data(script.notes):
        raise text.ScriptTextError(
            "notes: contains a phone number, ID number or e-mail address; use a variable"
        )


def script_check(script: Script) -> LintResult:
    """What the content checker says of ``script`` filled with neutral sample values, as a
    borrower (or a third party) would hear it."""
    _check_fields(script)
    values = text.SAMPLE_VALUES[script.language]
    spoken = text.fill(script.body, values, field="body")
    return text.lint(spoken, audience=script.audience, language=script.language)


@transaction.atomic
def script_create(
    *,
    code: str,
    stage: str,
    language: str,
    title: str,
    body: str,
    actor: str,
    audience: str | None = None,
    notes: str = "",
    position: int = 0,
) -> Script:
    """A new draft: the next version of ``code`` in ``language``. Its syntax, variables and
    absence of personal data are checked now; its wording when it is activated. The audience
    defaults to a third party for third-party scripts and to the borrower otherwise."""
    if audience is None:
        audience = Audience.THIRD_PARTY if stage == Stage.THIRD_PARTY else Audience.BORROWER
    script = Script(
        code=code,
        stage=stage,
        language=language,
        audience=audience,
        position=position,
        title=title.strip(),
        body=body.strip(),
        notes=notes.strip(),
        created_by=actor,
    )
    _check_fields(script)
    latest = Script.objects.filter(code=code, language=language).aggregate(v=Max("version"))["v"]
    script.version = (latest or 0) + 1
    try:
        script.full_clean(exclude=["status"])
    except ValidationError as exc:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        raise ApplicationError(detail) from exc
    script.save()
    audit_record(
        actor=actor,
        action="scripts.script_create",
        obj=script,
        after={
            "code": code,
            "stage": stage,
            "language": language,
            "audience": audience,
            "version": script.version,
            "title": script.title,
            "body": script.body,
        },
    )
    return script


def script_activate(script: Script, *, actor: str) -> Script:
    """Make ``script`` the version collectors see, retiring the one before it — only if its
    text, filled with neutral sample values, passes the content checker for its audience and
    language (``compliance.activation``: a refusal is audited too, and the text checked is the
    text activated). A retired version is not brought back: create a new version."""
    activate_checked_version(
        Script,
        script.pk,
        actor=actor,
        action="scripts.script_activate",
        label="script",
        content_fields=("title", "body", "audience"),
        check=script_check,
        rejected=ScriptRejectedError,
        reactivate_retired=False,
        audit_fields=("title", "body"),
    )
    script.refresh_from_db()
    return script


@transaction.atomic
def script_retire(script: Script, *, actor: str, reason: str = "") -> Script:
    """Take a version out of use (a draft abandoned, an active script withdrawn)."""
    locked = Script.objects.select_for_update().get(pk=script.pk)
    if locked.status == ScriptStatus.RETIRED:
        script.refresh_from_db()
        return script
    before = locked.status
    locked.status = ScriptStatus.RETIRED
    locked.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="scripts.script_retire",
        obj=locked,
        before={"status": before},
        after={"status": locked.status},
        reason=reason,
    )
    script.refresh_from_db()
    return script


# --- the shipped scripts --------------------------------------------------------------------


def default_specs(path: Path = DEFAULT_SCRIPTS) -> list[dict[str, Any]]:
    """The shipped scripts, one dict per script and language: code, stage, audience, position,
    language, title, body, notes."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = []
    for position, item in enumerate(spec["scripts"], start=1):
        stage = item["stage"]
        audience = item.get(
            "audience", Audience.THIRD_PARTY if stage == Stage.THIRD_PARTY else Audience.BORROWER
        )
        for language, fields in item["languages"].items():
            if language not in Language.values:
                raise ApplicationError(
                    _("%(file)s：%(code)s：未知的语言 %(language)s")
                    % {"file": path.name, "code": item["code"], "language": language}
                )
            rows.append(
                {
                    "code": item["code"],
                    "stage": stage,
                    "audience": audience,
                    "position": item.get("position", position),
                    "language": language,
                    "title": fields["title"].strip(),
                    "body": fields["body"].strip(),
                    "notes": fields.get("notes", "").strip(),
                }
            )
    return rows


def script_load_defaults(*, actor: str, path: Path = DEFAULT_SCRIPTS) -> list[Script]:
    """Create the shipped scripts as drafts and activate them, each through the checker, all
    audited. Idempotent: a script whose active version already has the same text is left
    alone; one that compliance retired or changed gets the shipped text as a new version."""
    activated = []
    for row in default_specs(path):
        current = Script.objects.filter(
            code=row["code"], language=row["language"], status=ScriptStatus.ACTIVE
        ).first()
        if current and (current.title, current.body, current.notes) == (
            row["title"],
            row["body"],
            row["notes"],
        ):
            continue
        with transaction.atomic():
            draft = script_create(actor=actor, **row)
            activated.append(script_activate(draft, actor=actor))
    return activated


def scripts_bootstrap(*, using: str = "default", path: Path = DEFAULT_SCRIPTS) -> int:
    """Put the shipped scripts in place on an empty library (a new database, or one a test
    flushed), so that every installation, the demo included, has a script panel from the
    first migrate. Each script passes the same checks as ``script_activate``; one that does
    not is left out with a warning rather than failing the migration.

    Not audited, like a data migration: it runs only on an empty library, writes only the text
    under version control, and marks every row ``system:bootstrap``. Later changes — including
    ``autocollect scripts load-defaults`` after an upgrade — go through the audited services.
    """
    if Script.objects.using(using).exists():
        return 0
    now = clock.now()
    rows = []
    for row in default_specs(path):
        script = Script(
            **row,
            version=1,
            status=ScriptStatus.ACTIVE,
            created_by=BOOTSTRAP_ACTOR,
            activated_by=BOOTSTRAP_ACTOR,
            activated_at=now,
        )
        try:
            result = script_check(script)
        except ApplicationError as exc:
            logger.warning(
                "shipped script %s (%s) not loaded: %s", row["code"], row["language"], exc
            )
            continue
        if not result.ok:
            logger.warning(
                "shipped script %s (%s) fails the content checker: %s",
                row["code"],
                row["language"],
                ", ".join(f.rule for f in result.findings),
            )
            continue
        rows.append(script)
    Script.objects.using(using).bulk_create(rows)
    return len(rows)
