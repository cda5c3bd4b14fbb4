"""Column contracts of the frames the engine reads and returns.

Money columns are Int64 fen. Dates are ``pl.Date``. A loader must produce exactly these columns
(extra columns are ignored); ``require`` checks that early with a clear message.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

# Inputs ---------------------------------------------------------------------------------------

LOANS: Mapping[str, pl.DataType] = {
    "loan_id": pl.Int64(),
    "product_id": pl.Int64(),
}

PRODUCTS: Mapping[str, pl.DataType] = {
    "product_id": pl.Int64(),
    # Annual penalty rate in millionths (0.18 → 180_000): exact integer arithmetic downstream.
    "penalty_rate_ppm": pl.Int64(),
    # "overdue_principal" or "overdue_installment".
    "penalty_basis": pl.String(),
    # Days in the penalty year: 360 (ACT/360) or 365 (ACT/365).
    "day_count_days": pl.Int64(),
    "grace_days": pl.Int64(),
    "tolerance_fen": pl.Int64(),
}

# The schedule with what has been paid on it so far (all payments known to the system).
INSTALLMENTS: Mapping[str, pl.DataType] = {
    "loan_id": pl.Int64(),
    "seq": pl.Int64(),
    "due_on": pl.Date(),
    "principal_fen": pl.Int64(),
    "interest_fen": pl.Int64(),
    "paid_principal_fen": pl.Int64(),
    "paid_interest_fen": pl.Int64(),
    "paid_penalty_fen": pl.Int64(),
}

# Allocations paid after their installment's due date ("late"), the only ones that change
# penalty accrual or that a past as-of date must not see yet. Components: principal, interest,
# penalty.
LATE_ALLOCATIONS: Mapping[str, pl.DataType] = {
    "loan_id": pl.Int64(),
    "seq": pl.Int64(),
    "component": pl.String(),
    "amount_fen": pl.Int64(),
    "paid_on": pl.Date(),
}

# Days on which a loan's delinquency does not count (dispute, disaster relief), inclusive.
PAUSES: Mapping[str, pl.DataType] = {
    "loan_id": pl.Int64(),
    "start_on": pl.Date(),
    "end_on": pl.Date(),
}

PREVIOUS_STATE: Mapping[str, pl.DataType] = {
    "loan_id": pl.Int64(),
    "bucket": pl.String(),
}

PROMISES: Mapping[str, pl.DataType] = {
    "promise_id": pl.Int64(),
    "loan_id": pl.Int64(),
    "promised_on": pl.Date(),
    "due_on": pl.Date(),
    "amount_fen": pl.Int64(),
}

PAYMENTS: Mapping[str, pl.DataType] = {
    "loan_id": pl.Int64(),
    "paid_on": pl.Date(),
    "amount_fen": pl.Int64(),
}

# Outputs --------------------------------------------------------------------------------------

LOAN_STATE: Mapping[str, pl.DataType] = {
    "loan_id": pl.Int64(),
    "dpd": pl.Int64(),
    "bucket": pl.String(),
    "oldest_due_on": pl.Date(),
    "overdue_principal_fen": pl.Int64(),
    "overdue_interest_fen": pl.Int64(),
    "overdue_penalty_fen": pl.Int64(),
    "overdue_total_fen": pl.Int64(),
    "penalty_today_fen": pl.Int64(),
    "movement": pl.String(),
}

INSTALLMENT_PENALTY: Mapping[str, pl.DataType] = {
    "loan_id": pl.Int64(),
    "seq": pl.Int64(),
    "penalty_fen": pl.Int64(),
}

PROMISE_RESULT: Mapping[str, pl.DataType] = {
    "promise_id": pl.Int64(),
    "status": pl.String(),
    "paid_fen": pl.Int64(),
    # Paid share of the promised amount in basis points (10_000 = all of it), rounded down.
    "paid_share_bp": pl.Int64(),
}


# The contact gate (``gating.gate_frame``) -------------------------------------------------------

UTC_US = pl.Datetime("us", "UTC")

# One row per candidate contact. ``at`` is UTC; ``timezone`` is the debtor's IANA zone, in which
# days and windows are decided; ``number`` is the phone number or the address (or its blind
# index: only equality counts); ``agent_authorised`` is the acting user's authorisation (True
# for machines).
CHECKS: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "check_id": pl.Int64(),
    "at": UTC_US,
    "timezone": pl.String(),
    "channel": pl.String(),
    "party": pl.String(),
    "number": pl.String(),
    "agent_authorised": pl.Boolean(),
}

# A case's history, in any order; rows with the same ``at`` count in row order. ``contact`` rows
# need channel, party, number and outcome; ``hold``/``release`` a reason; ``opt_out`` a channel;
# ``consent_hours`` start and end (debtor-local wall clock). Other columns may be null.
EVENTS: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "at": UTC_US,
    "type": pl.String(),
    "channel": pl.String(),
    "party": pl.String(),
    "number": pl.String(),
    "outcome": pl.String(),
    "reason": pl.String(),
    "start": pl.Time(),
    "end": pl.Time(),
}

# One row per check, in the order of the checks: ``rules`` as the single gate gives them
# (blocking rules in pack order, or the requirement rules of an allowed contact),
# ``requirements`` likewise, ``next_allowed_at`` in UTC (null when blocked indefinitely).
DECISIONS: Mapping[str, pl.DataType] = {
    "check_id": pl.Int64(),
    "allowed": pl.Boolean(),
    "rules": pl.List(pl.String()),
    "next_allowed_at": UTC_US,
    "requirements": pl.List(pl.String()),
}


# The daily plan (``planning.py``) -----------------------------------------------------------------

# Channels of a strategy step that machines send through the outbox; the rest are work for
# people, in queues.
AUTOMATED_CHANNELS: frozenset[str] = frozenset({"sms", "email", "robot_call", "letter"})
# Contacts with the borrower, which the contact gate decides; reviews are internal work.
CONTACT_CHANNELS: frozenset[str] = frozenset(
    {"sms", "email", "robot_call", "letter", "call", "visit"}
)

# What becomes of a planned action (the values of ``strategy.models.ActionStatus``).
ACTION_PLANNED = "planned"
ACTION_BLOCKED = "blocked"
ACTION_RESCHEDULED = "rescheduled"
ACTION_SENT_TO_OUTBOX = "sent_to_outbox"
ACTION_QUEUED = "queued"
ACTION_OVERFLOW = "overflow"

# Today's actions, fresh from the strategy or carried from an earlier date.
ACTION_COLUMNS: tuple[str, ...] = (
    "case_id",
    "step_id",
    "channel",
    "template",
    "queue",
    "priority",
    "minutes",
    "local_time",
    "valid_until",
    "reason",
    "version_id",
    "arm",
    "segment_id",
    "carried_from",
    "prior_at",
)

# The gate's answer for the planner, by the action's ``row``.
GATE_ANSWERS: Mapping[str, pl.DataType] = {
    "row": pl.Int64(),
    "allowed": pl.Boolean(),
    "rules": pl.List(pl.String()),
    "next_allowed_at": UTC_US,
}


class FrameContractError(ValueError):
    """A frame handed to the engine lacks a column or has the wrong type."""


def require(
    frame: pl.LazyFrame | pl.DataFrame, contract: Mapping[str, pl.DataType], name: str
) -> None:
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    missing = [c for c in contract if c not in schema]
    if missing:
        raise FrameContractError(f"{name}: missing column(s) {', '.join(missing)}")
    wrong = [
        f"{c} is {schema[c]}, expected {dtype}"
        for c, dtype in contract.items()
        if schema[c] != dtype and schema[c] != pl.Null
    ]
    if wrong:
        raise FrameContractError(f"{name}: {'; '.join(wrong)}")


def empty(contract: Mapping[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=dict(contract))
