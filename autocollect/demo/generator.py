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
    # Children are numbered: the first five streams are the same whatever comes after them.
    streams = np.random.SeedSequence(seed).spawn(6)
    terms_rng = np.random.default_rng(streams[0])
    people = _People(random.Random(int(streams[1].generate_state(1)[0])))
    vehicles = _Vehicles(random.Random(int(streams[2].generate_state(1)[0])))
    habits_rng = np.random.default_rng(streams[3])
    behaviour_rng = random.Random(int(streams[4].generate_state(1)[0]))
    address_rng = random.Random(int(streams[5].generate_state(1)[0]))

    # Loan terms, drawn column-wise.
    start = add_months(as_of, -ORIGINATION_MONTHS)
    window = (as_of - start).days
    disbursed_offsets = _origination_offsets(terms_rng, loans, window)
    city_weights = np.array([c.weight for c in ref.CITIES])
    city_idx = terms_rng.choice(len(ref.CITIES), size=loans, p=city_weights / city_weights.sum())
    car_weights = np.array([c.weight for c in ref.CAR_MODELS])
    car_idx = terms_rng.choice(len(ref.CAR_MODELS), size=loans, p=car_weights / car_weights.sum())
    price_steps = terms_rng.random(loans)
    term_values = terms_rng.choice(np.array(TERMS), size=loans, p=np.array(TERM_WEIGHTS))
    ltv_bp = np.clip(
        np.rint(terms_rng.normal(LTV_MEAN_BP, LTV_SD_BP, loans)), LTV_MIN_BP, LTV_MAX_BP
    ).astype(np.int64)
    method_values = [m for m, _ in METHOD_WEIGHTS]
    method_idx = terms_rng.choice(
        len(method_values), size=loans, p=np.array([w for _, w in METHOD_WEIGHTS])
    )
    tier_shares = np.array([t.share for t in profile.tiers])
    tier_idx = terms_rng.choice(len(profile.tiers), size=loans, p=tier_shares / tier_shares.sum())
    rate_u = terms_rng.random(loans)
    dealer_pick = terms_rng.integers(0, 2, size=loans)
    model_year_next = terms_rng.random(loans) < 0.5

    # Habits, also column-wise: personal lateness multiplier, bank debit or paying by hand.
    shape = profile.heterogeneity_shape
    multipliers = habits_rng.gamma(shape, 1.0 / shape, loans)
    autopay = habits_rng.random(loans) < profile.autopay_share
    early_days = habits_rng.integers(1, 6, size=loans)
    manual_u = habits_rng.random(loans)

    # People: sex, age at disbursement, and the day of the year of birth.
    male = habits_rng.random(loans) < MALE_SHARE
    ages = np.clip(np.rint(habits_rng.normal(36, 8, loans)), AGE_MIN, AGE_MAX).astype(np.int64)
    birth_shift = habits_rng.integers(0, 365, size=loans)
    has_email = habits_rng.random(loans) < EMAIL_SHARE
    home_city = habits_rng.random(loans) < 0.85

    loan_rows: dict[str, list[str]] = {column: [] for column in LOAN_COLUMNS}
    raw_payments: list[tuple[date, str, int, SimulatedPayment]] = []
    width = max(6, len(str(loans)))
    province_cities: dict[str, list[ref.City]] = {}
    for c in ref.CITIES:
        province_cities.setdefault(c.province, []).append(c)

    for i in range(loans):
        disbursed_on = start + timedelta(days=int(disbursed_offsets[i]))
        first_due_on = add_months(disbursed_on, 1)
        city = ref.CITIES[int(city_idx[i])]
        car = ref.CAR_MODELS[int(car_idx[i])]
        tier = profile.tiers[int(tier_idx[i])]
        term = int(term_values[i])
        method = method_values[int(method_idx[i])]
        if method is RepaymentMethod.INTEREST_FIRST and term > INTEREST_FIRST_MAX_TERM:
            method = RepaymentMethod.EQUAL_INSTALLMENT
        # List prices end in hundreds of yuan (e.g. ¥159,800).
        low, high = car.price_low_yuan // 100, car.price_high_yuan // 100
        price_fen = (low + int(price_steps[i] * (high - low + 1))) * 100 * 100
        principal_yuan = (price_fen // 100 * int(ltv_bp[i]) + 5_000) // 10_000
        principal_fen = principal_yuan * 100
        lo_bp, hi_bp = tier.rate_bp
        rate_bp = lo_bp + int(rate_u[i] * (hi_bp - lo_bp + 1))
        contract_no = f"QC{disbursed_on:%Y%m%d}{i + 1:0{width}d}"

        is_male = bool(male[i])
        surname = people.surname()
        name = surname + people.given_name(is_male)
        birth = (
            disbursed_on - relativedelta(years=int(ages[i])) - timedelta(days=int(birth_shift[i]))
        )
        id_city = city if home_city[i] else people.rng.choice(province_cities[city.province])
        area = people.rng.choice(id_city.area_codes)
        national_id = people.national_id(area, birth, is_male)
        mobile = people.mobile()
        email = people.email() if has_email[i] else ""
        contact_name, contact_mobile, relation = people.emergency_contact(surname, is_male)

        model_year = disbursed_on.year + (
            1 if disbursed_on.month >= 10 and model_year_next[i] else 0
        )
        vin = vehicles.vin(car, model_year)
        plate = vehicles.plate(city, car.energy)

        row = {
            "contract_no": contract_no,
            "borrower_name": name,
            "national_id": national_id,
            "mobile": mobile,
            "email": email,
            "province": city.province,
            "city": city.name,
            "product_code": "",
            "principal": yuan(principal_fen),
            "annual_rate": rate_text(rate_bp),
            "term_months": str(term),
            "repayment_method": method.value,
            "disbursed_on": disbursed_on.isoformat(),
            "first_due_on": first_due_on.isoformat(),
            "vin": vin,
            "plate": plate,
            "vehicle_brand": car.brand,
            "vehicle_model": car.model,
            "vehicle_year": str(model_year),
            "vehicle_price": yuan(price_fen),
            "dealer": _dealer(city, car, int(dealer_pick[i])),
            "emergency_contact_name": contact_name,
            "emergency_contact_mobile": contact_mobile,
            "emergency_contact_relation": relation,
            "address": _address(address_rng, city.province, city.name),
        }
        for column in LOAN_COLUMNS:
            loan_rows[column].append(row[column])

        # The simulation only needs the installments due by as-of (plus the few days an early
        # payer pays ahead); the amounts still come from the whole schedule.
        horizon = as_of + timedelta(days=7)
        if first_due_on > horizon:
            continue
        schedule: list[ScheduledInstallment] = []
        splits = principal_interest_split(
            principal_fen=principal_fen,
            annual_rate=Decimal(rate_bp).scaleb(-4),
            term=term,
            method=method,
        )
        for k, (principal_part, interest_part) in enumerate(splits):
            due_on = add_months(first_due_on, k)
            if due_on > horizon:
                break
            schedule.append(ScheduledInstallment(k + 1, due_on, principal_part, interest_part))
        borrower = Borrower(
            tier=tier,
            multiplier=float(multipliers[i]),
            autopay=bool(autopay[i]),
            early_days=int(early_days[i]),
            manual_channel=manual_channel(float(manual_u[i])),
        )
        for k, payment in enumerate(
            simulate_loan(
                borrower,
                schedule,
                disbursed_on=disbursed_on,
                as_of=as_of,
                profile=profile,
                rng=behaviour_rng,
            )
        ):
            raw_payments.append((payment.paid_on, contract_no, k, payment))

    raw_payments.sort(key=lambda p: (p[0], p[1], p[2]))
    payment_rows: dict[str, list[str]] = {column: [] for column in PAYMENT_COLUMNS}
    ref_width = max(7, len(str(len(raw_payments))))
    for n, (paid_on, contract_no, _, payment) in enumerate(raw_payments, start=1):
        payment_rows["payment_ref"].append(f"DP{paid_on:%Y%m%d}{n:0{ref_width}d}")
        payment_rows["contract_no"].append(contract_no)
        payment_rows["paid_on"].append(paid_on.isoformat())
        payment_rows["amount"].append(yuan(payment.amount_fen))
        payment_rows["channel"].append(payment.channel.value)

    return DemoBook(
        loans=pl.DataFrame(loan_rows, schema=dict.fromkeys(LOAN_COLUMNS, pl.String)),
        payments=pl.DataFrame(payment_rows, schema=dict.fromkeys(PAYMENT_COLUMNS, pl.String)),
        seed=seed,
        as_of=as_of,
        risk=level,
    )
