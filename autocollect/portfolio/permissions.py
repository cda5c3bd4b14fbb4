"""Who may add to the loan's own documents: the refusal predicate shared by the loan page and
``services.loan_document_add`` ("" when the user may go ahead, else the translated reason).

The book knows no cases: whether a user may see the loan at all is the page's check
(``cases.selectors.loan_hidden``); this is what the user's role may do."""

from __future__ import annotations

from django.utils.translation import gettext as _

from autocollect.accounts.access import has_any_permission
from autocollect.accounts.models import User
from autocollect.accounts.roles import Perm

# Who keeps the case archive: team leads, legal (who files the contract with a court) and
# administrators. Everyone who may see the loan may read its documents.
ARCHIVISTS = (Perm.VIEW_TEAM, Perm.VIEW_LEGAL, Perm.ADMIN)


def loan_document_add_refusal(actor: User) -> str:
    if not has_any_permission(actor, ARCHIVISTS):
        return _("只有组长、法务或管理员可以上传贷款档案")
    return ""
