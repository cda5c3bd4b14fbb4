"""Seed → a synthetic auto-loan book in the import formats (``loans`` and ``payments`` frames).

Pure: no Django, no database, no clock. The same ``(loans, seed, as_of, risk)`` gives
byte-identical frames. Independent parts of the book (people, vehicles, loan terms, repayment
behaviour) draw from independent child streams of one ``numpy.random.SeedSequence``, so that a
change in one part does not reshuffle the others.

Money is integer fen throughout and is written as yuan strings with two decimals at the end.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl
from dateutil.relativedelta import relativedelta

from autocollect.core.ids import national_id_check_digit, vin_check_digit
from autocollect.demo import reference as ref
from autocollect.demo.behaviour import (
    PROFILES,
    Borrower,
    RiskLevel,
    RiskProfile,
    SimulatedPayment,
    Tier,
    manual_channel,
    simulate_loan,
)
from autocollect.engine.loanmath import (
    RepaymentMethod,
    ScheduledInstallment,
    add_months,
    principal_interest_split,
)

DEFAULT_SEED = 20261129
# Loans are originated over this many months before the as-of date, so the book has seasoning.
ORIGINATION_MONTHS = 36
# Yearly growth of new lending: recent months hold more loans than old ones.
ORIGINATION_GROWTH = 0.20

TERMS = (12, 18, 24, 36, 48, 60)
TERM_WEIGHTS = (0.06, 0.02, 0.15, 0.37, 0.14, 0.26)  # mean 40.3 months
LTV_MEAN_BP, LTV_SD_BP, LTV_MIN_BP, LTV_MAX_BP = 6_700, 700, 5_000, 8_000
# 先息后本 is offered on short terms only: the whole principal falls due at the end.
INTEREST_FIRST_MAX_TERM = 24
METHOD_WEIGHTS = (
    (RepaymentMethod.EQUAL_INSTALLMENT, 0.85),
    (RepaymentMethod.EQUAL_PRINCIPAL, 0.08),
    (RepaymentMethod.INTEREST_FIRST, 0.07),
)
MALE_SHARE = 0.72
EMAIL_SHARE = 0.30
AGE_MIN, AGE_MAX = 22, 60

LOAN_COLUMNS = (
    "contract_no", "borrower_name", "national_id", "mobile", "email", "province", "city",
    "product_code", "principal", "annual_rate", "term_months", "repayment_method",
    "disbursed_on", "first_due_on", "vin", "plate", "vehicle_brand", "vehicle_model",
    "vehicle_year", "vehicle_price", "dealer", "emergency_contact_name",
    "emergency_contact_mobile", "emergency_contact_relation", "address",
)  # fmt: skip
# Registered addresses (letters go there): common road names, house numbers, flats.
ROADS = (
    "人民路", "中山路", "解放路", "建设路", "和平路", "新华路", "文化路", "胜利路", "光明路",
    "友谊路", "青年路", "长江路", "黄河路", "朝阳路", "东风路", "育才路", "花园路", "幸福路",
)  # fmt: skip
PAYMENT_COLUMNS = ("payment_ref", "contract_no", "paid_on", "amount", "channel")


@dataclass(frozen=True, slots=True)
class DemoBook:
    """A generated book: the two import frames (every column a string) and how it was made."""

    loans: pl.DataFrame
    payments: pl.DataFrame
    seed: int
    as_of: date
    risk: RiskLevel


def yuan(fen: int) -> str:
    """Integer fen → ``"1234.56"``, the import format (no thousands separator, no sign)."""
    return f"{fen // 100}.{fen % 100:02d}"


def rate_text(basis_points: int) -> str:
    """688 basis points → ``"0.0688"``."""
    return str(Decimal(basis_points).scaleb(-4).quantize(Decimal("0.0001")))


class _Unique:
    """Draws until a value not seen before comes up (collisions are rare; this keeps IDs,
    mobiles, VINs and plates unique across the whole book)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def draw(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in self.seen:
                self.seen.add(value)
                return value


def _weights(pairs: tuple[tuple[str, float], ...]) -> tuple[list[str], list[float]]:
    return [p[0] for p in pairs], [p[1] for p in pairs]


class _People:
    """Names, resident IDs, mobiles and emails, from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.surnames, self.surname_weights = _weights(ref.SURNAMES)
        self.prefixes, self.prefix_weights = _weights(ref.MOBILE_PREFIXES)
        self.domains, self.domain_weights = _weights(ref.EMAIL_DOMAINS)
        self.relations, self.relation_weights = _weights(ref.RELATIONS)
        self.ids = _Unique()
        self.mobiles = _Unique()
        self.emails = _Unique()

    def surname(self) -> str:
        return self.rng.choices(self.surnames, self.surname_weights)[0]

    def given_name(self, male: bool) -> str:
        lead, chars = (
            (ref.MALE_LEAD, ref.MALE_CHARS) if male else (ref.FEMALE_LEAD, ref.FEMALE_CHARS)
        )
        second = self.rng.choice(chars)
        if self.rng.random() < 0.15:
            return second
        first = self.rng.choice(lead)
        # A doubled character (婷婷, 欣欣) is common for women, rare for men otherwise.
        if not male and self.rng.random() < 0.05:
            return second * 2
        return first + second if first != second else first + self.rng.choice(chars)

    def national_id(self, area_code: str, birth: date, male: bool) -> str:
        def make() -> str:
            # Sequence code: two digits, then an odd digit for men and an even one for women.
            parity = self.rng.randrange(0, 10, 2) + (1 if male else 0)
            body = f"{area_code}{birth:%Y%m%d}{self.rng.randrange(100):02d}{parity}"
            return body + national_id_check_digit(body)

        return self.ids.draw(make)

    def mobile(self) -> str:
        return self.mobiles.draw(
            lambda: (
                self.rng.choices(self.prefixes, self.prefix_weights)[0]
                + f"{self.rng.randrange(10**8):08d}"
            )
        )

    def email(self) -> str:
        def make() -> str:
            domain = self.rng.choices(self.domains, self.domain_weights)[0]
            if domain in ("qq.com", "foxmail.com"):
                local = str(self.rng.randrange(10**5, 10**10))
            else:
                letters = "".join(self.rng.choices("abcdefghijklmnopqrstuvwxyz", k=5))
                local = f"{letters}{self.rng.randrange(100, 10_000)}"
            return f"{local}@{domain}"

        return self.emails.draw(make)

    def emergency_contact(self, surname: str, male: bool) -> tuple[str, str, str]:
        relation = self.rng.choices(self.relations, self.relation_weights)[0]
        if relation == "配偶":
            name = self.surname() + self.given_name(not male)
        elif relation in ("父亲", "兄弟"):
            name = surname + self.given_name(True)
        elif relation == "姐妹":
            name = surname + self.given_name(False)
        elif relation == "母亲":
            name = self.surname() + self.given_name(False)
        else:
            name = self.surname() + self.given_name(self.rng.random() < 0.6)
        return name, self.mobile(), relation


class _Vehicles:
    """VINs and plates, from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.vins = _Unique()
        self.plates = _Unique()

    def vin(self, car: ref.CarModel, model_year: int) -> str:
        # Positions 4-6 identify the model line and stay fixed per model (derived from its name
        # with CRC-32, which unlike ``hash`` is stable across processes); 7-8 vary by trim.
        line = zlib.crc32(f"{car.maker}{car.model}".encode())
        chars = ref.VIN_CHARS
        model_code = "".join(chars[(line >> (5 * i)) % len(chars)] for i in range(3))
        plant = chars[(line >> 20) % 10]
        year_code = ref.MODEL_YEAR_CODES[model_year]

        def make() -> str:
            trim = "".join(self.rng.choices(chars, k=2))
            serial = f"{self.rng.randrange(10**6):06d}"
            body = f"{car.wmi}{model_code}{trim}0{year_code}{plant}{serial}"
            return body[:8] + vin_check_digit(body) + body[9:]

        return self.vins.draw(make)

    def plate(self, city: ref.City, energy: ref.Energy) -> str:
        def make() -> str:
            prefix = city.plate_province + self.rng.choice(city.plate_letters)
            if energy is not ref.Energy.ICE:
                # Green new-energy plate: D (battery) or F (hybrid), then a letter or digit,
                # then four digits.
                head = "D" if energy is ref.Energy.BEV else "F"
                second = self.rng.choice(ref.PLATE_LETTERS + "0123456789")
                return f"{prefix}{head}{second}{self.rng.randrange(10_000):04d}"
            chars = [str(self.rng.randrange(10)) for _ in range(5)]
            letters = self.rng.choices((0, 1, 2), weights=(0.45, 0.40, 0.15))[0]
            for position in self.rng.sample(range(5), letters):
                chars[position] = self.rng.choice(ref.PLATE_LETTERS)
            return prefix + "".join(chars)

        return self.plates.draw(make)


def _dealer(city: ref.City, car: ref.CarModel, pick: int) -> str:
    # Each city has two dealers of each maker; the trade name is a stable function of both.
    key = zlib.crc32(f"{city.name}{car.maker}".encode())
    trade = ref.DEALER_TRADE_NAMES[(key + pick) % len(ref.DEALER_TRADE_NAMES)]
    return f"{city.short_name}{trade}{car.brand}汽车销售服务有限公司"


def _address(rng: random.Random, province: str, city: str) -> str:
    place = city if city.startswith(province) else province + city
    return (
        f"{place}{rng.choice(ROADS)}{rng.randint(1, 999)}号"
        f"{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(1, 32)}0{rng.randint(1, 4)}室"
    )


def _origination_offsets(rng: np.random.Generator, n: int, days: int) -> np.ndarray:
    """Day offsets in ``[0, days)`` whose density grows by ORIGINATION_GROWTH a year."""
    g = math.log1p(ORIGINATION_GROWTH) / 365.0
    u = rng.random(n)
    offsets = np.floor(np.log1p(u * math.expm1(g * days)) / g).astype(np.int64)
    return np.sort(np.clip(offsets, 0, days - 1))


def generate(
    *,
    loans: int = 5000,
    seed: int = DEFAULT_SEED,
    as_of: date,
    risk: RiskLevel | str = RiskLevel.NORMAL,
) -> DemoBook:
    """Generate ``loans`` loans disbursed over the 36 months before ``as_of`` and every
    payment made on them up to and including ``as_of``."""
    if loans < 1:
        raise ValueError("the demo book needs at least one loan")
    level = RiskLevel(risk)
    profile: RiskProfile = PROFILES[level]
    streams = _Streams.spawn(seed)
    start = add_months(as_of, -ORIGINATION_MONTHS)
    draws = _draw_terms(streams.terms, loans, (as_of - start).days, profile)
    habits = _draw_habits(streams.habits, loans, profile)

    loan_rows: dict[str, list[str]] = {column: [] for column in LOAN_COLUMNS}
    raw_payments: list[tuple[date, str, int, SimulatedPayment]] = []
    width = max(6, len(str(loans)))
    province_cities: dict[str, list[ref.City]] = {}
    for c in ref.CITIES:
        province_cities.setdefault(c.province, []).append(c)

    for i in range(loans):
        terms = _loan_terms(i, draws, profile, start, width)
        row = _loan_row(terms, habits.person(i), streams, province_cities)
        for column in LOAN_COLUMNS:
            loan_rows[column].append(row[column])
        payments = _repayments(terms, habits.borrower(i, terms.tier), as_of, profile, streams)
        for k, payment in enumerate(payments):
            raw_payments.append((payment.paid_on, terms.contract_no, k, payment))

    return DemoBook(
        loans=pl.DataFrame(loan_rows, schema=dict.fromkeys(LOAN_COLUMNS, pl.String)),
        payments=_payments_frame(raw_payments),
        seed=seed,
        as_of=as_of,
        risk=level,
    )


@dataclass(frozen=True)
class _Streams:
    """One random stream per independent part of the book (see the module docstring)."""

    terms: np.random.Generator
    people: _People
    vehicles: _Vehicles
    habits: np.random.Generator
    behaviour: random.Random
    addresses: random.Random

    @classmethod
    def spawn(cls, seed: int) -> _Streams:
        # Children are numbered: the first five streams are the same whatever comes after them.
        streams = np.random.SeedSequence(seed).spawn(6)
        return cls(
            terms=np.random.default_rng(streams[0]),
            people=_People(random.Random(int(streams[1].generate_state(1)[0]))),
            vehicles=_Vehicles(random.Random(int(streams[2].generate_state(1)[0]))),
            habits=np.random.default_rng(streams[3]),
            behaviour=random.Random(int(streams[4].generate_state(1)[0])),
            addresses=random.Random(int(streams[5].generate_state(1)[0])),
        )


@dataclass(frozen=True)
class _TermDraws:
    """Loan terms, drawn column-wise: one entry per loan."""

    disbursed_offsets: np.ndarray
    city_idx: np.ndarray
    car_idx: np.ndarray
    price_steps: np.ndarray
    term_values: np.ndarray
    ltv_bp: np.ndarray
    method_idx: np.ndarray
    tier_idx: np.ndarray
    rate_u: np.ndarray
    dealer_pick: np.ndarray
    model_year_next: np.ndarray


def _draw_terms(
    rng: np.random.Generator, loans: int, window: int, profile: RiskProfile
) -> _TermDraws:
    # Keyword arguments are evaluated in the order written: that is the order of the draws.
    city_weights = np.array([c.weight for c in ref.CITIES])
    car_weights = np.array([c.weight for c in ref.CAR_MODELS])
    tier_shares = np.array([t.share for t in profile.tiers])
    return _TermDraws(
        disbursed_offsets=_origination_offsets(rng, loans, window),
        city_idx=rng.choice(len(ref.CITIES), size=loans, p=city_weights / city_weights.sum()),
        car_idx=rng.choice(len(ref.CAR_MODELS), size=loans, p=car_weights / car_weights.sum()),
        price_steps=rng.random(loans),
        term_values=rng.choice(np.array(TERMS), size=loans, p=np.array(TERM_WEIGHTS)),
        ltv_bp=np.clip(
            np.rint(rng.normal(LTV_MEAN_BP, LTV_SD_BP, loans)), LTV_MIN_BP, LTV_MAX_BP
        ).astype(np.int64),
        method_idx=rng.choice(
            len(METHOD_WEIGHTS), size=loans, p=np.array([w for _, w in METHOD_WEIGHTS])
        ),
        tier_idx=rng.choice(len(profile.tiers), size=loans, p=tier_shares / tier_shares.sum()),
        rate_u=rng.random(loans),
        dealer_pick=rng.integers(0, 2, size=loans),
        model_year_next=rng.random(loans) < 0.5,
    )


@dataclass(frozen=True, slots=True)
class _Person:
    """What the habits say about one borrower as a person."""

    male: bool
    age: int
    birth_shift: int  # days before the birthday in the year of disbursement
    has_email: bool
    home_city: bool  # the ID was issued in the city of the loan


@dataclass(frozen=True)
class _HabitDraws:
    """Habits and people, drawn column-wise: personal lateness multiplier, bank debit or
    paying by hand; sex, age at disbursement and the day of the year of birth."""

    multipliers: np.ndarray
    autopay: np.ndarray
    early_days: np.ndarray
    manual_u: np.ndarray
    male: np.ndarray
    ages: np.ndarray
    birth_shift: np.ndarray
    has_email: np.ndarray
    home_city: np.ndarray

    def person(self, i: int) -> _Person:
        return _Person(
            male=bool(self.male[i]),
            age=int(self.ages[i]),
            birth_shift=int(self.birth_shift[i]),
            has_email=bool(self.has_email[i]),
            home_city=bool(self.home_city[i]),
        )

    def borrower(self, i: int, tier: Tier) -> Borrower:
        return Borrower(
            tier=tier,
            multiplier=float(self.multipliers[i]),
            autopay=bool(self.autopay[i]),
            early_days=int(self.early_days[i]),
            manual_channel=manual_channel(float(self.manual_u[i])),
        )


def _draw_habits(rng: np.random.Generator, loans: int, profile: RiskProfile) -> _HabitDraws:
    # Keyword arguments are evaluated in the order written: that is the order of the draws.
    shape = profile.heterogeneity_shape
    return _HabitDraws(
        multipliers=rng.gamma(shape, 1.0 / shape, loans),
        autopay=rng.random(loans) < profile.autopay_share,
        early_days=rng.integers(1, 6, size=loans),
        manual_u=rng.random(loans),
        male=rng.random(loans) < MALE_SHARE,
        ages=np.clip(np.rint(rng.normal(36, 8, loans)), AGE_MIN, AGE_MAX).astype(np.int64),
        birth_shift=rng.integers(0, 365, size=loans),
        has_email=rng.random(loans) < EMAIL_SHARE,
        home_city=rng.random(loans) < 0.85,
    )


@dataclass(frozen=True, slots=True)
class _Terms:
    """One loan's terms, as its row and its repayment need them."""

    contract_no: str
    disbursed_on: date
    first_due_on: date
    city: ref.City
    car: ref.CarModel
    tier: Tier
    term: int
    method: RepaymentMethod
    price_fen: int
    principal_fen: int
    rate_bp: int
    model_year: int
    dealer_pick: int


def _loan_terms(i: int, draws: _TermDraws, profile: RiskProfile, start: date, width: int) -> _Terms:
    disbursed_on = start + timedelta(days=int(draws.disbursed_offsets[i]))
    car = ref.CAR_MODELS[int(draws.car_idx[i])]
    tier = profile.tiers[int(draws.tier_idx[i])]
    term = int(draws.term_values[i])
    method = METHOD_WEIGHTS[int(draws.method_idx[i])][0]
    if method is RepaymentMethod.INTEREST_FIRST and term > INTEREST_FIRST_MAX_TERM:
        method = RepaymentMethod.EQUAL_INSTALLMENT
    # List prices end in hundreds of yuan (e.g. ¥159,800).
    low, high = car.price_low_yuan // 100, car.price_high_yuan // 100
    price_fen = (low + int(draws.price_steps[i] * (high - low + 1))) * 100 * 100
    principal_yuan = (price_fen // 100 * int(draws.ltv_bp[i]) + 5_000) // 10_000
    lo_bp, hi_bp = tier.rate_bp
    return _Terms(
        contract_no=f"QC{disbursed_on:%Y%m%d}{i + 1:0{width}d}",
        disbursed_on=disbursed_on,
        first_due_on=add_months(disbursed_on, 1),
        city=ref.CITIES[int(draws.city_idx[i])],
        car=car,
        tier=tier,
        term=term,
        method=method,
        price_fen=price_fen,
        principal_fen=principal_yuan * 100,
        rate_bp=lo_bp + int(draws.rate_u[i] * (hi_bp - lo_bp + 1)),
        model_year=disbursed_on.year
        + (1 if disbursed_on.month >= 10 and draws.model_year_next[i] else 0),
        dealer_pick=int(draws.dealer_pick[i]),
    )


def _borrower_columns(
    people: _People, terms: _Terms, person: _Person, province_cities: dict[str, list[ref.City]]
) -> dict[str, str]:
    """Name, ID, mobile, email and emergency contact, drawn in this order from ``people``."""
    city = terms.city
    surname = people.surname()
    name = surname + people.given_name(person.male)
    birth = (
        terms.disbursed_on - relativedelta(years=person.age) - timedelta(days=person.birth_shift)
    )
    id_city = city if person.home_city else people.rng.choice(province_cities[city.province])
    area = people.rng.choice(id_city.area_codes)
    national_id = people.national_id(area, birth, person.male)
    mobile = people.mobile()
    email = people.email() if person.has_email else ""
    contact_name, contact_mobile, relation = people.emergency_contact(surname, person.male)
    return {
        "borrower_name": name,
        "national_id": national_id,
        "mobile": mobile,
        "email": email,
        "emergency_contact_name": contact_name,
        "emergency_contact_mobile": contact_mobile,
        "emergency_contact_relation": relation,
    }


def _loan_row(
    terms: _Terms,
    person: _Person,
    streams: _Streams,
    province_cities: dict[str, list[ref.City]],
) -> dict[str, str]:
    """The loan's row in the import format, every column a string."""
    city, car = terms.city, terms.car
    borrower = _borrower_columns(streams.people, terms, person, province_cities)
    vin = streams.vehicles.vin(car, terms.model_year)
    plate = streams.vehicles.plate(city, car.energy)
    return {
        **borrower,
        "contract_no": terms.contract_no,
        "province": city.province,
        "city": city.name,
        "product_code": "",
        "principal": yuan(terms.principal_fen),
        "annual_rate": rate_text(terms.rate_bp),
        "term_months": str(terms.term),
        "repayment_method": terms.method.value,
        "disbursed_on": terms.disbursed_on.isoformat(),
        "first_due_on": terms.first_due_on.isoformat(),
        "vin": vin,
        "plate": plate,
        "vehicle_brand": car.brand,
        "vehicle_model": car.model,
        "vehicle_year": str(terms.model_year),
        "vehicle_price": yuan(terms.price_fen),
        "dealer": _dealer(city, car, terms.dealer_pick),
        "address": _address(streams.addresses, city.province, city.name),
    }


def _repayments(
    terms: _Terms, borrower: Borrower, as_of: date, profile: RiskProfile, streams: _Streams
) -> list[SimulatedPayment]:
    """The payments made on the loan by ``as_of`` (``behaviour.simulate_loan``)."""
    # The simulation only needs the installments due by as-of (plus the few days an early
    # payer pays ahead); the amounts still come from the whole schedule.
    horizon = as_of + timedelta(days=7)
    if terms.first_due_on > horizon:
        return []
    schedule: list[ScheduledInstallment] = []
    splits = principal_interest_split(
        principal_fen=terms.principal_fen,
        annual_rate=Decimal(terms.rate_bp).scaleb(-4),
        term=terms.term,
        method=terms.method,
    )
    for k, (principal_part, interest_part) in enumerate(splits):
        due_on = add_months(terms.first_due_on, k)
        if due_on > horizon:
            break
        schedule.append(ScheduledInstallment(k + 1, due_on, principal_part, interest_part))
    return simulate_loan(
        borrower,
        schedule,
        disbursed_on=terms.disbursed_on,
        as_of=as_of,
        profile=profile,
        rng=streams.behaviour,
    )


def _payments_frame(raw_payments: list[tuple[date, str, int, SimulatedPayment]]) -> pl.DataFrame:
    """The payments in date order (then contract, then order on the loan), numbered."""
    raw_payments.sort(key=lambda p: (p[0], p[1], p[2]))
    payment_rows: dict[str, list[str]] = {column: [] for column in PAYMENT_COLUMNS}
    ref_width = max(7, len(str(len(raw_payments))))
    for n, (paid_on, contract_no, _, payment) in enumerate(raw_payments, start=1):
        payment_rows["payment_ref"].append(f"DP{paid_on:%Y%m%d}{n:0{ref_width}d}")
        payment_rows["contract_no"].append(contract_no)
        payment_rows["paid_on"].append(paid_on.isoformat())
        payment_rows["amount"].append(yuan(payment.amount_fen))
        payment_rows["channel"].append(payment.channel.value)
    return pl.DataFrame(payment_rows, schema=dict.fromkeys(PAYMENT_COLUMNS, pl.String))
