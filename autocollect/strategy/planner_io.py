"""Frames for the planner, read in bulk for all open cases at once (``core.dbio.read_frame``).

* ``load_open_cases``: the cases open on the date with that date's loan state (from the daily
  snapshot, so that a past date plans from its own state), product, region, time zone.
* ``load_flags``/``load_triggers``: case flags active at the plan, plus the two derived from
  promises (``broken_promise``, ``promise_pending``); triggers that fired for the date.
* ``load_contacts``: the borrower's best valid mobile, e-mail and postal address.
* ``load_gate_events``: the gate's history for every open case, as the single gate's
  ``compliance.services.case_events`` gathers it for one case: the contacts of all the
  borrower's cases (31 days, plus refusals and wrong numbers whatever their age, plus the last
  conversation with the borrower before that), holds and releases, opt-outs (from
  2000-01-01), agreed hours and lost-contact findings ("unreachable").

Times travel as integer microseconds since the epoch (exact on both databases) and become UTC
``Datetime`` columns here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
from django.db import connection

from autocollect.core.dbio import is_postgres, read_frame, temporary_ids
from autocollect.engine.frames import EVENTS, UTC_US
from autocollect.strategy.definitions import MAX_VALID_DAYS

BUSINESS_ZONE = ZoneInfo("Asia/Shanghai")
# Mirrors compliance.services: the longest look-back of any counting rule is seven days; a
# month leaves room for day boundaries in any zone. Opt-outs hold from the beginning.
HISTORY_WINDOW = timedelta(days=31)
BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)
# Interaction outcomes of the outbox (a send, not a call result) as the gate counts them: a
# message delivered or a robot call put through reached the borrower (the strictest reading
# for the per-day limits and waiting periods); a failed send is an unanswered attempt.
GATE_OUTCOME = {"sent": "answered", "delivered": "answered", "failed": "no_answer"}
CALLABLE_KINDS = ("mobile", "email", "address")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def us(instant: datetime) -> int:
    """Microseconds since the epoch of an aware instant."""
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def day_start(day: date, zone: ZoneInfo = BUSINESS_ZONE) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _us_sql(column: str) -> str:
    """SQL for a timestamp column as integer microseconds since the epoch (NULL stays NULL)."""
    if is_postgres():
        return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"
    # Django stores SQLite datetimes as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]".
    return (
        f"(CAST(strftime('%%s', {column}) AS INTEGER) * 1000000 + "
        f"CASE WHEN length({column}) > 19 THEN CAST(substr({column}, 21, 6) AS INTEGER) "
        "ELSE 0 END)"
    )


def _time_us_sql(column: str) -> str:
    """SQL for a time-of-day column as microseconds since midnight."""
    if is_postgres():
        return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"
    return (
        f"((CAST(substr({column}, 1, 2) AS INTEGER) * 3600 + "
        f"CAST(substr({column}, 4, 2) AS INTEGER) * 60 + "
        f"CAST(substr({column}, 7, 2) AS INTEGER)) * 1000000 + "
        f"CASE WHEN length({column}) > 8 THEN CAST(substr({column}, 10, 6) AS INTEGER) "
        "ELSE 0 END)"
    )


def _to_utc(*columns: str) -> list[pl.Expr]:
    return [pl.col(c).cast(pl.Datetime("us")).dt.replace_time_zone("UTC") for c in columns]


def _to_time(*columns: str) -> list[pl.Expr]:
    return [(pl.col(c) * 1000).cast(pl.Time) for c in columns]


# --- scope ---------------------------------------------------------------------------------

OPEN_ON = "c.opened_on <= %s AND (c.status = 'open' OR c.closed_on > %s)"


@dataclass(frozen=True)
class OpenScope:
    """A temporary table of the cases open on the date (``open_cases``: case_id)."""

    open_cases: str


@dataclass(frozen=True)
class ReachScope:
    """Temporary tables of the borrowers the plan may contact (``borrowers``: id) and every
    case of theirs, open or not (``cases``: case_id, borrower_id): the gate's limits are per
    debtor, so the history of all their cases counts."""

    borrowers: str
    cases: str


def _drop(*tables: str) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _analyze(*tables: str) -> None:
    if is_postgres():
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


@contextmanager
def open_scope(as_of: date) -> Iterator[OpenScope]:
    """Built in the database (no round trip); dropped on exit."""
    table = "_plan_open"
    _drop(table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE {table} AS
            SELECT c.id AS case_id FROM cases_collectioncase c WHERE {OPEN_ON}
            """,  # noqa: S608 - fixed SQL
            [as_of, as_of],
        )
        cursor.execute(f"CREATE INDEX {table}_case ON {table} (case_id)")
    _analyze(table)
    try:
        yield OpenScope(open_cases=table)
    finally:
        _drop(table)


@contextmanager
def reach_scope(borrower_ids: list[int]) -> Iterator[ReachScope]:
    cases = "_plan_cases"
    with temporary_ids("_plan_borrowers", borrower_ids) as borrowers:
        _drop(cases)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                CREATE TEMPORARY TABLE {cases} AS
                SELECT c.id AS case_id, l.borrower_id
                FROM cases_collectioncase c JOIN portfolio_loan l ON l.id = c.loan_id
                JOIN {borrowers} b ON b.id = l.borrower_id
                """  # noqa: S608 - fixed SQL
            )
            cursor.execute(f"CREATE INDEX {cases}_case ON {cases} (case_id)")
        _analyze(cases)
        try:
            yield ReachScope(borrowers=borrowers, cases=cases)
        finally:
            _drop(cases)


# --- cases ----------------------------------------------------------------------------------

OPEN_CASES = {
    "case_id": pl.Int64(),
    "loan_id": pl.Int64(),
    "borrower_id": pl.Int64(),
    "opened_on": pl.Date(),
    "dpd": pl.Int64(),
    "bucket": pl.String(),
    "overdue_total_fen": pl.Int64(),
    "movement": pl.String(),
    "product": pl.String(),
    "region": pl.String(),
    "timezone": pl.String(),
}


def load_open_cases(as_of: date) -> pl.DataFrame:
    """Cases open on ``as_of`` (opened by then, not closed by then) with that date's snapshot."""
    sql = """
        SELECT c.id, c.loan_id, l.borrower_id, c.opened_on, s.dpd, s.bucket,
               s.overdue_total_fen, s.movement, p.code, l.province, l.timezone
        FROM cases_collectioncase c
        JOIN delinquency_dailysnapshot s ON s.loan_id = c.loan_id AND s.as_of = %s
        JOIN portfolio_loan l ON l.id = c.loan_id
        JOIN portfolio_product p ON p.id = l.product_id
        WHERE c.opened_on <= %s AND (c.status = %s OR c.closed_on > %s)
    """
    return read_frame(sql, [as_of, as_of, "open", as_of], OPEN_CASES).sort("case_id")


def load_flags(sc: OpenScope, as_of: date, known_at: datetime) -> pl.DataFrame:
    """(case_id, flags: list) for open cases with any flag active at ``known_at``, plus the
    promise flags as of ``as_of``: ``broken_promise`` when the case's latest promise was judged
    broken, ``promise_pending`` while it awaits judgement."""
    known = us(known_at)
    set_flags = read_frame(
        f"""
        SELECT f.case_id, f.kind FROM cases_caseflag f
        JOIN {sc.open_cases} t ON t.case_id = f.case_id
        WHERE {_us_sql("f.set_at")} <= %s
          AND (f.cleared_at IS NULL OR {_us_sql("f.cleared_at")} > %s)
        """,  # noqa: S608 - temporary table name from code
        [known, known],
        {"case_id": pl.Int64(), "flag": pl.String()},
    )
    promises = read_frame(
        f"""
        SELECT p.case_id, p.id, p.promised_on, p.status, p.evaluated_on
        FROM cases_promise p JOIN {sc.open_cases} t ON t.case_id = p.case_id
        WHERE p.promised_on <= %s
        """,  # noqa: S608 - temporary table name from code
        [as_of],
        {
            "case_id": pl.Int64(),
            "promise_id": pl.Int64(),
            "promised_on": pl.Date(),
            "status": pl.String(),
            "evaluated_on": pl.Date(),
        },
    )
    latest = (
        promises.sort("case_id", "promised_on", "promise_id")
        .unique("case_id", keep="last")
        .with_columns(
            decided=pl.col("evaluated_on").is_not_null()
            & (pl.col("evaluated_on") <= pl.lit(as_of, dtype=pl.Date))
        )
    )
    promise_flags = pl.concat(
        [
            latest.filter(pl.col("decided") & (pl.col("status") == "broken")).select(
                "case_id", pl.lit("broken_promise").alias("flag")
            ),
            latest.filter(~pl.col("decided")).select(
                "case_id", pl.lit("promise_pending").alias("flag")
            ),
        ]
    )
    return (
        pl.concat([set_flags, promise_flags])
        .unique()
        .group_by("case_id")
        .agg(pl.col("flag").sort().alias("flags"))
    )


def load_triggers(sc: OpenScope, as_of: date, cases: pl.DataFrame) -> pl.DataFrame:
    """(case_id, trigger) that fired for ``as_of``: promises judged broken or partly kept that
    day, repayment arrangements judged broken that day, promises falling due that day, a roll
    to a worse bucket that day, the case opening that day, and flags set on the previous
    business day (the day's work feeds the next plan).
    """
    judged = read_frame(
        f"""
        SELECT p.case_id, p.status FROM cases_promise p
        JOIN {sc.open_cases} t ON t.case_id = p.case_id
        WHERE p.evaluated_on = %s AND p.status IN (%s, %s)
        """,  # noqa: S608 - temporary table name from code
        [as_of, "broken", "partly_kept"],
        {"case_id": pl.Int64(), "status": pl.String()},
    ).select(
        "case_id",
        pl.when(pl.col("status") == "broken")
        .then(pl.lit("promise_broken"))
        .otherwise(pl.lit("promise_partly_kept"))
        .alias("trigger"),
    )
    # The cycle of ``as_of`` judges arrangements (arrangements_evaluate) and closes a broken
    # one with that date.
    broken_arrangements = read_frame(
        f"""
        SELECT DISTINCT a.case_id FROM arrangements_arrangement a
        JOIN {sc.open_cases} t ON t.case_id = a.case_id
        WHERE a.state = %s AND a.closed_on = %s
        """,  # noqa: S608 - temporary table name from code
        ["broken", as_of],
        {"case_id": pl.Int64()},
    ).select("case_id", pl.lit("arrangement_broken").alias("trigger"))
    due = read_frame(
        f"""
        SELECT p.case_id FROM cases_promise p
        JOIN {sc.open_cases} t ON t.case_id = p.case_id
        WHERE p.due_on = %s AND p.promised_on <= %s
          AND (p.status = %s OR p.evaluated_on >= %s)
        """,  # noqa: S608 - temporary table name from code
        [as_of, as_of, "pending", as_of],
        {"case_id": pl.Int64()},
    ).select("case_id", pl.lit("promise_due").alias("trigger"))
    lo, hi = us(day_start(as_of - timedelta(days=1))), us(day_start(as_of))
    flagged = read_frame(
        f"""
        SELECT f.case_id, f.kind FROM cases_caseflag f
        JOIN {sc.open_cases} t ON t.case_id = f.case_id
        WHERE {_us_sql("f.set_at")} >= %s AND {_us_sql("f.set_at")} < %s
        """,  # noqa: S608 - temporary table name from code
        [lo, hi],
        {"case_id": pl.Int64(), "trigger": pl.String()},
    )
    rolled = cases.filter(pl.col("movement") == "rolled_forward").select(
        "case_id", pl.lit("rolled_forward").alias("trigger")
    )
    opened = cases.filter(pl.col("opened_on") == pl.lit(as_of, dtype=pl.Date)).select(
        "case_id", pl.lit("case_opened").alias("trigger")
    )
    return (
        pl.concat([judged, broken_arrangements, due, flagged, rolled, opened])
        .unique()
        .sort("case_id", "trigger")
    )


# --- contact points -------------------------------------------------------------------------

CONTACTS = {
    "borrower_id": pl.Int64(),
    **{kind: pl.String() for kind in CALLABLE_KINDS},
    **{f"{kind}_sealed": pl.String() for kind in CALLABLE_KINDS},
}


def load_contacts(sc: ReachScope, events: pl.DataFrame) -> pl.DataFrame:
    """The borrower's best mobile, e-mail and address: valid before unverified, newest first,
    never one marked invalid or found to be a wrong number. Each as its blind index (``mobile``
    …, what the gate compares, docs/privacy.md) and its sealed value (``mobile_sealed`` …):
    only the messages actually sent open theirs."""
    points = read_frame(
        f"""
        SELECT cp.borrower_id, cp.id, cp.kind, cp.value_index, cp.value, cp.status
        FROM portfolio_contactpoint cp JOIN {sc.borrowers} t ON t.id = cp.borrower_id
        WHERE cp.owner = %s AND cp.status <> %s AND cp.kind IN (%s, %s, %s)
        """,  # noqa: S608 - temporary table name from code
        ["borrower", "invalid", *CALLABLE_KINDS],
        {
            "borrower_id": pl.Int64(),
            "contact_id": pl.Int64(),
            "kind": pl.String(),
            "value": pl.String(),
            "sealed": pl.String(),
            "status": pl.String(),
        },
    )
    wrong = (
        events.filter((pl.col("type") == "contact") & (pl.col("outcome") == "wrong_number"))
        .select("borrower_id", pl.col("number").alias("value"))
        .unique()
    )
    best = (
        points.join(wrong, on=["borrower_id", "value"], how="anti")
        .sort(
            "borrower_id",
            "kind",
            pl.col("status") != "valid",
            pl.col("contact_id"),
            descending=[False, False, False, True],
        )
        .unique(["borrower_id", "kind"], keep="first")
    )
    wide = best.pivot(on="kind", index="borrower_id", values=["value", "sealed"])
    # Pivoting two value columns names them value_<kind> and sealed_<kind>.
    renames = {f"value_{kind}": kind for kind in CALLABLE_KINDS} | {
        f"sealed_{kind}": f"{kind}_sealed" for kind in CALLABLE_KINDS
    }
    wide = wide.rename({k: v for k, v in renames.items() if k in wide.columns})
    for name in CONTACTS:
        if name not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    return wide.select(list(CONTACTS)).cast(pl.Schema(CONTACTS))


# --- gate events ----------------------------------------------------------------------------

BORROWER_EVENTS = {"borrower_id": pl.Int64(), **EVENTS}


def _fill(frame: pl.DataFrame, event_type: str) -> pl.DataFrame:
    """Complete a partial event frame to ``BORROWER_EVENTS`` (missing columns null)."""
    frame = frame.with_columns(pl.lit(event_type).alias("type"))
    missing = [
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in BORROWER_EVENTS.items()
        if name not in frame.columns
    ]
    return (
        frame.with_columns(missing).select(list(BORROWER_EVENTS)).cast(pl.Schema(BORROWER_EVENTS))
    )


def load_gate_events(sc: ReachScope, *, since: datetime, until: datetime) -> pl.DataFrame:
    """Every gate event of the open cases' borrowers from ``since`` (older ones where they
    matter) through ``until``, per borrower (``BORROWER_EVENTS``, ``case_id`` null: the caller
    attaches them to the borrower's open cases with ``events_for_cases``)."""
    lo, hi = us(since), us(until)
    at = _us_sql("i.at")
    contacts = read_frame(
        f"""
        SELECT t.borrower_id, {at}, i.channel, i.party, i.number_index, i.outcome
        FROM cases_interaction i JOIN {sc.cases} t ON t.case_id = i.case_id
        WHERE {at} <= %s AND ({at} >= %s OR i.outcome IN (%s, %s))
        """,  # noqa: S608 - temporary table name from code
        [hi, lo, "refused", "wrong_number"],
        {
            "borrower_id": pl.Int64(),
            "at": pl.Int64(),
            "channel": pl.String(),
            "party": pl.String(),
            "number": pl.String(),
            "outcome": pl.String(),
        },
    )
    last_conversation = read_frame(
        f"""
        SELECT t.borrower_id, MAX({at})
        FROM cases_interaction i JOIN {sc.cases} t ON t.case_id = i.case_id
        WHERE i.party = %s AND i.outcome = %s AND {at} < %s
        GROUP BY t.borrower_id
        """,  # noqa: S608 - temporary table name from code
        ["borrower", "answered", lo],
        {"borrower_id": pl.Int64(), "at": pl.Int64()},
    ).with_columns(
        # Only "the borrower was reached" matters this far back (no counting rule looks past
        # seven days): it ends an earlier "unreachable" finding.
        channel=pl.lit("call"),
        party=pl.lit("borrower"),
        number=pl.lit("-"),
        outcome=pl.lit("answered"),
    )
    contact_events = (
        pl.concat([last_conversation.select(contacts.columns), contacts])
        .with_columns(
            pl.col("outcome").replace(GATE_OUTCOME),
            pl.col("at").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        )
        .pipe(_fill, "contact")
    )

    holds = read_frame(
        f"""
        SELECT t.borrower_id, {_us_sql("h.placed_at")}, {_us_sql("h.released_at")}, h.reason
        FROM compliance_contacthold h JOIN {sc.cases} t ON t.case_id = h.case_id
        WHERE {_us_sql("h.placed_at")} <= %s
        """,  # noqa: S608 - temporary table name from code
        [hi],
        {
            "borrower_id": pl.Int64(),
            "placed_us": pl.Int64(),
            "released_us": pl.Int64(),
            "reason": pl.String(),
        },
    )
    hold_events = _fill(
        holds.select("borrower_id", "reason", *_to_utc("placed_us")).rename({"placed_us": "at"}),
        "hold",
    )
    release_events = _fill(
        holds.filter(pl.col("released_us") <= hi)
        .select("borrower_id", "reason", *_to_utc("released_us"))
        .rename({"released_us": "at"}),
        "release",
    )

    json_length = "jsonb_array_length" if is_postgres() else "json_array_length"
    as_text = "cp.opted_out_channels::text" if is_postgres() else "cp.opted_out_channels"
    opted = read_frame(
        f"""
        SELECT cp.borrower_id, {as_text}
        FROM portfolio_contactpoint cp JOIN {sc.borrowers} t ON t.id = cp.borrower_id
        WHERE {json_length}(cp.opted_out_channels) > 0
        """,  # noqa: S608 - temporary table name from code
        [],
        {"borrower_id": pl.Int64(), "channels": pl.String()},
    )
    opt_out_events = _fill(
        opted.select(
            "borrower_id",
            pl.col("channels").str.json_decode(pl.List(pl.String)).alias("channel"),
            pl.lit(BEGINNING, dtype=UTC_US).alias("at"),
        ).explode("channel"),
        "opt_out",
    )

    consents = read_frame(
        f"""
        SELECT cc.borrower_id, {_us_sql("cc.recorded_at")}, {_time_us_sql("cc.start")},
               {_time_us_sql("cc.end")}
        FROM compliance_contactconsent cc JOIN {sc.borrowers} t ON t.id = cc.borrower_id
        WHERE {_us_sql("cc.recorded_at")} <= %s
        """,  # noqa: S608 - temporary table name from code
        [hi],
        {
            "borrower_id": pl.Int64(),
            "at": pl.Int64(),
            "start": pl.Int64(),
            "end": pl.Int64(),
        },
    )
    consent_events = _fill(
        consents.with_columns(*_to_utc("at"), *_to_time("start", "end")), "consent_hours"
    )

    lost = read_frame(
        f"""
        SELECT t.borrower_id, {_us_sql("f.set_at")}
        FROM cases_caseflag f JOIN {sc.cases} t ON t.case_id = f.case_id
        WHERE f.kind = %s AND {_us_sql("f.set_at")} <= %s
        """,  # noqa: S608 - temporary table name from code
        ["lost_contact", hi],
        {"borrower_id": pl.Int64(), "at": pl.Int64()},
    )
    unreachable_events = _fill(lost.with_columns(*_to_utc("at")), "unreachable")

    # The single gate lists events in this order before sorting by time (ties keep it).
    return pl.concat(
        [
            contact_events,
            hold_events.vstack(release_events).sort("at", maintain_order=True)
            if hold_events.height
            else release_events,
            opt_out_events,
            consent_events,
            unreachable_events,
        ]
    ).sort("borrower_id", "at", maintain_order=True)


def events_for_cases(events: pl.DataFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """Each borrower's events under each of the borrower's open cases (``EVENTS``)."""
    return (
        events.drop("case_id")
        .join(
            cases.select("borrower_id", "case_id"),
            on="borrower_id",
            how="inner",
            maintain_order="left",
        )
        .select(list(EVENTS))
        .sort("case_id", "at", maintain_order=True)
    )


# --- the plan's own history -----------------------------------------------------------------

CARRIED = {
    "carried_from": pl.Int64(),
    "case_id": pl.Int64(),
    "step_id": pl.String(),
    "status": pl.String(),
    "channel": pl.String(),
    "template": pl.String(),
    "queue_id": pl.Int64(),
    "priority": pl.Int64(),
    "minutes": pl.Int64(),
    "local_time_us": pl.Int64(),
    "scheduled_us": pl.Int64(),
    "valid_until": pl.Date(),
    "version_id": pl.Int64(),
    "segment_id": pl.String(),
    "arm": pl.String(),
    "due_on": pl.Date(),
}


def load_carried(sc: OpenScope, as_of: date) -> pl.DataFrame:
    """Actions of earlier dates left blocked, rescheduled or over capacity, still valid on
    ``as_of``, not yet taken up by an earlier plan, on cases open on ``as_of``: those due
    again by ``as_of`` (``due``) are carried; the others, moved to a later day, are only
    taken up when the same step falls due again today (it replaces them)."""
    sql = f"""
        SELECT pa.id, pa.case_id, pa.step, pa.status, pa.channel, pa.template, pa.queue_id,
               pa.priority, pa.minutes, {_time_us_sql("pa.local_time")},
               {_us_sql("pa.scheduled_at")}, pa.valid_until, pa.version_id, pa.segment, pa.arm,
               pa.due_on
        FROM strategy_plannedaction pa JOIN {sc.open_cases} t ON t.case_id = pa.case_id
        WHERE pa.status IN (%s, %s, %s) AND pa.due_on >= %s AND pa.due_on <= %s
          AND pa.as_of < %s AND pa.valid_until >= %s
          AND NOT EXISTS (
              SELECT 1 FROM strategy_plannedaction n
              WHERE n.carried_from_id = pa.id AND n.as_of < %s
          )
        ORDER BY pa.id
    """  # noqa: S608 - temporary table name from code
    # Valid on ``as_of`` means planned at most MAX_VALID_DAYS before it, and retried within
    # MAX_VALID_DAYS of that: the retry date lies in this window.
    window = timedelta(days=MAX_VALID_DAYS + 1)
    params = ["blocked", "rescheduled", "overflow", as_of - window, as_of + window]
    return read_frame(sql, [*params, as_of, as_of, as_of], CARRIED).with_columns(
        pl.col("template").replace("", None),
        (pl.col("local_time_us") * 1000).cast(pl.Time).alias("local_time"),
        (pl.col("due_on") <= pl.lit(as_of, dtype=pl.Date)).alias("due"),
    )


def load_previous_agents(sc: ReachScope, as_of: date, *, days: int = 60) -> pl.DataFrame:
    """(borrower_id, agent_id): the agent each borrower was last given, in the plans of the
    ``days`` before ``as_of``."""
    rows = read_frame(
        f"""
        SELECT pa.borrower_id, pa.agent_id, pa.as_of, pa.id
        FROM strategy_plannedaction pa JOIN {sc.borrowers} t ON t.id = pa.borrower_id
        WHERE pa.agent_id IS NOT NULL AND pa.as_of < %s AND pa.as_of >= %s
        """,  # noqa: S608 - temporary table name from code
        [as_of, as_of - timedelta(days=days)],
        {
            "borrower_id": pl.Int64(),
            "agent_id": pl.Int64(),
            "as_of": pl.Date(),
            "action_id": pl.Int64(),
        },
    )
    return (
        rows.sort("borrower_id", "as_of", "action_id")
        .unique("borrower_id", keep="last")
        .select("borrower_id", "agent_id")
    )


MESSAGE_FACTS = {
    "loan_id": pl.Int64(),
    "contract_no": pl.String(),
    "borrower_name": pl.String(),
    "oldest_due_on": pl.Date(),
}


def load_message_facts(loan_ids: list[int], as_of: date) -> pl.DataFrame:
    """What a message about a loan says: its contract number, the borrower's name and the due
    date of the oldest installment due before ``as_of`` still owing (null when none)."""
    if not loan_ids:
        return pl.DataFrame(schema=MESSAGE_FACTS)
    with temporary_ids("_plan_message_loans", loan_ids) as ids:
        return read_frame(
            f"""
            SELECT l.id, l.contract_no, b.name, d.oldest
            FROM portfolio_loan l JOIN {ids} t ON t.id = l.id
            JOIN portfolio_borrower b ON b.id = l.borrower_id
            LEFT JOIN (
                SELECT i.loan_id, MIN(i.due_on) AS oldest FROM portfolio_installment i
                JOIN {ids} t2 ON t2.id = i.loan_id
                WHERE i.owing AND i.due_on < %s GROUP BY i.loan_id
            ) d ON d.loan_id = l.id
            """,  # noqa: S608 - temporary table name from code
            [as_of],
            MESSAGE_FACTS,
        )


ASSIGNMENTS = {"case_id": pl.Int64(), "arm": pl.String()}


def load_assignments(sc: OpenScope, strategy_id: int, challenger_id: int) -> pl.DataFrame:
    return read_frame(
        f"""
        SELECT a.case_id, a.arm FROM strategy_armassignment a
        JOIN {sc.open_cases} t ON t.case_id = a.case_id
        WHERE a.strategy_id = %s AND a.challenger_id = %s
        """,  # noqa: S608 - temporary table name from code
        [strategy_id, challenger_id],
        ASSIGNMENTS,
    )


# --- case assignment ------------------------------------------------------------------------


def assign_cases(as_of: date) -> int:
    """Give each case the agent (and that agent's team, the queue's) of its first agent action
    planned to an agent on ``as_of`` (highest priority first, then step), in one statement
    over the date's written plan. Cases with no agent today keep the agent they had. Returns
    how many cases changed hands (object-level access follows these fields,
    docs/roles.md)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE cases_collectioncase
            SET assigned_agent_id = p.agent_id, assigned_team_id = p.team_id
            FROM (
                SELECT pa.case_id, pa.agent_id, q.team_id,
                       ROW_NUMBER() OVER (
                           PARTITION BY pa.case_id ORDER BY pa.priority DESC, pa.step
                       ) AS n
                FROM strategy_plannedaction pa
                LEFT JOIN accounts_workqueue q ON q.id = pa.queue_id
                WHERE pa.as_of = %s AND pa.agent_id IS NOT NULL
            ) p
            WHERE p.n = 1 AND cases_collectioncase.id = p.case_id
              AND (cases_collectioncase.assigned_agent_id IS DISTINCT FROM p.agent_id
                   OR cases_collectioncase.assigned_team_id IS DISTINCT FROM p.team_id)
            """,
            [as_of],
        )
        return max(cursor.rowcount, 0)
