"""Who a service acts for: a user, whose permission and view of the case the service checks
before it writes anything, or the system (a string, such as ``nightly.SYSTEM_ACTOR``), which acts
on every case (docs/hard-cases.md, "Who may act")."""

from __future__ import annotations

from collections.abc import Callable

from autocollect.accounts.models import User
from autocollect.cases.selectors import case_refusal
from autocollect.core.errors import refuse


def actor_name(actor: User | str) -> str:
    return actor if isinstance(actor, str) else actor.get_username()


def require_case(actor: User | str, case_id: int, refusal: Callable[[User], str]) -> None:
    """A user acting on a case: ``refusal`` is "" for them and they see the case, else
    ``Refused`` before anything is written. A system actor (a string, such as
    ``SYSTEM_ACTOR`` given by the nightly jobs) acts on every case."""
    if isinstance(actor, str):
        return
    refuse(refusal(actor) or case_refusal(actor, case_id))
