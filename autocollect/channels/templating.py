"""Message template text: ``{{ variable }}`` placeholders from a fixed whitelist, nothing else.

The syntax is deliberately smaller than Django's template language: no filters, tags, loops or
attribute access, so that a template can say only what the content checker has seen. A value is
inserted once and never read as template text again (a borrower called "{{ x }}" stays so).
Pure Python: no database, no settings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from autocollect.core.errors import ApplicationError

VARIABLES: tuple[str, ...] = (
    "borrower_name",
    "contract_no",
    "overdue_amount",
    "due_date",
    "lender_name",
    "lender_hotline",
    "payment_channels",
    "opt_out_line",
)
# A third party (an emergency contact, a relative) may only be asked to have the borrower call
# back: nothing that tells of a loan or a debt (NIFA convention 2018 arts. 13, 14, 18).
THIRD_PARTY_VARIABLES: frozenset[str] = frozenset(
    {"borrower_name", "lender_name", "lender_hotline", "opt_out_line"}
)

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_STRAY = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")

# Opt-out wording by channel and language. Texts and e-mails carry one (12 CFR 1006.6(e) in the
# US; Chinese carriers expect "回复TD退订" on bulk texts); calls and letters have none.
_OPT_OUT = {
    ("sms", "zh-hans"): "回复TD退订",
    ("sms", "en"): "Reply STOP to opt out.",
    ("email", "zh-hans"): "如不希望再收到此类邮件，请回复TD退订。",
    ("email", "en"): "To unsubscribe from these emails, reply STOP.",
}

# Neutral values used to check a template before activation: the checker sees the text as a
# borrower would, placeholders filled in.
SAMPLE_VALUES: dict[str, dict[str, str]] = {
    "zh-hans": {
        "borrower_name": "张三",
        "contract_no": "HT20240001",
        "overdue_amount": "¥3,256.80",
        "due_date": "2026年1月15日",
        "lender_name": "示例汽车金融有限公司",
        "lender_hotline": "400-000-0000",
        "payment_channels": "官方App“还款”页面",
    },
    "en": {
        "borrower_name": "Zhang San",
        "contract_no": "HT20240001",
        "overdue_amount": "¥3,256.80",
        "due_date": "2026-01-15",
        "lender_name": "Example Auto Finance Co., Ltd.",
        "lender_hotline": "400-000-0000",
        "payment_channels": "the Repay page of our official app",
    },
}


class TemplateTextError(ApplicationError):
    """A template uses an unknown variable or syntax; the message names it."""


def lint_language(language: str) -> str:
    """The content checker's language code for a template language (``zh-hans`` → ``zh``)."""
    return "zh" if language.startswith("zh") else "en"


def opt_out_line(channel: str, language: str) -> str:
    return _OPT_OUT.get((channel, language), "")


def format_due_date(day: date, language: str) -> str:
    if language.startswith("zh"):
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def template_variables(text: str) -> list[str]:
    """The placeholders of ``text`` in order of first appearance."""
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def check_template_text(text: str, *, field: str, audience: str) -> None:
    """Refuse unknown variables, variables the audience may not see, and any other template
    syntax (a stray ``{{`` would otherwise reach the borrower verbatim)."""
    for name in template_variables(text):
        if name not in VARIABLES:
            raise TemplateTextError(
                f"{field}: unknown variable {{{{ {name} }}}}; allowed: {', '.join(VARIABLES)}"
            )
        if audience == "third_party" and name not in THIRD_PARTY_VARIABLES:
            raise TemplateTextError(
                f"{field}: {{{{ {name} }}}} may not be shown to a third party; allowed: "
                + ", ".join(sorted(THIRD_PARTY_VARIABLES))
            )
    leftover = _STRAY.search(_PLACEHOLDER.sub("", text))
    if leftover:
        raise TemplateTextError(
            f"{field}: unexpected {leftover.group(0)!r}; use {{{{ variable }}}}"
        )


def substitute(text: str, values: Mapping[str, str], *, field: str) -> str:
    """Fill the placeholders of ``text``; a placeholder without a value is an error."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise TemplateTextError(f"{field}: no value for {{{{ {name} }}}}")
        return str(values[name])

    return _PLACEHOLDER.sub(fill, text)
