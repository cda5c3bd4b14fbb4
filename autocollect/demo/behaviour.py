"""How demo borrowers repay: a month-by-month simulation of each loan up to the as-of date.

Every borrower belongs to a credit tier (A prime, B near-prime, C subprime) that sets both the
price of the loan and how often the borrower starts a *late episode* at an installment. On top
of the tier, each borrower draws a personal multiplier (gamma distributed, mean 1), so that
lateness concentrates in a minority of accounts, as it does in real books. An episode is one of:

* ``late_days`` — pays the installment 1–25 days late (most within a week): the classic self-cure;
* ``miss_one`` — skips the installment and pays both with the next one;
* ``partial`` — pays part of the installment on time, the rest with the next one or two;
* ``roll`` — stops paying for 2–6 months, then either pays all arrears at once or resumes
  paying one installment a month while staying behind (a chronic M2/M3 account);
* ``default`` — stops paying for good, now and then sending a small token payment.

Borrowers without an episode pay the exact installment: bank debit (银行代扣) on the due date,
or WeChat/Alipay/bank transfer a few days early. A small share overpays now and then (rounding
up, or sending next month's money early); the importer applies it to the next installments and
keeps whatever is left as credit. Payments dated after the as-of date have not happened yet and
are dropped. The calibration of these numbers is in ``docs/demo-data.md``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from autocollect.demo.reference import PaymentChannel
from autocollect.engine.loanmath import ScheduledInstallment


class RiskLevel(StrEnum):
    NORMAL = "normal"  # China auto finance: a few percent delinquent, NPL under 1%
    HIGH = "high"  # US subprime-like: about a tenth delinquent, 60+ days about 6%


class Episode(StrEnum):
    LATE_DAYS = "late_days"
    MISS_ONE = "miss_one"
    PARTIAL = "partial"
    ROLL = "roll"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    share: float  # of the book
    rate_bp: tuple[int, int]  # annual rate range in basis points, inclusive
    episode_rate: float  # chance that an installment starts a late episode (mean borrower)
    # Relative weights of the episode kinds once an episode starts.
    episode_mix: tuple[tuple[Episode, float], ...]


@dataclass(frozen=True, slots=True)
class RiskProfile:
    level: RiskLevel
    tiers: tuple[Tier, ...]
    # Shape of the gamma distribution of personal multipliers (mean 1); smaller is more skewed.
    heterogeneity_shape: float
    # After a ``roll``, the share who pay all arrears at once (the rest stay behind).
    roll_cure_share: float
    # Share of borrowers paid by bank debit on the due date; the rest pay by hand, early.
    autopay_share: float
    # Chance per installment that a borrower without arrears overpays.
    overpay_rate: float
    # Chance per month that a borrower in default or in a roll sends a token payment.
    token_payment_rate: float


def _mix(
    late: float, miss: float, partial: float, roll: float, default: float
) -> tuple[tuple[Episode, float], ...]:
    return (
        (Episode.LATE_DAYS, late),
        (Episode.MISS_ONE, miss),
        (Episode.PARTIAL, partial),
        (Episode.ROLL, roll),
        (Episode.DEFAULT, default),
    )


PROFILES: dict[RiskLevel, RiskProfile] = {
    RiskLevel.NORMAL: RiskProfile(
        level=RiskLevel.NORMAL,
        tiers=(
            Tier("A", 0.40, (300, 699), 0.017, _mix(72, 18, 9, 0.7, 0.14)),
            Tier("B", 0.45, (650, 1050), 0.050, _mix(66, 20, 10, 2.1, 0.5)),
            Tier("C", 0.15, (1050, 1500), 0.120, _mix(60, 20, 11, 5.2, 1.1)),
        ),
        heterogeneity_shape=0.6,
        roll_cure_share=0.6,
        autopay_share=0.6,
        overpay_rate=0.01,
        token_payment_rate=0.15,
    ),
    RiskLevel.HIGH: RiskProfile(
        level=RiskLevel.HIGH,
        tiers=(
            Tier("A", 0.10, (499, 899), 0.030, _mix(66, 20, 10, 3, 0.7)),
            Tier("B", 0.35, (850, 1250), 0.080, _mix(60, 20, 11, 6, 1.5)),
            Tier("C", 0.55, (1200, 1500), 0.130, _mix(54, 20, 11, 10, 3.5)),
        ),
        heterogeneity_shape=0.6,
        roll_cure_share=0.5,
        autopay_share=0.45,
        overpay_rate=0.008,
        token_payment_rate=0.15,
    ),
}


@dataclass(frozen=True, slots=True)
class Borrower:
    """What the simulation needs to know about one borrower's habits."""

    tier: Tier
    multiplier: float
    autopay: bool
    early_days: int  # how many days before the due date a manual payer usually pays
    manual_channel: PaymentChannel


@dataclass(frozen=True, slots=True)
class SimulatedPayment:
    paid_on: date
    amount_fen: int
    channel: PaymentChannel


class _Mode(StrEnum):
    CURRENT = "current"
    ROLLING = "rolling"
    DEFAULTED = "defaulted"


def _weighted(rng: random.Random, pairs: Sequence[tuple[Episode, float]]) -> Episode:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _lateness_days(rng: random.Random) -> int:
    # Half of late payers fix it within the three grace days, most of the rest within a week.
    u = rng.random()
    if u < 0.5:
        return rng.randint(1, 3)
    if u < 0.8:
        return rng.randint(4, 10)
    return rng.randint(11, 25)


def manual_channel(u: float) -> PaymentChannel:
    """How a borrower pays by hand, for ``u`` uniform in [0, 1): WeChat and Alipay share the
    bulk, a tenth use a bank transfer."""
    if u < 0.45:
        return PaymentChannel.WECHAT
    if u < 0.9:
        return PaymentChannel.ALIPAY
    return PaymentChannel.CORPORATE_TRANSFER


def _manual(rng: random.Random) -> PaymentChannel:
    return manual_channel(rng.random())


def simulate_loan(
    borrower: Borrower,
    schedule: Sequence[ScheduledInstallment],
    *,
    disbursed_on: date,
    as_of: date,
    profile: RiskProfile,
    rng: random.Random,
) -> list[SimulatedPayment]:
    """The payments one borrower has made on one loan by the end of ``as_of``."""
    # An early payer may already have paid an installment that falls due shortly after as-of.
    horizon = as_of + timedelta(days=borrower.early_days)
    loan = _Repayment(borrower, disbursed_on=disbursed_on, as_of=as_of, profile=profile, rng=rng)
    for k, inst in enumerate(schedule):
        if inst.due_on > horizon:
            break
        loan.installment(k, inst)
    return loan.payments


class _Repayment:
    """One borrower on one loan: what the month-by-month simulation carries from one
    installment to the next. Every draw comes from ``rng``, in schedule order."""

    def __init__(
        self,
        borrower: Borrower,
        *,
        disbursed_on: date,
        as_of: date,
        profile: RiskProfile,
        rng: random.Random,
    ) -> None:
        self.borrower = borrower
        self.disbursed_on = disbursed_on
        self.as_of = as_of
        self.profile = profile
        self.rng = rng
        self.payments: list[SimulatedPayment] = []
        self.episode_rate = min(borrower.tier.episode_rate * borrower.multiplier, 0.9)
        self.mode = _Mode.CURRENT
        self.resume_at = 0  # the installment at which a roll ends
        self.cure_all = False  # whether the roll ends by paying all arrears
        self.catch_up_at = -1  # the installment that settles a missed or partial one
        self.due_total = 0
        self.paid_total = 0

    def installment(self, k: int, inst: ScheduledInstallment) -> None:
        """What the borrower does about the ``k``-th installment (from 0)."""
        self.due_total += inst.amount_fen
        if self.mode is _Mode.DEFAULTED:
            self._token(inst.due_on, inst.amount_fen)
        elif self.mode is _Mode.ROLLING:
            self._rolling(k, inst)
        elif k == self.catch_up_at:
            # Settles everything owed so far, typically when the next bank debit is due.
            self._pay(
                inst.due_on + timedelta(days=self.rng.randint(0, 3)),
                self.due_total - self.paid_total,
                _manual(self.rng),
            )
        elif self.rng.random() < self.episode_rate:
            self._episode(k, inst)
        else:
            self._regular(inst)

    def _pay(self, day: date, amount: int, channel: PaymentChannel) -> None:
        if amount <= 0 or day > self.as_of:
            return
        # Nobody pays before the money is lent (only possible for the first, early payment).
        day = max(day, self.disbursed_on + timedelta(days=1))
        self.payments.append(SimulatedPayment(day, amount, channel))
        self.paid_total += amount

    def _regular_day(self, due_on: date) -> tuple[date, PaymentChannel]:
        if self.borrower.autopay:
            return due_on, PaymentChannel.BANK_DEBIT
        early = timedelta(days=self.rng.randint(0, self.borrower.early_days))
        return due_on - early, self.borrower.manual_channel

    def _token(self, due_on: date, amount: int) -> None:
        if self.rng.random() < self.profile.token_payment_rate:
            share = self.rng.randint(10, 40)
            # A round sum, as people send when they are short: ¥100 steps, at least ¥100.
            sent = max(amount * share // 100 // 10_000 * 10_000, 10_000)
            self._pay(due_on + timedelta(days=self.rng.randint(0, 25)), sent, _manual(self.rng))

    def _rolling(self, k: int, inst: ScheduledInstallment) -> None:
        if k < self.resume_at:
            self._token(inst.due_on, inst.amount_fen)
            return
        self.mode = _Mode.CURRENT
        late = timedelta(days=self.rng.randint(0, 7))
        amount = self.due_total - self.paid_total if self.cure_all else inst.amount_fen
        self._pay(inst.due_on + late, amount, _manual(self.rng))

    def _episode(self, k: int, inst: ScheduledInstallment) -> None:
        """A late episode starts at this installment."""
        episode = _weighted(self.rng, self.borrower.tier.episode_mix)
        if episode is Episode.LATE_DAYS:
            self._pay(
                inst.due_on + timedelta(days=_lateness_days(self.rng)),
                inst.amount_fen,
                _manual(self.rng),
            )
        elif episode is Episode.MISS_ONE:
            self.catch_up_at = k + 1
        elif episode is Episode.PARTIAL:
            day, channel = self._regular_day(inst.due_on)
            self._pay(day, inst.amount_fen * self.rng.randint(30, 90) // 100, channel)
            self.catch_up_at = k + (1 if self.rng.random() < 0.7 else 2)
        elif episode is Episode.ROLL:
            self.mode = _Mode.ROLLING
            self.resume_at = k + min(2 + int(self.rng.expovariate(0.6)), 6)
            self.cure_all = self.rng.random() < self.profile.roll_cure_share
        else:
            self.mode = _Mode.DEFAULTED

    def _regular(self, inst: ScheduledInstallment) -> None:
        """The installment paid on time, now and then with arrears or an overpayment."""
        arrears = self.due_total - inst.amount_fen - self.paid_total
        amount = inst.amount_fen
        if arrears > 0 and self.rng.random() < 0.08:
            # A chronic late payer who finally clears the old installments.
            amount += arrears
        if arrears <= 0 and self.rng.random() < self.profile.overpay_rate:
            # Rounds up to the next ¥1,000 or sends next month's money early too.
            if self.rng.random() < 0.6:
                amount = (amount // 100_000 + 1) * 100_000
            else:
                amount *= 2
        day, channel = self._regular_day(inst.due_on)
        self._pay(day, amount, channel)
