from decimal import Decimal

# The product a loan gets when its import row names none. Numbers are typical for Chinese auto
# finance: penalty interest 18% a year on overdue principal (ACT/360), three grace days,
# ¥1.00 tolerance, penalty → interest → principal. A lender changes them in the admin.
DEFAULT_PRODUCT = {
    "code": "AUTO-STD",
    "name": "标准车贷",
    "repayment_method": "equal_installment",
    "penalty_annual_rate": Decimal("0.180000"),
    "penalty_basis": "overdue_principal",
    "day_count": "ACT/360",
    "grace_days": 3,
    "tolerance_fen": 100,
    "allocation_order": ["penalty", "interest", "principal"],
    "holiday_rule": "none",
    "is_default": True,
}
