"""The planner's messages: what each automated action of the day says, rendered while the
gate decides, and the ones that go ahead written to the outbox (``outbox_bulk``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from autocollect.channels.conf import lender_config
from autocollect.channels.models import MessageTemplate, TemplateStatus
from autocollect.channels.templating import format_due_date, opt_out_line
from autocollect.core.crypto import decrypt
from autocollect.core.money import format_yuan
from autocollect.strategy.outbox_bulk import (
    NewMessage,
    existing_messages,
    outbox_enqueue_many,
    render_job,
)
from autocollect.strategy.plan_cases import load_message_facts
from autocollect.strategy.rendering import Pending, Renderer

NO_TEMPLATE = "strategy.no_template"


def idempotency_key(as_of: date, case_id: int, step_id: str) -> str:
    return f"plan:{as_of.isoformat()}:{case_id}:{step_id}"


def _templates(language: str) -> dict[tuple[str, str], MessageTemplate]:
    """Active templates by (channel, code): the plan's language, else any active one."""
    found: dict[tuple[str, str], MessageTemplate] = {}
    for template in MessageTemplate.objects.filter(status=TemplateStatus.ACTIVE).order_by(
        "code", "language"
    ):
        key = (template.channel, template.code)
        if key not in found or template.language == language:
            found[key] = template
    return found


SENT = {"row": pl.Int64(), "outbox_id": pl.Int64(), "problem": pl.List(pl.String())}


@dataclass(frozen=True)
class Draft:
    """A message an automated action would send: its template, values and key."""

    key: str
    template: MessageTemplate
    variables: dict[str, str]


@dataclass
class Messages:
    """The day's automated actions as messages, their texts being rendered meanwhile."""

    drafts: dict[int, Draft]  # by action row
    missing: set[int]  # rows with no active template
    pending: Pending | None
    rendering: list[str]  # keys in the order submitted


def prepare_messages(rows: pl.DataFrame, as_of: date, language: str, texts: Renderer) -> Messages:
    """The message of every automated action due today, and start rendering the new ones
    (all of them, before the gate: the few the gate holds back cost less than waiting)."""
    if rows.height == 0:
        return Messages({}, set(), None, [])
    templates = _templates(language)
    lender = lender_config()
    facts = load_message_facts(rows.get_column("loan_id").unique().sort().to_list(), as_of)
    drafts: dict[int, Draft] = {}
    missing: set[int] = set()
    for row in rows.join(facts, on="loan_id", how="left").iter_rows(named=True):
        template = templates.get((row["channel"], row["template"]))
        if template is None:
            missing.add(row["row"])
            continue
        lang = template.language
        due_on = row["oldest_due_on"] or as_of - timedelta(days=row["dpd"])
        drafts[row["row"]] = Draft(
            key=idempotency_key(as_of, row["case_id"], row["step_id"]),
            template=template,
            variables={
                "borrower_name": row["borrower_name"],
                "contract_no": row["contract_no"],
                "overdue_amount": format_yuan(row["overdue_total_fen"]),
                "due_date": format_due_date(due_on, lang),
                "lender_name": lender.name_in(lang),
                "lender_hotline": lender.hotline,
                "payment_channels": lender.payment_channels_in(lang),
                "opt_out_line": opt_out_line(row["channel"], lang),
            },
        )
    known = existing_messages([d.key for d in drafts.values()])
    new = [d for d in drafts.values() if d.key not in known]
    pending = texts.submit([render_job(d.template, d.variables) for d in new])
    return Messages(drafts, missing, pending, [d.key for d in new])


def enqueue_messages(rows: pl.DataFrame, messages: Messages, as_of: date) -> pl.DataFrame:
    """Send the automated actions that go ahead to the outbox: ``SENT`` per row, with
    ``outbox_id`` null and the ``problem`` when no message could be made."""
    if rows.height == 0:
        return pl.DataFrame(schema=SENT)
    rendered = (
        dict(zip(messages.rendering, messages.pending.result(), strict=True))
        if messages.pending is not None
        else {}
    )
    results: list[tuple[int, int | None, list[str]]] = []
    new: list[NewMessage] = []
    new_rows: list[int] = []
    for row in rows.sort("case_id", "step_id").iter_rows(named=True):
        draft = messages.drafts.get(row["row"])
        if draft is None:
            results.append((row["row"], None, [NO_TEMPLATE]))
            continue
        new.append(
            NewMessage(
                case_id=row["case_id"],
                loan_id=row["loan_id"],
                channel=row["channel"],
                # The one place the plan opens a contact value: a message that goes out.
                to=decrypt(row["sealed"]),
                template=draft.template,
                variables=draft.variables,
                idempotency_key=draft.key,
                not_before=row["scheduled_at"],
            )
        )
        new_rows.append(row["row"])
    done = outbox_enqueue_many(new, as_of=as_of, rendered=rendered)
    results += [
        (row, result.message_id, list(result.problems))
        for row, result in zip(new_rows, done, strict=True)
    ]
    return pl.DataFrame(results, schema=SENT, orient="row")
