"""The arrangement proposal form reads its amounts and counts with core.money's strict parser
and keeps its dates in their plausible windows (core.bounds): a refusal is shown beside the
field and nothing is proposed (issue 13)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import User
from autocollect.arrangements.models import Arrangement
from autocollect.arrangements.views import ProposeForm
from autocollect.cases.models import CollectionCase

pytestmark = pytest.mark.django_db

VALID = {"kind": "installment_plan", "installments": "3", "reason": "失业"}


def _errors(**values: str) -> dict[str, Any]:
    form = ProposeForm({**VALID, **values})
    form.is_valid()
    return dict(form.errors)


def test_discounts_are_read_as_fen_by_the_grammar() -> None:
    form = ProposeForm({**VALID, "discount_interest": "1,000.50", "discount_penalty": "１２．５"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["discount_interest"] == 100_050
    assert form.cleaned_data["discount_penalty"] == 1_250
    assert form.cleaned_data["discount_principal"] is None


@pytest.mark.parametrize(
    ("field", "typed", "reason"),
    [
        ("discount_interest", "1,50", "逗号位置不对"),
        ("discount_penalty", ",,5", "逗号位置不对"),
        ("discount_principal", "١٠٠", "其他文字的数字"),
        ("discount_principal", "-5", "负数"),
        ("installments", "٣", "其他文字的数字"),
        ("installments", "1e1", "科学计数法"),
        ("deferral_months", "9" * 30, "范围"),
        ("first_due_on", "9999-12-31", "不在合理范围内"),
        ("counted_from", "0001-01-01", "不在合理范围内"),
    ],
)
def test_a_refusal_is_beside_its_field(field: str, typed: str, reason: str) -> None:
    errors = _errors(**{field: typed})
    assert list(errors) == [field]
    assert reason in errors[field][0]


def test_the_page_shows_the_refusal_and_proposes_nothing(
    case: CollectionCase, collector: User
) -> None:
    client = Client()
    client.force_login(collector)
    response = client.post(
        reverse("arrangements:case", args=[case.pk]),
        {**VALID, "discount_interest": "1,50", "first_due_on": "9999-12-31"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "“1,50”的逗号位置不对" in page
    assert "日期 9999-12-31 不在合理范围内" in page
    assert not Arrangement.objects.exists()
