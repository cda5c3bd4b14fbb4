"""The depreciation model: table values, interpolation by month, mileage, exact rounding."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from autocollect.engine.depreciation import (
    RETENTION_BP,
    age_in_months,
    brand_class,
    vehicle_value,
)


def test_age_counts_whole_months() -> None:
    assert age_in_months(date(2024, 1, 15), date(2024, 1, 14)) == 0
    assert age_in_months(date(2024, 1, 15), date(2025, 1, 14)) == 11
    assert age_in_months(date(2024, 1, 15), date(2025, 1, 15)) == 12
    assert age_in_months(date(2024, 1, 31), date(2024, 3, 1)) == 1


def test_brand_classes_and_the_default() -> None:
    assert brand_class("宝马") == ("premium", True)
    assert brand_class("比亚迪") == ("new_energy", True)
    assert brand_class("某新品牌") == ("mainstream", False)


@pytest.mark.parametrize("cls", sorted(RETENTION_BP))
def test_tables_start_at_par_and_never_rise(cls: str) -> None:
    table = RETENTION_BP[cls]
    assert table[0] == 10_000
    assert all(a >= b for a, b in itertools.pairwise(table))


def test_a_three_year_old_mainstream_car_keeps_62_percent() -> None:
    valuation = vehicle_value(
        price_fen=12_000_000, brand="大众", purchased_on=date(2023, 3, 1), as_of=date(2026, 3, 1)
    )
    assert valuation.age_months == 36
    assert valuation.retention_bp == 6200
    assert valuation.mileage_bp == 10_000
    assert valuation.value_fen == 7_440_000


def test_between_years_the_value_is_interpolated_by_month() -> None:
    # 18 months, premium: halfway between 7500 and 6400 → 6950 bp.
    valuation = vehicle_value(
        price_fen=30_000_000, brand="宝马", purchased_on=date(2024, 9, 1), as_of=date(2026, 3, 1)
    )
    assert valuation.retention_bp == 6950
    assert valuation.value_fen == 20_850_000


def test_high_mileage_lowers_and_low_mileage_raises_within_limits() -> None:
    base = {"price_fen": 10_000_000, "brand": "大众", "purchased_on": date(2024, 3, 1)}
    as_of = date(2026, 3, 1)  # 24 months: expected 40,000 km, retention 7000 bp
    high = vehicle_value(**base, as_of=as_of, mileage_km=70_000)  # type: ignore[arg-type]
    assert high.mileage_bp == 9_700  # 30,000 km over → -3%
    assert high.value_fen == 6_790_000
    low = vehicle_value(**base, as_of=as_of, mileage_km=20_000)  # type: ignore[arg-type]
    assert low.mileage_bp == 10_200
    extreme = vehicle_value(**base, as_of=as_of, mileage_km=400_000)  # type: ignore[arg-type]
    assert extreme.mileage_bp == 8_500
    tiny = vehicle_value(**base, as_of=as_of, mileage_km=0)  # type: ignore[arg-type]
    assert tiny.mileage_bp == 10_400


def test_old_cars_stay_at_the_floor_and_rounding_is_half_up() -> None:
    old = vehicle_value(
        price_fen=8_000_000, brand="吉利", purchased_on=date(2010, 1, 1), as_of=date(2026, 1, 1)
    )
    assert old.retention_bp == 2000
    assert old.value_fen == 1_600_000
    # 1 month of a mainstream car: 10000 - 2000/12 = 9833.33… bp; 101 fen × that = 99.3 fen.
    odd = vehicle_value(
        price_fen=101, brand="大众", purchased_on=date(2026, 1, 1), as_of=date(2026, 2, 1)
    )
    assert odd.value_fen == 99
    # 15 fen at 7000 bp (two years, mainstream) is 10.5 fen: half up → 11.
    half = vehicle_value(
        price_fen=15, brand="大众", purchased_on=date(2024, 1, 1), as_of=date(2026, 1, 1)
    )
    assert half.retention_bp == 7000
    assert half.value_fen == 11


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="price_fen"):
        vehicle_value(
            price_fen=-1, brand="大众", purchased_on=date(2026, 1, 1), as_of=date(2026, 1, 1)
        )
    with pytest.raises(ValueError, match="brand class"):
        vehicle_value(
            price_fen=1,
            brand="大众",
            purchased_on=date(2026, 1, 1),
            as_of=date(2026, 1, 1),
            cls="x",
        )
