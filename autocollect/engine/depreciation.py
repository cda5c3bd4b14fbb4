"""The vehicle depreciation model (docs/hard-cases.md, "Depreciation model"). Pure and exact:
integer fen and basis points, one rounding (ROUND_HALF_UP) at the end.

    value = price × retention(brand class, age) × mileage factor

- ``retention`` is a table of residual value by whole year of age for each brand class,
  interpolated linearly by month between years, flat after the last year;
- the mileage factor, when the mileage is known, moves the value by 1% (100 bp) for every
  10,000 km the car is below or above the expected 20,000 km a year, between -15% and +5%.

The figures are a conservative reading of published Chinese used-car residual-value tables
(a typical mainstream car keeps about 60% after three years, premium and new-energy brands
fall faster). They are data: a lender replaces them with its appraiser's tables and bumps
``MODEL_VERSION``; every assessment records the version and the factors it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from autocollect.engine.loanmath import round_half_up

MODEL_VERSION = "cn-2026.1"
BP = 10_000

# Residual value in basis points of the purchase price at the end of year 0, 1, …, 10.
RETENTION_BP: dict[str, tuple[int, ...]] = {
    "premium": (10000, 7500, 6400, 5500, 4800, 4100, 3500, 3000, 2600, 2200, 2000),
    "mainstream": (10000, 8000, 7000, 6200, 5500, 4800, 4200, 3700, 3200, 2800, 2500),
    "domestic": (10000, 7800, 6600, 5700, 4900, 4200, 3600, 3100, 2700, 2300, 2000),
    "new_energy": (10000, 7000, 5800, 4800, 4000, 3300, 2800, 2400, 2000, 1700, 1500),
}

EXPECTED_KM_PER_YEAR = 20_000
KM_STEP = 10_000
BP_PER_STEP = 100
MILEAGE_MIN_BP = 8_500
MILEAGE_MAX_BP = 10_500

# Brand → class. Anything not listed is "mainstream" (the middle of the table), and the
# assessment says the class was defaulted so that an appraiser can correct it.
BRAND_CLASS: dict[str, str] = {
    **dict.fromkeys(
        ["奔驰", "宝马", "奥迪", "雷克萨斯", "保时捷", "沃尔沃", "凯迪拉克", "路虎", "捷豹",
         "英菲尼迪", "林肯", "讴歌", "玛莎拉蒂"],
        "premium",
    ),
    **dict.fromkeys(
        ["大众", "丰田", "本田", "日产", "别克", "福特", "现代", "起亚", "马自达", "雪佛兰",
         "斯柯达", "标致", "雪铁龙", "三菱", "Jeep"],
        "mainstream",
    ),
    **dict.fromkeys(
        ["吉利", "长城", "哈弗", "长安", "奇瑞", "传祺", "荣威", "名爵", "五菱", "宝骏", "红旗",
         "领克", "坦克", "星途", "捷途"],
        "domestic",
    ),
    **dict.fromkeys(
        ["特斯拉", "比亚迪", "蔚来", "小鹏", "理想", "零跑", "埃安", "极氪", "问界", "小米",
         "哪吒", "深蓝"],
        "new_energy",
    ),
}  # fmt: skip
DEFAULT_CLASS = "mainstream"


def brand_class(brand: str) -> tuple[str, bool]:
    """(class, known): the brand's class, and whether it came from the table."""
    cls = BRAND_CLASS.get(brand.strip())
    return (cls, True) if cls else (DEFAULT_CLASS, False)


def age_in_months(start: date, as_of: date) -> int:
    """Whole months from ``start`` to ``as_of`` (0 when ``as_of`` is earlier)."""
    months = (as_of.year - start.year) * 12 + (as_of.month - start.month)
    if as_of.day < start.day:
        months -= 1
    return max(months, 0)


def retention_bp(cls: str, age_months: int) -> Fraction:
    """Residual value share (in basis points, exact) after ``age_months`` for the class."""
    table = RETENTION_BP[cls]
    years, months = divmod(age_months, 12)
    if years >= len(table) - 1:
        return Fraction(table[-1])
    low, high = table[years], table[years + 1]
    return Fraction(low) + Fraction((high - low) * months, 12)


def mileage_bp(mileage_km: int | None, age_months: int) -> Fraction:
    """The mileage factor in basis points: 10,000 (no change) when the mileage is unknown."""
    if mileage_km is None:
        return Fraction(BP)
    expected = Fraction(EXPECTED_KM_PER_YEAR * age_months, 12)
    adjustment = -(Fraction(mileage_km) - expected) / KM_STEP * BP_PER_STEP
    return min(max(Fraction(BP) + adjustment, Fraction(MILEAGE_MIN_BP)), Fraction(MILEAGE_MAX_BP))


@dataclass(frozen=True, slots=True)
class Valuation:
    value_fen: int
    brand_class: str
    brand_known: bool
    age_months: int
    retention_bp: int
    mileage_bp: int
    model_version: str = MODEL_VERSION


def vehicle_value(
    *,
    price_fen: int,
    brand: str,
    purchased_on: date,
    as_of: date,
    mileage_km: int | None = None,
    cls: str | None = None,
) -> Valuation:
    """The car's value on ``as_of``; ``cls`` overrides the brand table (an appraiser's call)."""
    if price_fen < 0:
        raise ValueError("price_fen must not be negative")
    if mileage_km is not None and mileage_km < 0:
        raise ValueError("mileage_km must not be negative")
    if cls is not None and cls not in RETENTION_BP:
        raise ValueError(f"unknown brand class {cls!r}")
    known_cls, known = brand_class(brand)
    chosen = cls or known_cls
    age = age_in_months(purchased_on, as_of)
    retention = retention_bp(chosen, age)
    mileage = mileage_bp(mileage_km, age)
    value = round_half_up(Fraction(price_fen) * retention * mileage / (BP * BP))
    return Valuation(
        value_fen=value,
        brand_class=chosen,
        brand_known=known or cls is not None,
        age_months=age,
        retention_bp=round_half_up(retention),
        mileage_bp=round_half_up(mileage),
    )
