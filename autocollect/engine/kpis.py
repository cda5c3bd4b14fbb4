"""Collection KPIs (催收绩效指标), each defined once, computed from the facts; and the scorecard.

The formulas, the facts each reads, the grouping keys and the edge cases are in docs/kpis.md.
Every fact frame carries the attribution columns ``collector``, ``team``, ``arm`` and
``product`` (String, null when unknown) and one date column; ``period`` is derived from that
date (``2026-03`` by month, ``2026-W10`` by ISO week). ``compute_kpis`` groups by any subset of
``GROUP_KEYS``.

Ratios are exact ``Fraction``s; ``cost_per_yuan`` is a ``Decimal`` rounded half-even to 4
places. A ratio whose denominator is 0 is ``None`` ("no denominator"), never 0 or NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Literal

import polars as pl

from autocollect.engine import frames
from autocollect.engine.buckets import DEFAULT_BUCKETS, Bucket, bucket_rank_expr
from autocollect.engine.promises import (
    PROMISE_TOLERANCE_DAYS,
    PROMISE_TOLERANCE_FEN,
    evaluate_promises,
)

GROUP_KEYS: tuple[str, ...] = ("collector", "team", "arm", "product", "period")
DIMENSIONS: Mapping[str, pl.DataType] = {
    "collector": pl.String(),
    "team": pl.String(),
    "arm": pl.String(),
    "product": pl.String(),
}

# Contact attempts are person-to-person tries to reach someone; the other channels send notices.
ATTEMPT_CHANNELS: frozenset[str] = frozenset({"call", "visit"})
# Interaction outcomes on which a person was reached (someone answered, even to refuse).
REACHED_OUTCOMES: frozenset[str] = frozenset({"answered", "refused"})

# Facts (besides the dimensions) -----------------------------------------------------------------

# Every interaction (cases.Interaction), any channel; ``right_party`` from its CaseOutcome
# (null when no outcome was logged).
CONTACT_FACTS: Mapping[str, pl.DataType] = {
    "on": pl.Date(),
    "channel": pl.String(),
    "outcome": pl.String(),
    "right_party": pl.Boolean(),
}
# Promises (cases.Promise), attributed to who took them, in the period of ``promised_on``.
PROMISE_FACTS: Mapping[str, pl.DataType] = dict(frames.PROMISES)
# Payments received (portfolio.Payment), attributed to who held the case when it was paid.
PAYMENT_FACTS: Mapping[str, pl.DataType] = dict(frames.PAYMENTS)
# Daily bucket snapshots (delinquency.LoanDelinquency), with who held the case that day.
SNAPSHOT_FACTS: Mapping[str, pl.DataType] = {
    "loan_id": pl.Int64(),
    "on": pl.Date(),
    "bucket": pl.String(),
}
# Collection costs (wages, channel fees, outsourcing) in fen.
COST_FACTS: Mapping[str, pl.DataType] = {"on": pl.Date(), "amount_fen": pl.Int64()}
# Events that are only counted: complaints received; contacts the gate blocked
# (compliance.ContactDecision with allowed = False).
EVENT_FACTS: Mapping[str, pl.DataType] = {"on": pl.Date()}

Period = Literal["month", "week"]
Key = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class Facts:
    contacts: pl.DataFrame
    promises: pl.DataFrame
    payments: pl.DataFrame
    snapshots: pl.DataFrame
    costs: pl.DataFrame
    complaints: pl.DataFrame
    blocks: pl.DataFrame


@dataclass(frozen=True, slots=True)
class Kpis:
    """The KPIs of one group. Counts and fen are ints; ratios Fraction (None: no denominator)."""

    contacts: int = 0  # interactions of any channel
    attempts: int = 0
    reached: int = 0
    right_party_contacts: int = 0
    promises: int = 0
    promises_judged: int = 0  # kept, partly kept or broken (not pending)
    promises_kept: int = 0
    promises_kept_fen: int = 0
    recovered_fen: int = 0
    cost_fen: int = 0
    delinquent_at_start: int = 0
    cured: int = 0
    loans_at_start: int = 0
    rolled_forward: int = 0
    complaints: int = 0
    blocks: int = 0

    @property
    def contact_rate(self) -> Fraction | None:
        return _ratio(self.reached, self.attempts)

    @property
    def right_party_contact_rate(self) -> Fraction | None:
        return _ratio(self.right_party_contacts, self.attempts)

    @property
    def promise_rate(self) -> Fraction | None:
        return _ratio(self.promises, self.right_party_contacts)

    @property
    def promise_kept_rate(self) -> Fraction | None:
        return _ratio(self.promises_kept, self.promises_judged)

    @property
    def cure_rate(self) -> Fraction | None:
        return _ratio(self.cured, self.delinquent_at_start)

    @property
    def roll_forward_rate(self) -> Fraction | None:
        return _ratio(self.rolled_forward, self.loans_at_start)

    @property
    def cost_per_yuan(self) -> Decimal | None:
        if self.recovered_fen == 0:
            return None
        exact = Decimal(self.cost_fen) / Decimal(self.recovered_fen)
        return exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)

    @property
    def complaints_per_1000(self) -> Fraction | None:
        return _ratio(1000 * self.complaints, self.contacts)

    @property
    def blocks_per_1000(self) -> Fraction | None:
        return _ratio(1000 * self.blocks, self.contacts)

    def value(self, kpi: str) -> Fraction | Decimal | int | None:
        result: Fraction | Decimal | int | None = getattr(self, kpi)
        return result


def _ratio(numerator: int, denominator: int) -> Fraction | None:
    return None if denominator == 0 else Fraction(numerator, denominator)


def period_expr(on: pl.Expr, period: Period) -> pl.Expr:
    """``2026-03`` (month) or ``2026-W09`` (ISO week, ISO year) of a date expression."""
    if period == "month":
        return on.dt.strftime("%Y-%m")
    if period == "week":
        return on.dt.strftime("%G-W%V")
    raise ValueError(f"unknown period {period!r}")


def compute_kpis(
    facts: Facts,
    *,
    by: Sequence[str],
    period: Period = "month",
    as_of: date,
    promise_tolerance_days: int = PROMISE_TOLERANCE_DAYS,
    promise_tolerance_fen: int = PROMISE_TOLERANCE_FEN,
) -> dict[Key, Kpis]:
    """The KPIs per group of ``by`` (a subset of ``GROUP_KEYS``, in the key's order).

    Promises are judged as of ``as_of`` by ``engine.promises.evaluate_promises`` (the cycle's
    definition, with the cycle's tolerances ``engine.promises.PROMISE_TOLERANCE_*`` by default).
    """
    unknown = [k for k in by if k not in GROUP_KEYS]
    if unknown:
        raise ValueError(f"unknown group key(s): {', '.join(unknown)}")
    keys = list(by)
    parts: dict[Key, dict[str, int]] = {}

    def add(frame: pl.DataFrame, aggs: list[pl.Expr]) -> None:
        grouped = frame.group_by(keys).agg(aggs) if keys else frame.select(aggs)
        for row in grouped.iter_rows(named=True):
            key = tuple(row.pop(k) for k in keys)
            slot = parts.setdefault(key, {})
            for name, value in row.items():
                slot[name] = slot.get(name, 0) + int(value or 0)

    add(*_contacts(facts.contacts, period))
    add(*_promises(facts, period, as_of, promise_tolerance_days, promise_tolerance_fen))
    add(*_sums(facts.payments, "paid_on", "amount_fen", "recovered_fen", period))
    add(*_sums(facts.costs, "on", "amount_fen", "cost_fen", period))
    add(*_counts(facts.complaints, "complaints", period))
    add(*_counts(facts.blocks, "blocks", period))
    add(*_movements(facts.snapshots, period, DEFAULT_BUCKETS))
    return {key: Kpis(**values) for key, values in sorted(parts.items(), key=_sort_key)}


def _sort_key(item: tuple[Key, object]) -> tuple[tuple[bool, str], ...]:
    return tuple((v is None, v or "") for v in item[0])


def _with_period(
    frame: pl.DataFrame, on: str, contract: Mapping[str, pl.DataType], name: str, period: Period
) -> pl.DataFrame:
    frames.require(frame, {**contract, **DIMENSIONS}, name)
    return frame.with_columns(period_expr(pl.col(on), period).alias("period"))


def _contacts(frame: pl.DataFrame, period: Period) -> tuple[pl.DataFrame, list[pl.Expr]]:
    attempt = pl.col("channel").is_in(list(ATTEMPT_CHANNELS))
    reached = attempt & pl.col("outcome").is_in(list(REACHED_OUTCOMES))
    return _with_period(frame, "on", CONTACT_FACTS, "contacts", period), [
        pl.len().alias("contacts"),
        attempt.sum().alias("attempts"),
        reached.sum().alias("reached"),
        (reached & pl.col("right_party").fill_null(False)).sum().alias("right_party_contacts"),
    ]


def _promises(
    facts: Facts, period: Period, as_of: date, tolerance_days: int, tolerance_fen: int
) -> tuple[pl.DataFrame, list[pl.Expr]]:
    promises = _with_period(facts.promises, "promised_on", PROMISE_FACTS, "promises", period)
    judged = evaluate_promises(
        promises=promises.lazy(),
        payments=facts.payments.lazy(),
        as_of=as_of,
        tolerance_days=tolerance_days,
        tolerance_fen=tolerance_fen,
    ).select("promise_id", "status")
    kept = pl.col("status") == "kept"
    return promises.join(judged, on="promise_id", how="left"), [
        pl.len().alias("promises"),
        (pl.col("status") != "pending").sum().alias("promises_judged"),
        kept.sum().alias("promises_kept"),
        pl.when(kept).then(pl.col("amount_fen")).otherwise(0).sum().alias("promises_kept_fen"),
    ]


def _sums(
    frame: pl.DataFrame, on: str, column: str, alias: str, period: Period
) -> tuple[pl.DataFrame, list[pl.Expr]]:
    contract = {on: pl.Date(), column: pl.Int64()}
    return _with_period(frame, on, contract, alias, period), [pl.col(column).sum().alias(alias)]


def _counts(frame: pl.DataFrame, alias: str, period: Period) -> tuple[pl.DataFrame, list[pl.Expr]]:
    return _with_period(frame, "on", EVENT_FACTS, alias, period), [pl.len().alias(alias)]


def _movements(
    frame: pl.DataFrame, period: Period, buckets: Sequence[Bucket]
) -> tuple[pl.DataFrame, list[pl.Expr]]:
    """Per loan and period: its first snapshot (start; its dimensions count) and its last (end).
    Cured: delinquent at start, current (the first bucket) at end. Rolled forward: a worse
    bucket at end than at start. A loan with one snapshot in the period is at start and end."""
    dated = _with_period(frame, "on", SNAPSHOT_FACTS, "snapshots", period).sort("loan_id", "on")
    rank = bucket_rank_expr(pl.col("bucket"), buckets)
    per_loan = (
        dated.with_columns(rank.alias("rank"))
        .group_by("loan_id", "period")
        .agg(
            *[pl.col(d).first() for d in DIMENSIONS],
            pl.col("rank").first().alias("start_rank"),
            pl.col("rank").last().alias("end_rank"),
        )
    )
    delinquent = pl.col("start_rank") > 0
    return per_loan, [
        pl.len().alias("loans_at_start"),
        (pl.col("end_rank") > pl.col("start_rank")).sum().alias("rolled_forward"),
        delinquent.sum().alias("delinquent_at_start"),
        (delinquent & (pl.col("end_rank") == 0)).sum().alias("cured"),
    ]


def empty_facts() -> Facts:
    """Facts with no rows (each frame with its columns), to build on in callers and tests."""

    def make(contract: Mapping[str, pl.DataType]) -> pl.DataFrame:
        return pl.DataFrame(schema={**contract, **DIMENSIONS})

    return Facts(
        contacts=make(CONTACT_FACTS),
        promises=make(PROMISE_FACTS),
        payments=make(PAYMENT_FACTS),
        snapshots=make(SNAPSHOT_FACTS),
        costs=make(COST_FACTS),
        complaints=make(EVENT_FACTS),
        blocks=make(EVENT_FACTS),
    )


# The balanced scorecard (平衡计分卡) ------------------------------------------------------------

# KPIs that are money; no scorecard may weigh them at more than half (credit card measures
# art. 66: collectors are not assessed solely on the amount recovered).
MONEY_KPIS: frozenset[str] = frozenset({"recovered_fen", "promises_kept_fen"})
# KPIs where less is better; achievement is target / value for these, value / target otherwise.
LOWER_IS_BETTER: frozenset[str] = frozenset(
    {"roll_forward_rate", "cost_per_yuan", "complaints_per_1000", "blocks_per_1000"}
)
ACHIEVEMENT_CAP = Fraction(6, 5)  # at most 120 % of target counts


@dataclass(frozen=True, slots=True)
class Scorecard:
    """Weights (any positive numbers, normalised) and targets per KPI name (a ``Kpis`` field
    or property)."""

    weights: Mapping[str, Fraction]
    targets: Mapping[str, Fraction]

    def __post_init__(self) -> None:
        if set(self.weights) != set(self.targets):
            raise ValueError("every weighted KPI needs a target and every target a weight")
        unknown = [k for k in self.weights if not hasattr(Kpis, k)]
        if unknown:
            raise ValueError(f"unknown KPI(s): {', '.join(sorted(unknown))}")
        if any(w <= 0 for w in self.weights.values()) or any(t <= 0 for t in self.targets.values()):
            raise ValueError("weights and targets must be positive")
        money = sum((w for k, w in self.weights.items() if k in MONEY_KPIS), Fraction(0))
        if money * 2 > sum(self.weights.values(), Fraction(0)):
            raise ValueError("money KPIs may weigh at most half of the scorecard (art. 66)")


DEFAULT_SCORECARD = Scorecard(
    weights={
        "recovered_fen": Fraction(30),
        "right_party_contact_rate": Fraction(15),
        "promise_kept_rate": Fraction(20),
        "cure_rate": Fraction(15),
        "complaints_per_1000": Fraction(10),
        "blocks_per_1000": Fraction(10),
    },
    targets={
        "recovered_fen": Fraction(50_000_000),  # 500,000 yuan a month
        "right_party_contact_rate": Fraction(1, 4),
        "promise_kept_rate": Fraction(3, 5),
        "cure_rate": Fraction(3, 10),
        "complaints_per_1000": Fraction(1),
        "blocks_per_1000": Fraction(5),
    },
)


@dataclass(frozen=True, slots=True)
class Score:
    """Points out of 100 (up to 120 when every KPI beats its target), exact; the achievement
    per KPI; and the KPIs left out because they had no value (their weight is left out too)."""

    points: Fraction | None
    achievement: Mapping[str, Fraction] = field(default_factory=dict)
    missing: tuple[str, ...] = ()


def achievement(kpi: str, value: Fraction | Decimal | int, target: Fraction) -> Fraction:
    exact = Fraction(value)
    if kpi in LOWER_IS_BETTER:
        ratio = ACHIEVEMENT_CAP if exact == 0 else target / exact
    else:
        ratio = exact / target
    return min(ratio, ACHIEVEMENT_CAP)


def score(kpis: Kpis, card: Scorecard = DEFAULT_SCORECARD) -> Score:
    """100 × Σ wᵢ·min(aᵢ, 1.2) / Σ wᵢ over the KPIs with a value; None when no KPI other
    than money has one."""
    got: dict[str, Fraction] = {}
    missing: list[str] = []
    for kpi, target in card.targets.items():
        value = kpis.value(kpi)
        if value is None:
            missing.append(kpi)
        else:
            got[kpi] = achievement(kpi, value, target)
    if not set(got) - MONEY_KPIS:
        # No KPI but money has a value: money never stands alone (art. 66).
        return Score(points=None, achievement=got, missing=tuple(missing))
    weight = sum((card.weights[k] for k in got), Fraction(0))
    points = 100 * sum((card.weights[k] * a for k, a in got.items()), Fraction(0)) / weight
    return Score(points=points, achievement=got, missing=tuple(missing))


def scorecard_for(
    team: str | None, cards: Mapping[str, Scorecard], default: Scorecard = DEFAULT_SCORECARD
) -> Scorecard:
    """The team's own scorecard when it has one, else the default."""
    return cards.get(team, default) if team is not None else default
