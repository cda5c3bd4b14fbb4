"""The daily plan's frame work between loading and writing: today's actions from the strategy
and the carried ones, their planned moments, contact points, the gate's answers and what
becomes of each action. The strategy app's planner (``strategy.planner.plan_run``) loads the
frames, calls these in order and writes the result.

Pure Polars (no Django). Column names and the values of ``channel`` and ``status`` are in
``frames.py`` (``ACTION_COLUMNS``, ``GATE_ANSWERS``, ``AUTOMATED_CHANNELS``,
``CONTACT_CHANNELS``, ``ACTION_*``); the segments and steps come from ``segments.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from autocollect.engine import frames
from autocollect.engine.contact_time import wall_instants
from autocollect.engine.gating import gate_frame
from autocollect.engine.policy import Policy
from autocollect.engine.segments import (
    PATH_CASES,
    SEGMENT_CASES,
    STRINGS,
    assign_segments,
    due_steps,
)

# Which of the borrower's contact points each channel goes to.
ADDRESS_OF = {
    "sms": "mobile",
    "robot_call": "mobile",
    "call": "mobile",
    "email": "email",
    "letter": "address",
    "visit": "address",
}
NO_CONTACT_POINT = "strategy.no_contact_point"
ONE_PER_DAY = "strategy.one_per_channel_per_day"


# --- today's actions ------------------------------------------------------------------------


def _fresh_actions(
    cases: pl.DataFrame,
    arms: pl.DataFrame,
    flags: pl.DataFrame,
    triggers: pl.DataFrame,
    *,
    rules: pl.DataFrame,
    steps: pl.DataFrame,
    as_of: date,
) -> tuple[pl.DataFrame, int]:
    """The steps due today for each case's segment and path; and how many cases have a
    segment."""
    segment_cases = (
        cases.join(arms, on="case_id", how="left")
        .join(flags, on="case_id", how="left")
        .with_columns(
            # No risk model yet: a segment conditioned on a risk band matches no case.
            pl.lit(None, dtype=pl.String).alias("risk_band"),
            pl.col("flags").fill_null(pl.lit([], dtype=STRINGS)),
        )
    )
    segmented = assign_segments(segment_cases.select(list(SEGMENT_CASES)), rules)
    with_path = segment_cases.join(segmented, on="case_id", how="left").filter(
        pl.col("path_id").is_not_null()
    )
    due = due_steps(with_path.select(list(PATH_CASES)), steps, triggers, as_of=as_of)
    fresh = due.join(
        with_path.select("case_id", "version_id", "arm", "segment_id"), on="case_id", how="left"
    ).select(
        "case_id",
        "step_id",
        "channel",
        "template",
        "queue",
        "priority",
        "minutes",
        "local_time",
        (pl.lit(as_of, dtype=pl.Date) + pl.duration(days=pl.col("valid_days"))).alias(
            "valid_until"
        ),
        "reason",
        "version_id",
        "arm",
        "segment_id",
        pl.lit(None, dtype=frames.UTC_US).alias("prior_at"),
    )
    return fresh, segmented.filter(pl.col("path_id").is_not_null()).height


def _carried_actions(
    fresh: pl.DataFrame, carried: pl.DataFrame, queue_codes: Mapping[int, str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(``fresh`` naming the carried action each replaces, the carried actions due today that
    no fresh one replaces)."""
    # A step due again today replaces the same step waiting from an earlier date (even one
    # moved to a later day) and names it: it is taken up. Of one step waiting twice, the
    # latest counts.
    waiting = carried.sort("carried_from").unique(["case_id", "step_id"], keep="last")
    fresh = fresh.join(
        waiting.select("case_id", "step_id", "carried_from"), on=["case_id", "step_id"], how="left"
    )
    taken = (
        carried.filter(pl.col("due"))
        .sort("carried_from")
        .unique(["case_id", "step_id"], keep="last")
        .join(fresh.select("case_id", "step_id"), on=["case_id", "step_id"], how="anti")
    )
    carried_actions = taken.select(
        "case_id",
        "step_id",
        "channel",
        "template",
        pl.col("queue_id")
        .replace_strict(dict(queue_codes), default=None, return_dtype=pl.String)
        .alias("queue"),
        "priority",
        "minutes",
        "local_time",
        "valid_until",
        pl.lit("carried").alias("reason"),
        "version_id",
        "arm",
        "segment_id",
        "carried_from",
        pl.col("scheduled_us")
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
        .alias("prior_at"),
    )
    return fresh, carried_actions


def due_actions(
    cases: pl.DataFrame,
    arms: pl.DataFrame,
    flags: pl.DataFrame,
    triggers: pl.DataFrame,
    carried: pl.DataFrame,
    *,
    rules: pl.DataFrame,
    steps: pl.DataFrame,
    queue_codes: Mapping[int, str],
    as_of: date,
) -> tuple[pl.DataFrame, int]:
    """Today's actions (``ACTION_COLUMNS``): the steps due for each case's segment and path
    (``rules``: ``SEGMENT_RULES``, ``steps``: ``STEPS`` of the strategy versions), and the
    actions carried from earlier dates (one per case and step); and how many cases have a
    segment."""
    fresh, segmented = _fresh_actions(
        cases, arms, flags, triggers, rules=rules, steps=steps, as_of=as_of
    )
    fresh, carried_actions = _carried_actions(fresh, carried, queue_codes)
    columns = list(frames.ACTION_COLUMNS)
    return pl.concat([fresh.select(columns), carried_actions.select(columns)]), segmented


# --- times ----------------------------------------------------------------------------------


def wall_to_utc(day: date, wall: time, zone: str) -> datetime:
    """The instant the wall clock of ``zone`` reads ``day wall`` (the earlier one when the
    hour repeats; when the clocks skip it, the instant they jump past it)."""
    tod = ((wall.hour * 60 + wall.minute) * 60 + wall.second) * 1_000_000 + wall.microsecond
    return wall_instants(ZoneInfo(zone), day, tod)[0]


def with_planned_at(actions: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """``planned_at``: the step's wall-clock time on ``as_of`` in the debtor's zone (UTC), and
    ``check_at``: that, or later when the gate moved a carried action to a later moment."""
    combos = actions.select("timezone", "local_time").unique()
    table = pl.DataFrame(
        [(zone, wall, wall_to_utc(as_of, wall, zone)) for zone, wall in combos.iter_rows()],
        schema={"timezone": pl.String, "local_time": pl.Time, "planned_at": frames.UTC_US},
        orient="row",
    )
    return actions.join(
        table, on=["timezone", "local_time"], how="left", maintain_order="left"
    ).with_columns(pl.max_horizontal("planned_at", "prior_at").alias("check_at"))


def with_local_date(frame: pl.DataFrame, column: str, alias: str) -> pl.DataFrame:
    """``alias``: the debtor-local date of the instant ``column`` (null stays null)."""
    parts = [
        part.with_columns(pl.col(column).dt.convert_time_zone(str(zone)).dt.date().alias(alias))
        for (zone,), part in frame.group_by(["timezone"], maintain_order=True)
    ]
    if not parts:
        return frame.with_columns(pl.lit(None, dtype=pl.Date).alias(alias))
    return pl.concat(parts)


# --- contact points and the gate ------------------------------------------------------------


def with_contact_points(actions: pl.DataFrame, contacts: pl.DataFrame) -> pl.DataFrame:
    """``number``: the blind index of the contact point each contact goes to (null when the
    borrower has none), which the gate compares; ``sealed``: its encrypted value, opened only
    for what is sent (docs/privacy.md); ``_nth``: an automated contact's place among the
    borrower's automated contacts on its channel today, highest priority first. The gate
    decides each check against history, not against the day's other checks, so a machine sends
    one per channel a day (``ONE_PER_DAY``); people's work for one borrower goes to one agent,
    who is checked at each call."""
    kind = pl.col("channel").replace_strict(ADDRESS_OF, default=None, return_dtype=pl.String)
    with_number = actions.join(contacts, on="borrower_id", how="left").with_columns(
        pl.when(kind == "mobile")
        .then(pl.col("mobile"))
        .when(kind == "email")
        .then(pl.col("email"))
        .when(kind == "address")
        .then(pl.col("address"))
        .alias("number"),
        pl.when(kind == "mobile")
        .then(pl.col("mobile_sealed"))
        .when(kind == "email")
        .then(pl.col("email_sealed"))
        .when(kind == "address")
        .then(pl.col("address_sealed"))
        .alias("sealed"),
    )
    machine = (
        pl.col("channel").is_in(list(frames.AUTOMATED_CHANNELS)) & pl.col("number").is_not_null()
    )
    order = (pl.lit(100, dtype=pl.Int64) - pl.col("priority")) * 1_000_000_000 + pl.col("row")
    return with_number.with_columns(
        pl.when(machine)
        .then(order.rank("ordinal").over(["borrower_id", "channel"]).cast(pl.Int64))
        .otherwise(pl.lit(1, dtype=pl.Int64))
        .alias("_nth")
    )


def gate(actions: pl.DataFrame, events: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """``GATE_ANSWERS`` for the day's first contact per borrower and channel, each decided with
    the pack's overrides for the loan's product and region."""
    checks = actions.filter(
        pl.col("channel").is_in(list(frames.CONTACT_CHANNELS))
        & pl.col("number").is_not_null()
        & (pl.col("_nth") == 1)
    ).select(
        "case_id",
        pl.col("row").alias("check_id"),
        pl.col("check_at").alias("at"),
        "timezone",
        "channel",
        pl.lit("borrower").alias("party"),
        "number",
        # People are checked again, with their own authorisation, when they act; the planner
        # gives contact work only to authorised agents.
        pl.lit(True).alias("agent_authorised"),
        "product",
        "region",
    )
    parts = [pl.DataFrame(schema=dict(frames.GATE_ANSWERS))]
    # One gate run per distinct rule set, not per (product, region): most regions have no
    # override of their own and share the pack's rules (the same tuple), and each run of the
    # vectorised gate has a fixed cost.
    contexts: dict[int, Policy] = {}
    pairs = checks.select("product", "region").unique(maintain_order=True)
    keys = []
    for product, region in pairs.iter_rows():
        context = policy.for_context(product=str(product), region=str(region))
        contexts.setdefault(id(context.rules), context)
        keys.append(id(context.rules))
    keyed = checks.join(
        pairs.with_columns(pl.Series("_rules", keys, dtype=pl.Int64)),
        on=["product", "region"],
        how="left",
        nulls_equal=True,
    )
    for (key,), group in keyed.group_by(["_rules"], maintain_order=True):
        context = contexts[int(key)]
        group_events = events.join(group.select("case_id").unique(), on="case_id", how="semi")
        decided = gate_frame(context, group.select(list(frames.CHECKS)), group_events)
        parts.append(
            decided.select(
                pl.col("check_id").alias("row"), "allowed", "rules", "next_allowed_at"
            ).cast(pl.Schema(frames.GATE_ANSWERS))
        )
    return pl.concat(parts)


def decide(actions: pl.DataFrame, answers: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Apply the gate's answers. ``_go``: goes ahead today at ``scheduled_at`` (``moved`` when
    the gate put it later the same day); otherwise ``status`` blocked (no contact point, or a
    block with no end: asked again tomorrow) or rescheduled (to ``due_on``, the local date of
    the next allowed moment; or tomorrow for a second contact on a channel the same day)."""
    next_day = as_of + timedelta(days=1)
    frame = with_local_date(
        actions.join(answers, on="row", how="left"), "next_allowed_at", "_next_on"
    )
    contact = pl.col("channel").is_in(list(frames.CONTACT_CHANNELS))
    no_point = contact & pl.col("number").is_null()
    second = contact & pl.col("number").is_not_null() & (pl.col("_nth") > 1)
    blocked = contact & (pl.col("allowed") == False)  # noqa: E712 - a column, not a bool
    endless = blocked & pl.col("next_allowed_at").is_null()
    later = blocked & pl.col("next_allowed_at").is_not_null()
    today = later & (pl.col("_next_on") == pl.lit(as_of, dtype=pl.Date))
    return frame.with_columns(
        (~(no_point | second | endless | (later & ~today))).alias("_go"),
        today.alias("moved"),
        pl.when(no_point | endless)
        .then(pl.lit(frames.ACTION_BLOCKED))
        .when(second | (later & ~today))
        .then(pl.lit(frames.ACTION_RESCHEDULED))
        .otherwise(pl.lit(frames.ACTION_PLANNED))
        .alias("status"),
        pl.when(no_point)
        .then(pl.lit([NO_CONTACT_POINT], dtype=STRINGS))
        .when(second)
        .then(pl.lit([ONE_PER_DAY], dtype=STRINGS))
        .otherwise(pl.col("rules").fill_null(pl.lit([], dtype=STRINGS)))
        .alias("rules"),
        pl.when(later)
        .then(pl.col("next_allowed_at"))
        .when(no_point | second | endless)
        .then(pl.lit(None, dtype=frames.UTC_US))
        .otherwise(pl.col("check_at"))
        .alias("scheduled_at"),
        pl.when(second | endless)
        .then(pl.lit(next_day, dtype=pl.Date))
        .when(later & ~today)
        .then(pl.col("_next_on"))
        .otherwise(pl.lit(None, dtype=pl.Date))
        .alias("due_on"),
    )


def settle(
    actions: pl.DataFrame, sent: pl.DataFrame, assigned: pl.DataFrame, as_of: date
) -> pl.DataFrame:
    """Final status of the actions that went ahead: sent to the outbox (or blocked when the
    message could not be made), queued to an agent, or overflow (carried to tomorrow)."""
    next_day = as_of + timedelta(days=1)
    go = pl.col("_go")
    automated = pl.col("outbox_id").is_not_null() | pl.col("problem").is_not_null()
    frame = (
        actions.join(sent, on="row", how="left")
        .join(assigned, on="row", how="left")
        .with_columns(
            (go & automated & pl.col("outbox_id").is_null()).alias("_unsendable"),
            (go & ~automated & pl.col("agent_id").is_null()).alias("_overflow"),
        )
    )
    return frame.with_columns(
        pl.when(go & pl.col("outbox_id").is_not_null())
        .then(pl.lit(frames.ACTION_SENT_TO_OUTBOX))
        .when(pl.col("_unsendable"))
        .then(pl.lit(frames.ACTION_BLOCKED))
        .when(go & pl.col("agent_id").is_not_null())
        .then(pl.lit(frames.ACTION_QUEUED))
        .when(pl.col("_overflow"))
        .then(pl.lit(frames.ACTION_OVERFLOW))
        .otherwise(pl.col("status"))
        .alias("status"),
        pl.when(pl.col("_unsendable"))
        .then(pl.col("problem"))
        .otherwise(pl.col("rules"))
        .alias("rules"),
        pl.when(pl.col("_overflow"))
        .then(pl.lit(next_day, dtype=pl.Date))
        .otherwise(pl.col("due_on"))
        .alias("due_on"),
        pl.when(pl.col("_overflow") | pl.col("_unsendable"))
        .then(pl.lit(None, dtype=frames.UTC_US))
        .otherwise(pl.col("scheduled_at"))
        .alias("scheduled_at"),
    )
