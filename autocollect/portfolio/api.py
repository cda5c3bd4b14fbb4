"""Read API for the portfolio (completed in its own change)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["portfolio"])
