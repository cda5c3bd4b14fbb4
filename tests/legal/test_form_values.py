"""The legal pages' field parsers (legal/forms.py) use core.money's strict parser for amounts and
ids and keep typed dates in the legal window (core.bounds, "legal.on"); each refusal names the
field and says why (issue 13)."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import translation

from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase
from autocollect.core import clock
from autocollect.core.errors import FieldValidationError
from autocollect.legal import forms
from autocollect.legal.models import LegalCost
from autocollect.legal.services.referrals import referral_create


def _data(**values: str) -> QueryDict:
    data = QueryDict(mutable=True)
    data.update(values)
    return data


def _refusal(parse: object, name: str, value: str) -> FieldValidationError:
    with translation.override("en"), pytest.raises(FieldValidationError) as refused:
        parse(_data(**{name: value}), name)  # type: ignore[operator]
    assert refused.value.field == name
    return refused.value


def test_amounts_follow_the_grammar() -> None:
    assert forms.fen(_data(amount_yuan="120,500.50"), "amount_yuan") == 12_050_050
    assert forms.fen(_data(amount_yuan="１２０５００．５"), "amount_yuan") == 12_050_050
    for typed, reason in (
        ("1,50", "comma in the wrong place"),
        ("١٢٠", "digit of another script"),
        ("1e5", "exponent"),
        ("-5", "negative"),
    ):
        with translation.override("en"):
            assert reason in _refusal(forms.fen, "amount_yuan", typed).reason


def test_ids_are_plain_digits_in_range() -> None:
    assert forms.whole(_data(deadline="12"), "deadline") == 12
    for typed in ("٣", "1e3", "9" * 30, "+3"):
        _refusal(forms.whole, "deadline", typed)


def test_dates_lie_in_the_legal_window() -> None:
    today = clock.localdate()
    assert forms.day(_data(filed_on=today.isoformat()), "filed_on") == today
    for typed in ("9999-12-31", "0001-01-01", "1900-01-01"):
        with translation.override("en"):
            assert "is outside the plausible range" in _refusal(forms.day, "filed_on", typed).reason


@pytest.mark.django_db
def test_the_page_refuses_an_ambiguous_cost_and_records_nothing(
    case: CollectionCase, people: dict[str, User]
) -> None:
    referral = referral_create(case=case, actor=people["lead"], reason="refused_to_pay")
    client = Client()
    client.force_login(people["legal"])
    today = clock.localdate().isoformat()

    def post(amount: str, day: str) -> str:
        response = client.post(
            reverse("legal:act", args=[referral.pk]),
            {"op": "cost", "kind": "court_fee", "amount_yuan": amount, "incurred_on": day},
            follow=True,
        )
        assert response.status_code == 200
        return response.content.decode()

    assert "“1,50”的逗号位置不对" in post("1,50", today)
    assert "日期 9999-12-31 不在合理范围内" in post("150.00", "9999-12-31")
    assert not LegalCost.objects.filter(referral=referral).exists()
    post("1,500.00", today)
    assert LegalCost.objects.get(referral=referral).amount_fen == 150_000
