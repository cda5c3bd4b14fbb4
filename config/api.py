"""The project's single NinjaAPI; each app contributes one router from its ``api.py``.

Every operation needs a personal token (``Authorization: Bearer ac_…``) or a logged-in session
(CSRF checked for unsafe methods); what a caller may see and do is then decided per endpoint by
``autocollect.accounts.access`` (docs/roles.md). The OpenAPI schema and its page stay public:
they describe the endpoints and hold no data.

Errors (DESIGN.md, style rule 12; ``ui.api_common.error_handlers_register``): a refusal is 403,
invalid input 422, a missing or hidden object 404, each ``{"detail": message}`` in the
request's language.
"""

from __future__ import annotations

from ninja import NinjaAPI

from autocollect.accounts.api_auth import API_AUTH
from autocollect.arrangements.api import router as arrangements_router
from autocollect.compliance.api import router as compliance_router
from autocollect.delinquency.api import router as delinquency_router
from autocollect.hardcases.api import router as hardcases_router
from autocollect.hardship.api import router as hardship_router
from autocollect.legal.api import router as legal_router
from autocollect.strategy.api import router as strategy_router
from autocollect.ui.api_common import error_handlers_register
from autocollect.workbench.api import router as portfolio_router

api = NinjaAPI(
    title="autocollect API",
    version="0.1.0",
    description=(
        "车贷催收系统 API: portfolio, delinquency, compliance, strategy, and the case "
        "workflows (arrangements, hardship, legal, hard cases)."
    ),
    docs_url="/docs",
    auth=API_AUTH,
)
api.add_router("/portfolio", portfolio_router)
api.add_router("/delinquency", delinquency_router)
api.add_router("/compliance", compliance_router)
api.add_router("/strategy", strategy_router)
api.add_router("/arrangements", arrangements_router)
api.add_router("/hardship", hardship_router)
api.add_router("/legal", legal_router)
api.add_router("/hardcases", hardcases_router)

error_handlers_register(api)
