"""The permission matrix and object-level access: who holds what, who sees which case."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory

from autocollect.accounts.access import has_permission, require_permission
from autocollect.accounts.models import User
from autocollect.accounts.roles import PERMISSIONS, ROLE_PERMISSIONS, Role
from autocollect.cases.selectors import (
    get_visible_case,
    restrict_borrowers,
    restrict_loans,
    restrict_vehicles,
    visible_cases,
)
from autocollect.portfolio.models import Borrower, Loan, Vehicle
from tests.accounts.conftest import World
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# The documented matrix (docs/roles.md), written out so that a change to roles.py that is not
# also a change to the documentation fails here.
MATRIX = {
    Role.COLLECTOR: {"work_cases", "reveal_pii"},
    Role.TEAM_LEAD: {"work_cases", "view_team", "reveal_pii", "view_reports"},
    Role.LEGAL: {"view_legal", "reveal_pii"},
    Role.RISK: {"manage_strategy", "view_reports"},
    Role.COMPLIANCE: {"reveal_pii", "manage_scripts", "investigate_misconduct", "view_reports"},
    Role.ADMIN: set(PERMISSIONS),
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_holds_exactly_its_documented_permissions(role: Role) -> None:
    user = make_user(f"u_{role.value}", role)
    held = {perm for perm in PERMISSIONS if has_permission(user, perm)}
    assert held == MATRIX[role] == set(ROLE_PERMISSIONS[role])


def test_a_superuser_counts_as_admin_whatever_its_role_field() -> None:
    root = User.objects.create_superuser("root", "", "pw")
    root.role = Role.COLLECTOR
    root.save()
    assert root.is_admin
    assert root.effective_role == Role.ADMIN
    assert all(has_permission(root, perm) for perm in PERMISSIONS)


def test_anonymous_and_inactive_users_hold_nothing() -> None:
    from django.contrib.auth.models import AnonymousUser

    idle = make_user("idle", Role.ADMIN)
    idle.is_active = False
    idle.save()
    for user in (AnonymousUser(), idle, None):
        assert not any(has_permission(user, perm) for perm in PERMISSIONS)


def test_an_unknown_permission_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown permission"):
        has_permission(make_user("x"), "see_everything")
    with pytest.raises(ValueError, match="unknown permission"):
        require_permission("see_everything")


def test_staff_status_follows_the_role() -> None:
    collector = make_user("c", Role.COLLECTOR)
    collector.is_staff = True
    collector.save()
    collector.refresh_from_db()
    assert collector.is_staff is False
    collector.role = Role.ADMIN
    collector.save(update_fields=["role"])
    collector.refresh_from_db()
    assert collector.is_staff is True


def _case_ids(user: User) -> set[int]:
    return set(visible_cases(user).values_list("pk", flat=True))


def test_a_collector_sees_only_the_cases_assigned_to_them(world: World) -> None:
    assert _case_ids(world.users[Role.COLLECTOR]) == {world.own_case.pk}
    assert _case_ids(world.collector_b) == {world.other_case.pk}


def test_a_team_lead_sees_their_teams_cases(world: World) -> None:
    assert _case_ids(world.users[Role.TEAM_LEAD]) == {world.own_case.pk}
    assert _case_ids(world.lead_b) == {world.other_case.pk}
    # A case of a team B agent that the planner has not put under a team is still team B's.
    world.other_case.assigned_team = None
    world.other_case.save()
    assert _case_ids(world.lead_b) == {world.other_case.pk}
    # …and a case assigned to team B with no agent yet, too.
    world.own_case.assigned_agent = None
    world.own_case.assigned_team = world.team_b
    world.own_case.save()
    assert _case_ids(world.lead_b) == {world.other_case.pk, world.own_case.pk}
    assert _case_ids(world.users[Role.TEAM_LEAD]) == set()


def test_legal_sees_the_referred_cases(world: World) -> None:
    assert _case_ids(world.users[Role.LEGAL]) == {world.referred_case.pk}


@pytest.mark.parametrize("role", [Role.RISK, Role.COMPLIANCE, Role.ADMIN])
def test_risk_compliance_and_admin_see_every_case(world: World, role: Role) -> None:
    assert _case_ids(world.users[role]) == {
        world.own_case.pk,
        world.other_case.pk,
        world.referred_case.pk,
    }


def test_a_hidden_case_is_answered_like_a_missing_one(world: World) -> None:
    collector = world.users[Role.COLLECTOR]
    assert get_visible_case(collector, world.own_case.pk) == world.own_case
    with pytest.raises(Http404) as hidden:
        get_visible_case(collector, world.other_case.pk)
    with pytest.raises(Http404) as missing:
        get_visible_case(collector, 999_999)
    assert str(hidden.value) == str(missing.value)


def test_loans_borrowers_and_vehicles_follow_the_cases(world: World) -> None:
    collector = world.users[Role.COLLECTOR]
    own = world.own_case.loan
    assert set(restrict_loans(collector, Loan.objects.all())) == {own}
    assert set(restrict_borrowers(collector, Borrower.objects.all())) == {own.borrower}
    assert set(restrict_vehicles(collector, Vehicle.objects.all())) == {own.vehicle}
    risk = world.users[Role.RISK]
    assert restrict_loans(risk, Loan.objects.all()).count() == Loan.objects.count() == 3


def test_require_permission_sends_anonymous_to_login_and_refuses_the_rest(world: World) -> None:
    @require_permission("view_team")
    def team_page(request: HttpRequest) -> HttpResponse:
        return HttpResponse("team")

    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/team/")
    request.user = AnonymousUser()
    response = team_page(request)
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/team/")
    request.user = world.users[Role.COLLECTOR]
    with pytest.raises(PermissionDenied):
        team_page(request)
    request.user = world.users[Role.TEAM_LEAD]
    assert team_page(request).content == b"team"
