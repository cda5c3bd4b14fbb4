"""Settings of repayment arrangements, read from ``settings.AUTOCOLLECT["ARRANGEMENTS"]``.

Every key has a default here, so a deployment sets only what it changes (docs/arrangements.md,
"Configuration"). The approval matrix is data: a role, and the largest arrangement it may
approve. ``None`` means no limit. A role not in the matrix approves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Who may approve what. max_discount_bp: the discount as a share of the balance the
    # arrangement covers, in basis points (2000 = 20 %); max_balance_fen: the balance it covers;
    # max_discount_fen: the discount in fen. A team lead approves up to 20 % and 50,000 yuan;
    # risk approves everything above.
    "APPROVERS": {
        "team_lead": {
            "max_discount_bp": 2000,
            "max_balance_fen": 5_000_000,
            "max_discount_fen": None,
        },
        "risk": {"max_discount_bp": None, "max_balance_fen": None, "max_discount_fen": None},
    },
    # Days after an installment's due date before an unpaid installment counts as broken.
    "GRACE_DAYS": 3,
    "MAX_INSTALLMENTS": 36,
    "MAX_DEFERRAL_MONTHS": 12,
}


@dataclass(frozen=True)
class ApproverLimit:
    role: str
    max_discount_bp: int | None
    max_balance_fen: int | None
    max_discount_fen: int | None

    def covers(self, *, discount_bp: int, balance_fen: int, discount_fen: int) -> bool:
        return (
            (self.max_discount_bp is None or discount_bp <= self.max_discount_bp)
            and (self.max_balance_fen is None or balance_fen <= self.max_balance_fen)
            and (self.max_discount_fen is None or discount_fen <= self.max_discount_fen)
        )


def _config() -> dict[str, Any]:
    block = getattr(settings, "AUTOCOLLECT", {}) or {}
    return {**DEFAULTS, **(block.get("ARRANGEMENTS") or {})}


def get(key: str) -> Any:
    return _config()[key]


def approver_limits() -> list[ApproverLimit]:
    """The matrix, most limited role first (the order of the settings)."""
    return [
        ApproverLimit(
            role=role,
            max_discount_bp=limits.get("max_discount_bp"),
            max_balance_fen=limits.get("max_balance_fen"),
            max_discount_fen=limits.get("max_discount_fen"),
        )
        for role, limits in get("APPROVERS").items()
    ]
