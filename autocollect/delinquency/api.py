"""Delinquency API: cycle runs, a loan's state, roll rates, pauses.

A token or a session (``config/api.py``). Cycle runs and roll rates are reports
(``view_reports`` or ``manage_strategy``); a loan's state follows the loan's visibility; a pause
needs ``view_team`` and a visible loan (docs/roles.md).
"""

# Ninja resolves annotations at import time: no ``from __future__ import annotations``.
from datetime import date
from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import AfterValidator, ConfigDict

from autocollect.accounts.api_auth import require_api_permission
from autocollect.cases import selectors as case_selectors
from autocollect.delinquency import selectors
from autocollect.delinquency.models import CycleRun, LoanDelinquency, PauseReason
from autocollect.delinquency.services import loan_pause
from autocollect.portfolio.models import Loan
from autocollect.ui.api_common import in_window

router = Router(tags=["delinquency"])


class CycleRunOut(Schema):
    as_of: date
    started_at: Any
    finished_at: Any
    stats: dict[str, Any]


class LoanStateOut(Schema):
    contract_no: str
    as_of: date | None
    dpd: int
    bucket: str
    oldest_due_on: date | None
    overdue_principal_fen: int
    overdue_interest_fen: int
    overdue_penalty_fen: int
    overdue_total_fen: int
    penalty_today_fen: int
    movement: str


class RollRateQuery(Schema):
    year: int = Field(..., ge=2000, le=2100)
    month: int = Field(..., ge=1, le=12)


class RollRateOut(Schema):
    from_date: date
    to_date: date
    buckets: list[str]
    counts: dict[str, dict[str, int]]
    balances_fen: dict[str, dict[str, int]]
    roll_forward_bp: dict[str, int]


PauseDate = Annotated[date, AfterValidator(in_window("pause"))]


class PauseIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contract_no": "HT-2024-000123",
                    "start_on": "2026-03-02",
                    "end_on": "2026-03-31",
                    "reason": "dispute",
                    "note": "借款人对罚息有异议，核查中",
                }
            ]
        }
    )

    contract_no: str
    start_on: PauseDate
    end_on: PauseDate
    reason: str = Field(..., description=f"one of {', '.join(PauseReason.values)}")
    note: str = ""


class PauseOut(Schema):
    id: int
    contract_no: str
    start_on: date
    end_on: date
    reason: str


@router.get("/runs", response=list[CycleRunOut], summary="日批记录")
def list_runs(request: HttpRequest, limit: int = 30) -> Any:
    require_api_permission(request, "view_reports", "manage_strategy")
    return CycleRun.objects.order_by("-as_of")[: max(1, min(limit, 366))]


@router.get("/loans/{contract_no}", response=LoanStateOut, summary="贷款逾期状态")
def loan_state(request: HttpRequest, contract_no: str) -> Any:
    visible = case_selectors.restrict_loans(request.user, Loan.objects.all())
    loan = get_object_or_404(visible, contract_no=contract_no)
    state = LoanDelinquency.objects.filter(loan=loan).first()
    last = CycleRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    if state is None:
        return {
            "contract_no": contract_no,
            "as_of": last,
            "dpd": 0,
            "bucket": "M0",
            "oldest_due_on": None,
            "overdue_principal_fen": 0,
            "overdue_interest_fen": 0,
            "overdue_penalty_fen": 0,
            "overdue_total_fen": 0,
            "penalty_today_fen": 0,
            "movement": "current",
        }
    return {
        "contract_no": contract_no,
        **{f: getattr(state, f) for f in LoanStateOut.model_fields if f != "contract_no"},
    }


@router.get("/roll-rates", response={200: RollRateOut, 404: dict[str, str]}, summary="迁徙率矩阵")
def roll_rates(request: HttpRequest, query: Query[RollRateQuery]) -> Any:
    require_api_permission(request, "view_reports", "manage_strategy")
    matrix = selectors.roll_rate_matrix(year=query.year, month=query.month)
    if matrix is None:
        return Status(
            404, {"detail": "no completed cycle at the end of this month or the month before"}
        )
    return Status(200, matrix)


@router.post("/pauses", response={201: PauseOut}, summary="暂停计逾")
def create_pause(request: HttpRequest, payload: PauseIn) -> Any:
    require_api_permission(request, "view_team")
    loans = case_selectors.restrict_loans(request.user, Loan.objects.all())
    loan = loans.filter(contract_no=payload.contract_no).first()
    if loan is None:
        raise HttpError(404, _("合同编号 %(no)s 不存在") % {"no": payload.contract_no})
    with transaction.atomic():
        pause = loan_pause(
            loan=loan,
            start_on=payload.start_on,
            end_on=payload.end_on,
            reason=payload.reason,
            note=payload.note,
            actor=request.user.get_username(),
        )
    return Status(
        201,
        {
            "id": pause.pk,
            "contract_no": loan.contract_no,
            "start_on": pause.start_on,
            "end_on": pause.end_on,
            "reason": pause.reason,
        },
    )
