"""Who may read and act on the hard cases (docs/hard-cases.md, "Who may act"): the permission
groups and the refusal predicates, each "" when the user may go ahead, else the translated
reason. The services raise it (``core.errors.refuse``), together with the case's visibility;
the pages and the API ask the same predicates to guard a URL and to show a form only to a user
who may submit it, so that page and services cannot disagree."""

from __future__ import annotations

from autocollect.accounts.access import AnyUser, permission_refusal
from autocollect.accounts.roles import Perm
from autocollect.legal.permissions import REFERRERS

# Skip tracing and reporting a vehicle at risk: collectors, team leads, legal, risk.
ACTORS = (Perm.WORK_CASES, Perm.VIEW_TEAM, Perm.VIEW_LEGAL, Perm.MANAGE_STRATEGY)
# Who reads the pages and the API: the actors, and compliance, which investigates conduct on
# any case.
VIEWERS = (*ACTORS, Perm.INVESTIGATE_MISCONDUCT)
# Exposure assessment: risk, team leads, legal. Referral to legal: ``REFERRERS`` (team leads,
# legal), the tuple legal.services.referrals.referral_create checks.
ASSESSORS = (Perm.MANAGE_STRATEGY, Perm.VIEW_TEAM, Perm.VIEW_LEGAL)
# Registering an investigation agency (no case): team leads, legal, administrators.
AGENCY_REGISTRARS = (Perm.VIEW_TEAM, Perm.VIEW_LEGAL, Perm.ADMIN)
# Reading the agency register and downloading the signed letters: the registrars, and
# compliance, which audits the authorisations. Collectors and risk see an agency's name and
# period where they give it work (the case page), not the letter.
AGENCY_VIEWERS = (*AGENCY_REGISTRARS, Perm.INVESTIGATE_MISCONDUCT)


def act_refusal(user: AnyUser | None) -> str:
    """Acting on the hard cases at all (skip tracing, vehicle reports)."""
    return permission_refusal(user, *ACTORS)


def assess_refusal(user: AnyUser | None) -> str:
    return act_refusal(user) or permission_refusal(user, *ASSESSORS)


def refer_refusal(user: AnyUser | None) -> str:
    return act_refusal(user) or permission_refusal(user, *REFERRERS)


def agencies_refusal(user: AnyUser | None) -> str:
    """Reading the agency register and downloading the letters."""
    return permission_refusal(user, *AGENCY_VIEWERS)


def agency_register_refusal(user: AnyUser | None) -> str:
    """Registering (and revoking) an investigation agency."""
    return permission_refusal(user, *AGENCY_REGISTRARS)


# The pages show an action only when its refusal is "".


def may_act(user: AnyUser | None) -> bool:
    return not act_refusal(user)


def may_assess(user: AnyUser | None) -> bool:
    return not assess_refusal(user)


def may_refer(user: AnyUser | None) -> bool:
    return not refer_refusal(user)


def may_see_agencies(user: AnyUser | None) -> bool:
    return not agencies_refusal(user)
