"""One step of a case workflow's state machine, written once.

Repayment arrangements (``state``), hardship claims (``state``), legal referrals (``stage``)
and skip traces (``status``) each keep their state in one field and a table of the moves
allowed from each state. A move is the same for all of them:

1. lock the row (``SELECT … FOR UPDATE``), so that two users acting on one object at once are
   served one after the other;
2. refuse when the row's state is no longer the one the caller read: someone else moved it in
   between, and the caller acted on a page that is out of date;
3. refuse a move that the table does not allow from the current state;
4. set the state (and the move's other fields) and save;
5. write one audit event with the state ``before`` and ``after`` (DESIGN.md, style rule 6).

A refusal raises ``core.errors.Refused`` (403 on a page and in the API) before anything is
written. The messages belong to the
caller, already passed through its own ``gettext`` so that their msgids stay in the calling
app's catalogue: ``changed`` as it is, ``refused`` formatted with ``%(from)s`` and ``%(to)s``,
the labels of the current and the requested state.

Call it inside the caller's transaction (the services are ``@transaction.atomic``): the lock
holds until that transaction ends.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

from autocollect.audit.services import audit_record
from autocollect.core.errors import Refused

M = TypeVar("M", bound=models.Model)


def state_lock(obj: M, *, field: str, changed: str) -> M:
    """The row of ``obj``, locked for the rest of the transaction; ``Refused`` with the
    message ``changed`` when its ``field`` is no longer the value ``obj`` holds."""
    current = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    if getattr(current, field) != getattr(obj, field):
        raise Refused(changed)
    return current


def state_move(
    obj: M,
    *,
    to: str,
    field: str,
    transitions: Mapping[str, Collection[str]],
    labels: type[models.Choices],
    changed: str,
    refused: str,
    actor: str,
    action: str,
    reason: str = "",
    snapshot: Callable[[M], dict[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    fields: Iterable[str] | None = (),
) -> M:
    """Move ``obj`` to the state ``to`` and return it (saved, audited).

    ``field`` holds the state; ``transitions`` maps each state to the states it may move to;
    ``labels`` is the choices class whose labels name the states in ``refused``. The audit
    event (``actor``, ``action``, ``reason``) has ``snapshot(obj)`` before and after the move
    (by default ``{field: state}``), the after side completed by ``extra``.

    ``values`` are other fields set with the state once the move is allowed; ``fields`` names
    fields the caller already set on ``obj``. Both are saved with the state; ``fields=None``
    saves the whole row (for a caller that locked and changed the row itself)."""
    current = state_lock(obj, field=field, changed=changed)
    state = getattr(current, field)
    if to not in transitions[state]:
        raise Refused(refused % {"from": labels(state).label, "to": labels(to).label})
    take = snapshot or (lambda row: {field: getattr(row, field)})
    before = take(obj)
    setattr(obj, field, to)
    for name, value in (values or {}).items():
        setattr(obj, name, value)
    obj.save(update_fields=None if fields is None else [field, *(values or {}), *fields])
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        before=before,
        after={**take(obj), **(extra or {})},
        reason=reason,
    )
    return obj
