"""Revealing a masked field: a permission, a stated reason, and an audit event either way."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from autocollect.accounts.roles import Role
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CollectionCase
from autocollect.cases.reveal import reveal
from autocollect.core.errors import ApplicationError
from autocollect.portfolio.models import Borrower
from tests.factories import make_borrower, make_contact, make_loan, make_user

pytestmark = pytest.mark.django_db

NATIONAL_ID = "11010519491231002X"
MOBILE = "+8613812345678"


@pytest.fixture
def borrower() -> Borrower:
    return make_borrower(national_id=NATIONAL_ID)


def _own_case(user, borrower: Borrower) -> None:
    CollectionCase.objects.create(
        loan=make_loan(borrower=borrower),
        opened_on=date(2026, 3, 1),
        opened_dpd=4,
        opened_bucket="M1",
        assigned_agent=user,
    )


def _last_event() -> Any:
    return AuditEvent.objects.latest("id")


def _no_clear_value_in(event: Any, *values: str) -> None:
    text = f"{event.before} {event.after} {event.reason} {event.object_id}"
    for value in values:
        assert value not in text


def test_a_collector_with_a_reason_sees_the_clear_value_and_it_is_audited(borrower):
    collector = make_user("zhang", Role.COLLECTOR)
    _own_case(collector, borrower)
    mobile = make_contact(borrower, value=MOBILE)
    assert reveal(user=collector, obj=borrower, field="national_id", reason="核对身份") == (
        NATIONAL_ID
    )
    event = _last_event()
    assert (event.action, event.actor, event.reason) == ("pii.reveal", "zhang", "核对身份")
    assert (event.object_type, event.object_id) == ("portfolio.borrower", str(borrower.pk))
    assert event.after == {"field": "national_id", "masked": "110105********002X"}
    _no_clear_value_in(event, NATIONAL_ID)
    assert reveal(user=collector, obj=mobile, field="value", reason="回拨借款人") == MOBILE
    event = _last_event()
    assert (event.action, event.object_type) == ("pii.reveal", "portfolio.contactpoint")
    assert event.after == {"field": "value", "masked": "138****5678"}
    _no_clear_value_in(event, MOBILE, "13812345678")


def test_without_the_permission_the_reveal_is_refused_and_audited(borrower):
    risk = make_user("analyst", Role.RISK)  # sees every case, may not reveal
    with pytest.raises(PermissionDenied):
        reveal(user=risk, obj=borrower, field="national_id", reason="好奇")
    event = _last_event()
    assert (event.action, event.actor, event.reason) == ("pii.reveal_denied", "analyst", "好奇")
    assert event.after["denied"] == "no_permission"
    _no_clear_value_in(event, NATIONAL_ID)


def test_without_a_reason_the_reveal_is_refused_and_audited(borrower):
    collector = make_user("li", Role.COLLECTOR)
    _own_case(collector, borrower)
    with pytest.raises(ApplicationError, match="原因"):
        reveal(user=collector, obj=borrower, field="national_id", reason="   ")
    event = _last_event()
    assert (event.action, event.after["denied"]) == ("pii.reveal_denied", "no_reason")
    _no_clear_value_in(event, NATIONAL_ID)


def test_a_borrower_outside_the_users_cases_cannot_be_revealed(borrower):
    collector = make_user("wang", Role.COLLECTOR)  # no case of this borrower
    with pytest.raises(PermissionDenied):
        reveal(user=collector, obj=borrower, field="national_id", reason="核对身份")
    assert _last_event().after["denied"] == "not_visible"


def test_the_value_on_file_is_revealed_not_the_one_in_memory(borrower):
    admin = make_user("root", Role.ADMIN)
    borrower.national_id = "something else"
    assert reveal(user=admin, obj=borrower, field="national_id", reason="核对") == NATIONAL_ID


def test_only_the_encrypted_fields_can_be_revealed(borrower):
    admin = make_user("root", Role.ADMIN)
    with pytest.raises(ValueError, match="not a revealable field"):
        reveal(user=admin, obj=borrower, field="name", reason="核对")
