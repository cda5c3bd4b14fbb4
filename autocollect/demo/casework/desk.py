"""What the demo casework modules share: the team (``Desk``) and small reads."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from django.utils import timezone

from autocollect.accounts.access import has_permission
from autocollect.accounts.models import User
from autocollect.accounts.roles import Perm
from autocollect.arrangements.models import LIVE_STATES, Arrangement
from autocollect.cases.models import CollectionCase
from autocollect.cases.selectors import visible_cases
from autocollect.core.errors import ApplicationError, Refused
from autocollect.delinquency.models import LoanDelinquency
from autocollect.demo.simulation import DayFigures, business_zone
from autocollect.hardship.models import ClaimState, HardshipClaim

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass
class Desk:
    """The demo team's back office and what it remembers during one simulation run: when a
    borrower's documents or signature will come (drawn once, when the claim is filed or the
    arrangement approved)."""

    lead: User
    legal: User
    risk: User | None
    # (claim, document type) → the day the borrower's copy reaches the collector.
    documents_on: dict[tuple[int, str], date] = field(default_factory=dict)
    # Claims whose borrower never sends anything (they lapse).
    silent: set[int] = field(default_factory=set)
    # Arrangement → the day the borrower signs it (None: never).
    signs_on: dict[int, date | None] = field(default_factory=dict)
    # Claims decided "arrangement" whose proposal was already made (or could not be).
    planned_claims: set[int] = field(default_factory=set)


def attempt(
    figures: DayFigures, step: str, service: Callable[..., T], /, **kwargs: Any
) -> T | None:
    """``service(**kwargs)``, counted in the day's figures as ``step``. A refusal (``Refused``:
    the state of the case or arrangement, or who acts) or an input the service rejects
    (``ApplicationError``) is counted as ``"<step> refused"`` and not raised, so that one case's
    state cannot stop the whole simulation; anything else (a bug) is raised."""
    try:
        result = service(**kwargs)
    except (ApplicationError, Refused) as exc:
        figures.casework[f"{step} refused"] += 1
        logger.info("demo casework %s: %s refused: %s", figures.day, step, exc.message)
        return None
    figures.casework[step] += 1
    return result


def weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    values = [value for value, _ in choices]
    return rng.choices(values, weights=[weight for _, weight in choices])[0]


def case_dpd(case: CollectionCase) -> int:
    """DPD as the day's cycle left it (0 when the loan is current)."""
    dpd = LoanDelinquency.objects.filter(loan_id=case.loan_id).values_list("dpd", flat=True).first()
    return int(dpd or 0)


def case_busy(case: CollectionCase, *, claims: bool = True) -> bool:
    """Whether the case is with legal, has a live arrangement, or (unless ``claims`` is false)
    an open hardship claim: then a call ends as usual."""
    if case.legal_referred_at is not None:
        return True
    if Arrangement.objects.filter(case=case, state__in=LIVE_STATES).exists():
        return True
    return claims and (
        HardshipClaim.objects.filter(
            case=case, state__in=[ClaimState.AWAITING_DOCUMENTS, ClaimState.READY]
        ).exists()
    )


def case_worker(case: CollectionCase, fallback: User) -> User | None:
    """Who does a collector's paperwork on the case: its collector now, else ``fallback`` (who
    filed or proposed), whoever of them still works and sees the case."""
    for user in (case.assigned_agent, fallback):
        if (
            user is not None
            and user.is_active
            and has_permission(user, Perm.WORK_CASES)
            and visible_cases(user).filter(pk=case.pk).exists()
        ):
            return user
    return None


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, business_zone()).date()


def yuan(fen: int) -> str:
    """12345678 → "123,456.78" (display only)."""
    return f"{fen // 100:,}.{fen % 100:02d}"
