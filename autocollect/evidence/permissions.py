"""Who may export evidence packages: the refusal predicate shared by the pages (the evidence
page, the case page's button) and the export service ("" when the user may go ahead, else the
translated reason)."""

from __future__ import annotations

from typing import Any

from autocollect.accounts.access import permission_refusal
from autocollect.accounts.roles import Perm

# Permissions that open the export; a role holding any of them may export the cases it sees.
EXPORT_PERMISSIONS: tuple[str, ...] = (Perm.VIEW_LEGAL, Perm.INVESTIGATE_MISCONDUCT, Perm.ADMIN)


def evidence_export_refusal(user: Any) -> str:
    """Why ``user`` may not export evidence packages ("" when they may): legal, compliance,
    admin."""
    return permission_refusal(user, *EXPORT_PERMISSIONS)


def may_export_evidence(user: Any) -> bool:
    return not evidence_export_refusal(user)
