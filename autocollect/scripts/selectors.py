"""Reads for the script library: the scripts of a case, filled in; the library by stage."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import translation

from autocollect.cases.models import CollectionCase
from autocollect.channels.selectors import (
    business_today,
    case_message_variables,
    case_overdue_rows,
)
from autocollect.scripts import text
from autocollect.scripts.models import STAGE_ORDER, Language, Script, ScriptStatus, Stage

logger = logging.getLogger(__name__)

# What a script says for the speaker when the case has no agent and none is given.
_NO_AGENT = {"zh-hans": "工作人员", "en": "a member of staff"}


@dataclass(frozen=True, slots=True)
class RenderedScript:
    """One script of a case, ready to read: variables filled in, personal data masked, and
    checked again by the content checker with the case's own values."""

    stage: str
    stage_label: str
    title: str
    text: str
    script_id: int
    code: str
    audience: str
    notes: str
    version: int


def _language(language: str) -> str:
    """``zh-hans`` for any Chinese code Django may hand over (``zh-hans``, ``zh-cn``, ``zh``)."""
    code = language.lower()
    if code.startswith("zh"):
        return Language.ZH_HANS
    return Language.EN if code.startswith("en") else Language.ZH_HANS


def agent_display_name(agent: Any, language: str) -> str:
    """How a collector introduces themselves: the name on their account (family name first in
    Chinese), else their user name."""
    if agent is None:
        return _NO_AGENT[language]
    first = (getattr(agent, "first_name", "") or "").strip()
    last = (getattr(agent, "last_name", "") or "").strip()
    if first or last:
        if language == Language.ZH_HANS:
            return f"{last}{first}"
        return " ".join(part for part in (first, last) if part)
    return str(agent.get_username())


def days_past_due(case: CollectionCase, *, as_of: date | None = None) -> int:
    """As-of date minus the due date of the oldest unpaid installment (0 when nothing is due)."""
    day = as_of or business_today()
    rows = case_overdue_rows(case, as_of=day)
    if not rows:
        return 0
    return max((day - date.fromisoformat(rows[0]["due_on"])).days, 0)


def script_variables(
    case: CollectionCase, *, language: str, agent: Any = None, as_of: date | None = None
) -> dict[str, str]:
    """Every script variable for ``case``: the message variables (borrower, contract, amounts
    from fen, the lender), how late the account is, and who is speaking."""
    values = case_message_variables(case, language=language, channel="call", as_of=as_of)
    values.pop("opt_out_line", None)
    speaker = agent if agent is not None else getattr(case, "assigned_agent", None)
    values["agent_name"] = agent_display_name(speaker, language)
    values["days_past_due"] = str(days_past_due(case, as_of=as_of))
    return values


def scripts_for_case(
    case: CollectionCase,
    language: str = "zh-hans",
    *,
    agent: Any = None,
    as_of: date | None = None,
) -> list[RenderedScript]:
    """The active scripts in ``language``, in the order of a call, filled with the case's
    values. Personal data that a value might carry is masked, and each filled text is checked
    again: a value (a name, a configured payment channel) can make a clean script prohibited,
    and such a script is left out (and logged) rather than shown."""
    lang = _language(language)
    values = script_variables(case, language=lang, agent=agent, as_of=as_of)
    rendered = []
    for script in active_scripts(lang):
        filled = text.mask_personal_data(text.fill(script.body, values, field="body"))
        result = text.lint(filled, audience=script.audience, language=script.language)
        if not result.ok:
            logger.warning(
                "script %s v%s withheld for case %s: %s",
                script.code,
                script.version,
                case.pk,
                ", ".join(f.rule for f in result.findings),
            )
            continue
        rendered.append(
            RenderedScript(
                stage=script.stage,
                stage_label=_stage_label(script.stage, lang),
                title=script.title,
                text=filled,
                script_id=script.pk,
                code=script.code,
                audience=script.audience,
                notes=script.notes,
                version=script.version,
            )
        )
    return rendered


def _stage_label(stage: str, language: str) -> str:
    with translation.override(language):
        return str(Stage(stage).label)


def _in_call_order(scripts: list[Script]) -> list[Script]:
    return sorted(scripts, key=lambda s: (STAGE_ORDER.get(s.stage, 99), s.position, s.code))


def active_scripts(language: str) -> list[Script]:
    """The active version of every script in ``language``, in the order of a call."""
    return _in_call_order(
        list(Script.objects.filter(language=_language(language), status=ScriptStatus.ACTIVE))
    )


@dataclass(frozen=True, slots=True)
class StageGroup:
    stage: str
    label: str
    scripts: list[Script]


def script_library(*, language: str, include_drafts: bool = False) -> list[StageGroup]:
    """The library by stage, for the library page: active scripts, plus drafts for those who
    manage scripts. Every stage is listed, empty ones too."""
    statuses = (
        [ScriptStatus.ACTIVE, ScriptStatus.DRAFT] if include_drafts else [ScriptStatus.ACTIVE]
    )
    scripts = _in_call_order(
        list(Script.objects.filter(language=_language(language), status__in=statuses))
    )
    return [
        StageGroup(stage, str(label), [s for s in scripts if s.stage == stage])
        for stage, label in Stage.choices
    ]


def script_versions(script: Script) -> QuerySet[Script]:
    """Every version of ``script``'s code in its language, newest first."""
    return Script.objects.filter(code=script.code, language=script.language).order_by("-version")


def script_preview(script: Script) -> str:
    """The script filled with the neutral sample values the checker sees on activation."""
    return text.fill(script.body, text.SAMPLE_VALUES[script.language], field="body")
