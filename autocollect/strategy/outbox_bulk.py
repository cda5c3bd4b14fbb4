"""The planner's messages into the transactional outbox, thousands at a time.

The same contract as ``channels.services.outbox_enqueue`` (docs/channels.md), for many
messages in one go: written in the caller's transaction; the same idempotency key again gives
the existing row (re-planning a date sends nothing twice); each text rendered and checked by
the content checker now (as ``template_render`` does: ``rendering.render_one``), so that a
refused text fails the plan's action, not the dispatch; a letter carries its table of overdue
installments. What differs is how the rows are written (one COPY instead of a savepoint and an
INSERT each, about 4 ms a message, plus a Huey enqueue each on commit), that the texts may come
already rendered (the planner renders them in worker processes while it gates), and when they
are dispatched: a planned message waits for its moment (``not_before``), and on commit one task
per distinct moment hands the date's due messages to the outbox's own dispatch task. The
channels' sweeper picks up anything a lost task leaves behind. It belongs in
``channels.services`` (as ``outbox_enqueue_many``); it lives here until it moves there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
from django.db import transaction
from django.utils.translation import gettext as _

from autocollect.channels.models import MessageTemplate, OutboxMessage, OutboxStatus
from autocollect.channels.tasks import outbox_dispatch_due
from autocollect.channels.templating import template_variables
from autocollect.core import clock
from autocollect.core.bulk import insert_rows
from autocollect.core.crypto import encrypt
from autocollect.core.dbio import read_frame, temporary_ids
from autocollect.core.errors import ApplicationError
from autocollect.strategy.rendering import Rendered, RenderJob, render_chunk

KEY_CHUNK = 500


@dataclass(frozen=True, slots=True)
class NewMessage:
    case_id: int
    loan_id: int
    channel: str
    to: str
    template: MessageTemplate
    variables: Mapping[str, str]
    idempotency_key: str
    not_before: datetime


@dataclass(frozen=True, slots=True)
class Enqueued:
    """The outbox row of a message, or why there is none (rule ids)."""

    message_id: int | None
    problems: tuple[str, ...] = ()


def _existing(keys: Sequence[str]) -> dict[str, tuple[int, int, str]]:
    found: dict[str, tuple[int, int, str]] = {}
    for start in range(0, len(keys), KEY_CHUNK):
        for key, pk, case_id, channel in OutboxMessage.objects.filter(
            idempotency_key__in=keys[start : start + KEY_CHUNK]
        ).values_list("idempotency_key", "pk", "case_id", "channel"):
            found[key] = (pk, case_id, channel)
    return found


def overdue_rows(loan_ids: Sequence[int], as_of: date) -> dict[int, list[dict[str, Any]]]:
    """Per loan, its installments due on or before ``as_of`` with something left to pay, oldest
    first, in fen: the table of a collection notice (as ``channels.selectors.case_overdue_rows``
    gives it for one case)."""
    if not loan_ids:
        return {}
    with temporary_ids("_plan_letter_loans", sorted(set(loan_ids))) as ids:
        rows = read_frame(
            f"""
            SELECT i.loan_id, i.seq, i.due_on, i.principal_fen - i.paid_principal_fen,
                   i.interest_fen - i.paid_interest_fen, i.penalty_fen - i.paid_penalty_fen
            FROM portfolio_installment i JOIN {ids} t ON t.id = i.loan_id
            WHERE i.due_on <= %s
            """,  # noqa: S608 - temporary table name from code
            [as_of],
            {
                "loan_id": pl.Int64(),
                "seq": pl.Int64(),
                "due_on": pl.Date(),
                "principal_fen": pl.Int64(),
                "interest_fen": pl.Int64(),
                "penalty_fen": pl.Int64(),
            },
        )
    rows = (
        rows.with_columns(
            (pl.col("principal_fen") + pl.col("interest_fen") + pl.col("penalty_fen")).alias(
                "total_fen"
            )
        )
        .filter(pl.col("total_fen") > 0)
        .sort("loan_id", "seq")
    )
    table: dict[int, list[dict[str, Any]]] = {}
    for row in rows.iter_rows(named=True):
        table.setdefault(row.pop("loan_id"), []).append(
            {**row, "due_on": row["due_on"].isoformat()}
        )
    return table


def render_job(template: MessageTemplate, variables: Mapping[str, str]) -> RenderJob:
    """What ``rendering`` needs to fill and check a message from ``template``."""
    return RenderJob(
        subject=template.subject,
        body=template.body,
        values=dict(variables),
        audience=template.audience,
        language=template.language,
    )


def existing_messages(keys: Sequence[str]) -> dict[str, tuple[int, int, str]]:
    """(row id, case id, channel) of the outbox rows that already have these keys."""
    return _existing(keys)


def outbox_enqueue_many(
    messages: Sequence[NewMessage],
    *,
    as_of: date,
    rendered: Mapping[str, Rendered] | None = None,
) -> list[Enqueued]:
    """Write ``messages`` to the outbox in the caller's transaction; see the module docstring.
    Returns, in order, each message's row id, or the rules that stopped it. ``rendered`` may
    hold the texts already filled and checked (``rendering``), by idempotency key; the others
    are rendered here."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue_many must run inside the decision's transaction")
    existing = _existing([m.idempotency_key for m in messages])
    fresh = _fresh(messages, existing)
    texts = _texts(fresh, rendered or {})
    letters = overdue_rows([m.loan_id for m in fresh if m.channel == "letter"], as_of)
    now = clock.now()
    problems: dict[str, tuple[str, ...]] = {}
    new_rows: list[dict[str, Any]] = []
    for message in fresh:
        text = texts[message.idempotency_key]
        refusal = _refusal(text)
        if refusal:
            problems[message.idempotency_key] = refusal
        else:
            new_rows.append(_outbox_row(message, text, letters.get(message.loan_id, []), now))
    ids = {key: found[0] for key, found in existing.items()} | _insert(new_rows)
    moments = sorted({row["next_attempt_at"] for row in new_rows})
    if moments:
        transaction.on_commit(lambda: _schedule_dispatch(as_of, moments))
    return [
        Enqueued(ids.get(m.idempotency_key), problems.get(m.idempotency_key, ())) for m in messages
    ]


def _fresh(
    messages: Sequence[NewMessage], existing: Mapping[str, tuple[int, int, str]]
) -> list[NewMessage]:
    """The messages with no outbox row yet; refuses a key used by another message and a
    template of another channel."""
    fresh: list[NewMessage] = []
    for message in messages:
        found = existing.get(message.idempotency_key)
        if found is not None and found[1:] != (message.case_id, message.channel):
            raise ApplicationError(
                _("幂等键 %(key)s 已被另一条消息使用") % {"key": message.idempotency_key}
            )
        if message.template.channel != message.channel:
            raise ApplicationError(
                _("模板 %(code)s 用于渠道 %(for)s，不是 %(channel)s")
                % {
                    "code": message.template.code,
                    "for": message.template.channel,
                    "channel": message.channel,
                }
            )
        if found is None:
            fresh.append(message)
    return fresh


def _texts(fresh: list[NewMessage], rendered: Mapping[str, Rendered]) -> dict[str, Rendered]:
    """Every fresh message's text by key: the ones given, the others rendered now."""
    texts = dict(rendered)
    missing = [m for m in fresh if m.idempotency_key not in texts]
    texts.update(
        zip(
            (m.idempotency_key for m in missing),
            render_chunk([render_job(m.template, m.variables) for m in missing]),
            strict=True,
        )
    )
    return texts


def _refusal(text: Rendered) -> tuple[str, ...]:
    """Why a rendered text cannot be sent (rule ids), or nothing."""
    if text.broken:
        return ("strategy.template_broken",)
    return tuple(f"content.{r}" for r in text.refused)


def _outbox_row(
    message: NewMessage, text: Rendered, letter_rows: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    template = message.template
    used = template_variables(template.subject + template.body)
    payload: dict[str, Any] = {"variables": {k: message.variables[k] for k in used}}
    if message.channel == "letter":
        payload["rows"] = letter_rows
    return {
        "idempotency_key": message.idempotency_key,
        "case_id": message.case_id,
        "channel": message.channel,
        "party": template.audience,
        # Written around the model field, so sealed here as the field would.
        "to": encrypt(message.to),
        "template_id": template.pk,
        "language": template.language,
        "subject": text.subject,
        "body": text.body,
        "payload": payload,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": max(message.not_before, now),
        "provider_message_id": "",
        "last_error": "",
        "artifact": "",
        "created_at": now,
        "updated_at": now,
    }


def _insert(rows: list[dict[str, Any]]) -> dict[str, int]:
    if not rows:
        return {}
    columns = list(rows[0])
    last = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    insert_rows("channels_outboxmessage", columns, ([row[c] for c in columns] for row in rows))
    keys = {row["idempotency_key"] for row in rows}
    return {
        key: pk
        for pk, key in OutboxMessage.objects.filter(pk__gt=last).values_list(
            "pk", "idempotency_key"
        )
        if key in keys
    }


def _schedule_dispatch(as_of: date, moments: Sequence[datetime]) -> None:
    for moment in moments:
        outbox_dispatch_due.schedule(args=(f"plan:{as_of.isoformat()}:",), eta=moment)
