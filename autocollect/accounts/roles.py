"""Roles and the permission matrix (docs/roles.md).

A user has exactly one role. What a role may do is a set of permission codes, kept here as
data so that the matrix in the documentation, the checks in views and the authorisation test
all read the same table. A superuser counts as an administrator.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COLLECTOR = "collector", _("催收专员")
    TEAM_LEAD = "team_lead", _("组长")
    LEGAL = "legal", _("法务专家")
    RISK = "risk", _("风险管理专家")
    COMPLIANCE = "compliance", _("合规质检")
    ADMIN = "admin", _("管理员")


class Perm:
    """Permission codes. A view checks one of these, never a role."""

    WORK_CASES = "work_cases"
    VIEW_TEAM = "view_team"
    VIEW_LEGAL = "view_legal"
    REVEAL_PII = "reveal_pii"
    MANAGE_SCRIPTS = "manage_scripts"
    INVESTIGATE_MISCONDUCT = "investigate_misconduct"
    MANAGE_STRATEGY = "manage_strategy"
    VIEW_REPORTS = "view_reports"
    ADMIN = "admin"


# What each permission opens, for the documentation and the admin screen.
PERMISSION_LABELS: dict[str, str] = {
    Perm.WORK_CASES: "own queue and cases: log outcomes, record promises",
    Perm.VIEW_TEAM: "team queue, reassign, approve, pauses, alerts",
    Perm.VIEW_LEGAL: "cases referred to legal",
    Perm.REVEAL_PII: "reveal a masked field, with a reason (audited)",
    Perm.MANAGE_SCRIPTS: "collection script library (话术)",
    Perm.INVESTIGATE_MISCONDUCT: "misconduct reports: list, read, investigate",
    Perm.MANAGE_STRATEGY: "strategies, plans, queues, experiments",
    Perm.VIEW_REPORTS: "portfolio reports, roll rates, cycle runs, experiment results",
    Perm.ADMIN: "users, roles, tokens, the admin site",
}

PERMISSIONS: frozenset[str] = frozenset(PERMISSION_LABELS)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.COLLECTOR: frozenset({Perm.WORK_CASES, Perm.REVEAL_PII}),
    Role.TEAM_LEAD: frozenset(
        {Perm.WORK_CASES, Perm.VIEW_TEAM, Perm.REVEAL_PII, Perm.VIEW_REPORTS}
    ),
    Role.LEGAL: frozenset({Perm.VIEW_LEGAL, Perm.REVEAL_PII}),
    Role.RISK: frozenset({Perm.MANAGE_STRATEGY, Perm.VIEW_REPORTS}),
    Role.COMPLIANCE: frozenset(
        {Perm.REVEAL_PII, Perm.MANAGE_SCRIPTS, Perm.INVESTIGATE_MISCONDUCT, Perm.VIEW_REPORTS}
    ),
    Role.ADMIN: PERMISSIONS,
}

# Roles whose object-level view is the whole book (visible_cases returns every case).
SEE_ALL_ROLES: frozenset[str] = frozenset({Role.RISK, Role.COMPLIANCE, Role.ADMIN})
