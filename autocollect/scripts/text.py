"""Script text: ``{{ variable }}`` placeholders, the content check and the personal-data guard.

The placeholder syntax and filling are the channels' (``autocollect.channels.templating``): no
filters, tags or attribute access, a value inserted once and never read as template text again.
Scripts know two variables more than messages do: who is speaking (``agent_name``, a collector
must give their real identity — NIFA convention 2018 art. 15) and how late the account is
(``days_past_due``). Pure Python: no database, no settings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from autocollect.channels.templating import (
    SAMPLE_VALUES as MESSAGE_SAMPLE_VALUES,
)
from autocollect.channels.templating import (
    VARIABLES as MESSAGE_VARIABLES,
)
from autocollect.channels.templating import (
    TemplateTextError,
    lint_language,
    substitute,
    template_variables,
)
from autocollect.compliance.content import LintResult, lint_text
from autocollect.core.errors import ApplicationError
from autocollect.core.masking import mask_email, mask_national_id, mask_phone

# ``opt_out_line`` belongs to texts and e-mails, not to what is said on a call.
VARIABLES: tuple[str, ...] = (
    *(name for name in MESSAGE_VARIABLES if name != "opt_out_line"),
    "days_past_due",
    "agent_name",
)
# To anyone but the verified borrower: who is calling, whom they want, the number to call back.
# Nothing that tells of a loan, a lender's business or a debt (NIFA convention 2018 arts. 13,
# 14, 18; 12 CFR 1006.10 for location calls in the US). Stricter than the channels' list: a
# finance company's name alone tells a neighbour that there is a loan.
THIRD_PARTY_VARIABLES: frozenset[str] = frozenset({"borrower_name", "agent_name", "lender_hotline"})

# Neutral values the checker sees when a script is activated.
SAMPLE_VALUES: dict[str, dict[str, str]] = {
    "zh-hans": {
        **{k: v for k, v in MESSAGE_SAMPLE_VALUES["zh-hans"].items() if k in VARIABLES},
        "days_past_due": "35",
        "agent_name": "李明",
    },
    "en": {
        **{k: v for k, v in MESSAGE_SAMPLE_VALUES["en"].items() if k in VARIABLES},
        "days_past_due": "35",
        "agent_name": "Li Ming",
    },
}

_STRAY = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")

# Personal data that must never stand in clear in a script or a rendered script: mainland
# mobile numbers (with or without +86), resident ID numbers (18 characters, GB 11643) and
# e-mail addresses. A service hotline (400-…, 95…) is not personal and is left alone.
_MOBILE = re.compile(r"(?<![0-9A-Za-z+])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_NATIONAL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


class ScriptTextError(ApplicationError):
    """A script uses an unknown variable, a variable its audience may not hear, other template
    syntax, or personal data in clear; the message names the field and the problem."""


def allowed_variables(audience: str) -> tuple[str, ...]:
    if audience == "third_party":
        return tuple(name for name in VARIABLES if name in THIRD_PARTY_VARIABLES)
    return VARIABLES


def check_script_text(text: str, *, field: str, audience: str) -> None:
    """Refuse unknown variables, variables the audience may not hear, stray template syntax,
    and personal data typed into the script (a real number belongs to a case, not a script)."""
    allowed = allowed_variables(audience)
    for name in template_variables(text):
        if name not in VARIABLES:
            raise ScriptTextError(
                f"{field}: unknown variable {{{{ {name} }}}}; allowed: {', '.join(allowed)}"
            )
        if name not in allowed:
            raise ScriptTextError(
                f"{field}: {{{{ {name} }}}} may not be said to a third party; allowed: "
                + ", ".join(allowed)
            )
    leftover = _STRAY.search(_PLACEHOLDER.sub("", text))
    if leftover:
        raise ScriptTextError(f"{field}: unexpected {leftover.group(0)!r}; use {{{{ variable }}}}")
    if contains_personal_data(text):
        raise ScriptTextError(
            f"{field}: contains a phone number, ID number or e-mail address; use a variable"
        )


def contains_personal_data(text: str) -> bool:
    return bool(_MOBILE.search(text) or _NATIONAL_ID.search(text) or _EMAIL.search(text))


def mask_personal_data(text: str) -> str:
    """Mask any mobile number, ID number or e-mail address in ``text`` (a value filled into a
    script, such as a name field that holds a number by mistake, must not show it in clear)."""
    text = _NATIONAL_ID.sub(lambda m: mask_national_id(m.group(0)), text)
    text = _MOBILE.sub(lambda m: mask_phone(re.sub(r"[\s-]", "", m.group(0))), text)
    return _EMAIL.sub(lambda m: mask_email(m.group(0)), text)


def fill(text: str, values: Mapping[str, str], *, field: str) -> str:
    """Fill the placeholders; a placeholder without a value is an error."""
    try:
        return substitute(text, values, field=field)
    except TemplateTextError as exc:
        raise ScriptTextError(exc.message) from exc


def lint(text: str, *, audience: str, language: str) -> LintResult:
    return lint_text(text, audience=audience, lang=lint_language(language))
