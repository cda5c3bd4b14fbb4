"""What each check's case history says at the check, as columns beside the check.

Inputs, both in key order (a case and a time packed into one sortable Int64 ``_key``; ``_id``
the case as a small number; ``_day`` the local day number): ``query``, the checks, and
``ordered``, the coded events (ties in input order). For each kind of state (holds, opt-outs
and agreed hours; "unreachable"; per party the answered calls of the day, the day of the n-th
most recent call and the last conversation) the events that change it are carried forward in
key order, and every check takes the state of the last such event of its case at or before it
by a binary search of its key (``lookup``). Per-number facts (unanswered attempts per day, wrong
numbers, third-party refusals and contacts) become small threshold tables ("blocked from the
k-th such event on") joined to the checks (``number_facts``).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from autocollect.engine.gating_codes import (
    CHANNEL_BIT,
    PARTY_BIT,
    bits,
    is_channel,
    is_outcome,
    is_party,
    is_type,
)
from autocollect.engine.policy import CHANNELS, REACHED_OUTCOMES, Policy

OLD_DAY = -(10**9)  # a day (days since 1970) before anything that counts
NO_TIME = -1  # "no agreed hours" in the consent columns


def lookup(
    subset: pl.DataFrame, query: pl.DataFrame, columns: Mapping[str, int | bool]
) -> pl.DataFrame:
    """For each query row: the columns at the last ``subset`` row of its case at or before it
    (both frames in key order), or the defaults."""
    if subset.height == 0:
        return pl.DataFrame(
            [
                pl.repeat(
                    default,
                    query.height,
                    dtype=pl.Boolean if isinstance(default, bool) else pl.Int64,
                    eager=True,
                ).alias(name)
                for name, default in columns.items()
            ]
        )
    position = subset.get_column("_key").search_sorted(query.get_column("_key"), side="right")
    position = position.cast(pl.Int64) - 1
    index = position.clip(lower_bound=0).cast(pl.UInt32)
    found = (position >= 0) & (subset.get_column("_id").gather(index) == query.get_column("_id"))
    # Not found (no such event of the case yet): the defaults, in a row added at the end.
    values = pl.concat(
        [
            subset.select(list(columns)),
            pl.DataFrame([columns]).cast(subset.select(list(columns)).schema),
        ]
    )
    index = index.zip_with(found, pl.Series([subset.height], dtype=pl.UInt32))
    return values.select(pl.all().gather(index))


# Along a key-ordered frame: the first row of each case.
FIRST = pl.col("_id") != pl.col("_id").shift(1, fill_value=-1)


def carry(when: pl.Expr, value: pl.Expr, default: int | bool) -> pl.Expr:
    """Along a key-ordered frame: the value at the case's last row where ``when`` held."""
    return (
        pl.when(when)
        .then(value)
        .when(FIRST)
        .then(pl.lit(default))
        .otherwise(pl.lit(None))
        .forward_fill()
    )


# --- the state of the case and of the party ------------------------------------------------


def case_state(
    policy: Policy, query: pl.DataFrame, ordered: pl.DataFrame, events: pl.DataFrame
) -> pl.DataFrame:
    """Holds, opt-outs and agreed hours (from the rare non-contact events) and "unreachable"."""
    other = ordered.filter(~is_type("contact"))
    if other.height:
        # Their reasons, channels and hours, by input row.
        positions = other.get_column("_pos")
        details = events.select(pl.col("reason", "start", "end").gather(positions))
        other = other.with_columns(details)
    columns: dict[str, pl.Expr] = {}
    defaults: dict[str, int | bool] = {}
    holding = is_type("hold", "release")
    held = other.filter(holding).get_column("reason").unique().to_list() if other.height else []
    for reason in sorted(set(held) & set(policy.holds)):
        name = f"hold:{reason}"
        columns[name] = carry(holding & (pl.col("reason") == reason), is_type("hold"), False)
        defaults[name] = False
    if policy.opt_out is not None and other.height:
        opted = other.filter(is_type("opt_out")).get_column("_channel").unique().to_list()
        for code in sorted(opted):
            name = f"opt:{CHANNELS[code]}"
            columns[name] = carry(
                is_type("opt_out") & (pl.col("_channel") == code), pl.lit(True), False
            )
            defaults[name] = False
    window = policy.window
    consent = is_type("consent_hours")
    if (
        window is not None
        and window.consent_extends
        and other.height
        and other.select(consent.any()).item()
    ):
        for name, column in (("consent_start", "start"), ("consent_end", "end")):
            micros = pl.col(column).cast(pl.Int64) // 1000  # Time is nanoseconds of the day
            columns[name] = carry(consent, micros, NO_TIME)
            defaults[name] = NO_TIME
    if columns:
        other = other.select("_key", "_id", **columns)
        query = query.with_columns(lookup(other, query, defaults))
    if policy.third_party_unreachable_only is not None:
        # Every such event sets the state: an "unreachable" finding, or contact re-established.
        reached = is_type("contact") & is_outcome(*REACHED_OUTCOMES) & is_party("borrower")
        marks = ordered.filter(is_type("unreachable") | reached).select(
            "_key", "_id", unreachable=is_type("unreachable")
        )
        rows = query.select((pl.col("_party") & PARTY_BIT["third_party"]) != 0).to_series()
        rows = rows.arg_true()
        asked = query.select(pl.col("_key", "_id").gather(rows))
        found = lookup(marks, asked, {"unreachable": False}).get_column("unreachable")
        unreachable = pl.repeat(False, query.height, eager=True).scatter(rows, found)
        query = query.with_columns(unreachable=unreachable)
    return query


def _party_channels(policy: Policy) -> dict[str, set[str]]:
    parties: dict[str, set[str]] = {}
    for rule in (
        policy.answered_calls_daily,
        policy.calls_in_period,
        policy.wait_after_conversation,
    ):
        if rule is not None:
            for party in rule.parties:
                parties.setdefault(party, set()).update(rule.channels)
    return parties


def party_state(policy: Policy, query: pl.DataFrame, ordered: pl.DataFrame) -> pl.DataFrame:
    """Per party: answered calls that day, the day of the n-th last call, the last conversation.

    Only the checks the counting rules apply to (their party, a call channel) look them up.
    """
    answered, period, wait = (
        policy.answered_calls_daily,
        policy.calls_in_period,
        policy.wait_after_conversation,
    )
    reached = is_outcome(*REACHED_OUTCOMES)
    outputs: dict[str, int] = {
        "calls_day": OLD_DAY,
        "answered": 0,
        "nth_call_day": OLD_DAY,
        "conversation_day": OLD_DAY,
    }
    filled = {
        name: pl.repeat(default, query.height, dtype=pl.Int64, eager=True)
        for name, default in outputs.items()
    }
    for party, channels in sorted(_party_channels(policy).items()):
        wanted = query.select(
            ((pl.col("_party") & PARTY_BIT[party]) != 0)
            & ((pl.col("_channel") & bits(channels, CHANNEL_BIT)) != 0)
        ).to_series()
        rows = wanted.arg_true()
        if rows.len() == 0:
            continue
        calls = ordered.filter(is_type("contact") & is_party(party) & is_channel(channels))
        if calls.height == 0:
            continue
        columns: dict[str, pl.Expr] = {"calls_day": pl.col("_day")}
        if answered is not None and party in answered.parties:
            # Answered calls with the party on the row's local day, up to the row.
            flag = (reached & is_channel(answered.channels)).cast(pl.Int64)
            counted = flag.cum_sum()
            new_day = FIRST | (pl.col("_day") != pl.col("_day").shift(1))
            columns["answered"] = counted - pl.when(new_day).then(counted - flag).forward_fill()
        if period is not None and party in period.parties:
            columns["nth_call_day"] = _nth_recent_day(
                calls, is_channel(period.channels), period.max
            )
        if wait is not None and party in wait.parties:
            columns["conversation_day"] = carry(
                reached & is_channel(wait.channels), pl.col("_day"), OLD_DAY
            )
        state = calls.select("_key", "_id", **columns)
        asked = query.select(pl.col("_key", "_id").gather(rows))
        found = lookup(state, asked, {name: outputs[name] for name in columns})
        for name in columns:
            filled[name] = filled[name].scatter(rows, found.get_column(name))
    return query.with_columns(**filled)


def _nth_recent_day(calls: pl.DataFrame, flag: pl.Expr, nth: int) -> pl.Expr:
    """At each row: the local day of the ``nth`` most recent flagged row of its case."""
    back = nth - 1
    if calls.select(flag.all()).item():
        return (
            pl.when(pl.col("_id").shift(back) == pl.col("_id"))
            .then(pl.col("_day").shift(back))
            .otherwise(pl.lit(OLD_DAY))
        )
    positions = calls.select(flag).to_series().arg_true()
    flagged = calls.select(pl.col("_id", "_day").gather(positions))
    nth_day = flagged.select(
        pl.when(pl.col("_id").shift(back) == pl.col("_id"))
        .then(pl.col("_day").shift(back))
        .otherwise(pl.lit(OLD_DAY))
    ).to_series()
    scattered = pl.repeat(None, calls.height, dtype=pl.Int64, eager=True).scatter(
        positions, nth_day
    )
    return carry(pl.lit(scattered).is_not_null(), pl.lit(scattered), OLD_DAY)


# --- facts of a number ----------------------------------------------------------------------


def _nth_time(nth: int) -> pl.Expr:
    """In a group: the time of the ``nth`` earliest event (null when there are fewer)."""
    return pl.col("_at").sort().slice(nth - 1, 1).first()


def _join_facts(query: pl.DataFrame, table: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """Left-join a small per-number table; only checks of the table's cases probe it."""
    names = [c for c in table.columns if c not in on]
    rows = query.select(pl.col("_id").is_in(table.get_column("_id").unique().implode())).to_series()
    rows = rows.arg_true()
    asked = query.select(pl.col(on).gather(rows))
    joined = asked.join(table, on=on, how="left", maintain_order="left")
    filled = {
        name: pl.repeat(None, query.height, dtype=pl.Int64, eager=True).scatter(
            rows, joined.get_column(name)
        )
        for name in names
    }
    return query.with_columns(**filled)


def number_facts(
    policy: Policy, query: pl.DataFrame, ordered: pl.DataFrame, events: pl.DataFrame
) -> pl.DataFrame:
    """Per (case, number): the moment from which each per-number rule blocks (null: never).

    A count "reaches its limit at or before the check" exactly when the limit-th such event
    (in time) is at or before it, so each fact is one threshold time per number (and day).
    """
    contact = is_type("contact")
    unanswered = policy.unanswered_attempts_daily
    if unanswered is not None:
        attempt = contact & is_outcome("no_answer") & is_channel(unanswered.channels)
        # A number can reach the limit on a day only if the case has that many attempts in all
        # that day: find those (case, day)s from the key order, then count per number there.
        runs = ordered.filter(attempt).select("_id", "_day")
        new_run = FIRST | (pl.col("_day") != pl.col("_day").shift(1))
        index = pl.int_range(pl.len(), dtype=pl.Int64)
        within = index - pl.when(new_run).then(index).forward_fill()
        busy = runs.filter(within >= unanswered.max - 1).unique()
        if busy.height:
            limits = (
                events.filter(attempt & pl.col("_id").is_in(busy.get_column("_id").implode()))
                .join(busy, on=["_id", "_day"])
                .group_by("_id", "number", "_day")
                .agg(unanswered_limit_at=_nth_time(unanswered.max))
                .drop_nulls("unanswered_limit_at")
            )
            if limits.height:
                query = _join_facts(query, limits, ["_id", "number", "_day"])
    third = is_party("third_party")
    reached = is_outcome(*REACHED_OUTCOMES)
    facts = events.filter(contact & (is_outcome("wrong_number") | (third & reached)))
    if facts.height:
        aggs = [
            pl.col("_at").filter(is_outcome("wrong_number")).min().alias("wrong_at"),
            pl.col("_at").filter(third & is_outcome("refused")).min().alias("refused_at"),
        ]
        once = policy.third_party_once
        if once is not None:
            aggs.append(
                pl.col("_at")
                .filter(third & reached)
                .sort()
                .slice(once.max - 1, 1)
                .first()
                .alias("third_party_limit_at")
            )
        query = _join_facts(query, facts.group_by("_id", "number").agg(aggs), ["_id", "number"])
    missing = [
        name
        for name in ("unanswered_limit_at", "wrong_at", "refused_at", "third_party_limit_at")
        if name not in query.columns
    ]
    return query.with_columns(pl.lit(None, pl.Int64).alias(name) for name in missing)
