"""Hooks: how a lower floor lets a higher one take part in its work without importing it
(docs/architecture.md, "Layers").

A hook is declared here, once, with what it passes and what it expects back; the app on the
lower floor calls it; the app on the higher floor registers its function in its
``AppConfig.ready()``. Nothing is found by name or by reflection: a hook with no registered
function does nothing, and ``registered()`` tells a test who takes part.

The hooks of the product:

``cycle_date_judged(as_of: date) -> JSON-able``
    Called by the daily cycle (``delinquency.services.cycle_run``) inside the transaction of
    one as-of date, after DPD, cases and promises are written and before the date is recorded
    as complete, so that a later cycle never skips what a hook did not finish. The repayment
    arrangements app judges its arrangements kept or broken here; what each function returns
    is kept in the cycle's figures under its key.

``case_evidence(case: cases.models.CollectionCase) -> cases.evidence.EvidencePart``
    Called by the evidence package (``evidence.selectors.case_record``) for the case it
    packages. Each casework app that keeps records about a case (arrangements, hardship,
    legal, hard cases) returns its tables and the stored files its rows name
    (docs/evidence.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hook:
    """A named extension point: ``key → function``, called in registration order."""

    name: str
    _functions: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def register(self, key: str, function: Callable[..., Any]) -> None:
        """Add ``function`` under ``key`` (the registering app's label). Registering the same
        key again replaces the function (``ready()`` may run more than once in tests)."""
        self._functions[key] = function

    def unregister(self, key: str) -> None:
        self._functions.pop(key, None)

    def registered(self) -> tuple[str, ...]:
        return tuple(self._functions)

    def call(self, **kwargs: Any) -> dict[str, Any]:
        """Call every function with ``kwargs``; their answers by key."""
        return {key: function(**kwargs) for key, function in self._functions.items()}


cycle_date_judged = Hook("cycle_date_judged")
case_evidence = Hook("case_evidence")
