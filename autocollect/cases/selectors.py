"""Reads of collection cases, starting with the one question every page and endpoint asks:
which cases (and through them which loans, borrowers and vehicles) may this user see?

A collector sees the cases assigned to them, a team lead the cases of the teams they lead, legal
the cases referred to legal, and risk, compliance and administrators all of them
(docs/roles.md). What a role may do at all is ``accounts.access.has_permission``; this module
adds the object-level rule, which needs the cases.

An object the user may not see is answered exactly like an object that does not exist (404),
so that ids cannot be probed.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from autocollect.accounts.access import AnyUser, active_user, has_permission, sees_all_cases
from autocollect.accounts.models import Team, User
from autocollect.accounts.roles import SEE_ALL_ROLES
from autocollect.cases.models import CollectionCase
from autocollect.portfolio.models import Borrower, Loan, Vehicle


def teams_led(user: User) -> QuerySet[Team]:
    return Team.objects.filter(lead=user)


def visible_cases(user: AnyUser | None) -> QuerySet[CollectionCase]:
    """The collection cases ``user`` may see (with their history: interactions, promises,
    flags, planned actions hang off the case)."""
    cases = CollectionCase.objects.all()
    active = active_user(user)
    if active is None:
        return cases.none()
    role = active.effective_role
    if role in SEE_ALL_ROLES:
        return cases
    rule = Q(pk__in=[])
    if has_permission(active, "work_cases"):
        rule |= Q(assigned_agent=active)
    if has_permission(active, "view_team"):
        led = teams_led(active)
        rule |= Q(assigned_team__in=led) | Q(
            assigned_agent__in=User.objects.filter(teams__in=led).values("pk")
        )
    if has_permission(active, "view_legal"):
        rule |= Q(legal_referred_at__isnull=False)
    return cases.filter(rule)


def get_visible_case(user: AnyUser | None, case_id: int) -> CollectionCase:
    """The case, or ``Http404`` when it does not exist or ``user`` may not see it."""
    case = visible_cases(user).select_related("loan__product").filter(pk=case_id).first()
    if case is None:
        raise Http404("case not found")
    return case


def case_refusal(user: AnyUser | None, case: CollectionCase | int) -> str:
    """Why ``user`` may not act on ``case`` (or the case of that id; "" when they see it): the
    services' object check, phrased for the person refused (the page answers a hidden case with
    404 before this)."""
    case_id = case if isinstance(case, int) else case.pk
    if not visible_cases(user).filter(pk=case_id).exists():
        return _("您无权处理该案件")
    return ""


def restrict_loans(user: AnyUser | None, loans: QuerySet[Loan]) -> QuerySet[Loan]:
    """``loans`` narrowed to those with a case ``user`` may see (all of them for the roles
    that see the whole book)."""
    if sees_all_cases(user):
        return loans
    return loans.filter(pk__in=visible_cases(user).values("loan_id"))


def restrict_borrowers(user: AnyUser | None, borrowers: QuerySet[Borrower]) -> QuerySet[Borrower]:
    if sees_all_cases(user):
        return borrowers
    loans = Loan.objects.filter(pk__in=visible_cases(user).values("loan_id"))
    return borrowers.filter(pk__in=loans.values("borrower_id"))


def restrict_vehicles(user: AnyUser | None, vehicles: QuerySet[Vehicle]) -> QuerySet[Vehicle]:
    if sees_all_cases(user):
        return vehicles
    return vehicles.filter(loan_id__in=visible_cases(user).values("loan_id"))


def loan_hidden(user: AnyUser | None, *, loan_id: int | None = None, contract_no: str = "") -> bool:
    """Whether ``user`` may not see a loan (by id or contract number). Callers still look the
    loan up and answer 404 when it is missing: a hidden loan and a missing one look the same.
    No query for the roles that see the whole book."""
    if sees_all_cases(user):
        return False
    lookup = {"pk": loan_id} if loan_id is not None else {"contract_no": contract_no}
    return not restrict_loans(user, Loan.objects.filter(**lookup)).exists()


def borrower_hidden(user: AnyUser | None, borrower_id: int) -> bool:
    if sees_all_cases(user):
        return False
    return not restrict_borrowers(user, Borrower.objects.filter(pk=borrower_id)).exists()


def vehicle_hidden(user: AnyUser | None, vehicle_id: int) -> bool:
    if sees_all_cases(user):
        return False
    return not restrict_vehicles(user, Vehicle.objects.filter(pk=vehicle_id)).exists()
