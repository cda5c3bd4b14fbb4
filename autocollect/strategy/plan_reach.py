"""What the planner reads about the borrowers it may contact (``plan_db.ReachScope``).

* ``load_contacts``: the borrower's best valid mobile, e-mail and postal address.
* ``load_gate_events``: the gate's history for every open case, as the single gate's
  ``compliance.services.case_events`` gathers it for one case: the contacts of all the
  borrower's cases (31 days, plus refusals and wrong numbers whatever their age, plus the last
  conversation with the borrower before that), holds and releases, opt-outs (from
  2000-01-01), agreed hours and lost-contact findings ("unreachable").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from autocollect.core.dbio import is_postgres, read_frame
from autocollect.engine.frames import EVENTS, UTC_US
from autocollect.strategy.plan_db import ReachScope, time_us_sql, to_time, to_utc, us, us_sql

# Mirrors compliance.services: the longest look-back of any counting rule is seven days; a
# month leaves room for day boundaries in any zone. Opt-outs hold from the beginning.
HISTORY_WINDOW = timedelta(days=31)
BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)
# Interaction outcomes of the outbox (a send, not a call result) as the gate counts them: a
# message delivered or a robot call put through reached the borrower (the strictest reading
# for the per-day limits and waiting periods); a failed send is an unanswered attempt.
GATE_OUTCOME = {"sent": "answered", "delivered": "answered", "failed": "no_answer"}
CALLABLE_KINDS = ("mobile", "email", "address")


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
    # The single gate lists events in this order before sorting by time (ties keep it).
    return pl.concat(
        [
            _contact_events(sc, lo, hi),
            _hold_events(sc, hi),
            _opt_out_events(sc),
            _consent_events(sc, hi),
            _unreachable_events(sc, hi),
        ]
    ).sort("borrower_id", "at", maintain_order=True)


def _contact_events(sc: ReachScope, lo: int, hi: int) -> pl.DataFrame:
    """Contacts from ``lo`` through ``hi``, refusals and wrong numbers whatever their age, and
    the last conversation with the borrower before ``lo``."""
    at = us_sql("i.at")
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
    return (
        pl.concat([last_conversation.select(contacts.columns), contacts])
        .with_columns(
            pl.col("outcome").replace(GATE_OUTCOME),
            pl.col("at").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        )
        .pipe(_fill, "contact")
    )


def _hold_events(sc: ReachScope, hi: int) -> pl.DataFrame:
    """Holds placed by ``hi`` and their releases by then, in time order."""
    holds = read_frame(
        f"""
        SELECT t.borrower_id, {us_sql("h.placed_at")}, {us_sql("h.released_at")}, h.reason
        FROM compliance_contacthold h JOIN {sc.cases} t ON t.case_id = h.case_id
        WHERE {us_sql("h.placed_at")} <= %s
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
        holds.select("borrower_id", "reason", *to_utc("placed_us")).rename({"placed_us": "at"}),
        "hold",
    )
    release_events = _fill(
        holds.filter(pl.col("released_us") <= hi)
        .select("borrower_id", "reason", *to_utc("released_us"))
        .rename({"released_us": "at"}),
        "release",
    )
    if not hold_events.height:
        return release_events
    return hold_events.vstack(release_events).sort("at", maintain_order=True)


def _opt_out_events(sc: ReachScope) -> pl.DataFrame:
    """Each channel a contact point opted out of, as an opt-out from the beginning."""
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
    return _fill(
        opted.select(
            "borrower_id",
            pl.col("channels").str.json_decode(pl.List(pl.String)).alias("channel"),
            pl.lit(BEGINNING, dtype=UTC_US).alias("at"),
        ).explode("channel"),
        "opt_out",
    )


def _consent_events(sc: ReachScope, hi: int) -> pl.DataFrame:
    """Hours the borrower agreed to be contacted in, recorded by ``hi``."""
    consents = read_frame(
        f"""
        SELECT cc.borrower_id, {us_sql("cc.recorded_at")}, {time_us_sql("cc.start")},
               {time_us_sql("cc.end")}
        FROM compliance_contactconsent cc JOIN {sc.borrowers} t ON t.id = cc.borrower_id
        WHERE {us_sql("cc.recorded_at")} <= %s
        """,  # noqa: S608 - temporary table name from code
        [hi],
        {
            "borrower_id": pl.Int64(),
            "at": pl.Int64(),
            "start": pl.Int64(),
            "end": pl.Int64(),
        },
    )
    return _fill(consents.with_columns(*to_utc("at"), *to_time("start", "end")), "consent_hours")


def _unreachable_events(sc: ReachScope, hi: int) -> pl.DataFrame:
    """Lost-contact findings set by ``hi``."""
    lost = read_frame(
        f"""
        SELECT t.borrower_id, {us_sql("f.set_at")}
        FROM cases_caseflag f JOIN {sc.cases} t ON t.case_id = f.case_id
        WHERE f.kind = %s AND {us_sql("f.set_at")} <= %s
        """,  # noqa: S608 - temporary table name from code
        ["lost_contact", hi],
        {"borrower_id": pl.Int64(), "at": pl.Int64()},
    )
    return _fill(lost.with_columns(*to_utc("at")), "unreachable")


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
