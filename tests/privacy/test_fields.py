"""Encrypted model fields: clear in Python, sealed in the column, with blind index and masked
copy kept beside them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import FieldError
from django.db import IntegrityError, connection

from autocollect.cases.models import CollectionCase, Interaction
from autocollect.core import crypto
from autocollect.core.masking import mask_contact
from autocollect.portfolio.models import Borrower, ContactKind, ContactPoint
from autocollect.privacy.fields import mask_channel_value, mask_contact_value
from tests.factories import make_borrower, make_contact, make_loan

pytestmark = pytest.mark.django_db

NATIONAL_ID = "11010519491231002X"
MOBILE = "+8613812345678"


def raw(table: str, column: str, pk: int) -> str:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(column)} FROM {qn(table)} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_a_borrower_is_stored_sealed_indexed_and_masked_and_read_clear():
    borrower = make_borrower(national_id=NATIONAL_ID)
    stored = raw("portfolio_borrower", "national_id", borrower.pk)
    assert crypto.is_encrypted(stored)
    assert NATIONAL_ID not in stored
    assert crypto.decrypt(stored) == NATIONAL_ID
    fresh = Borrower.objects.get(pk=borrower.pk)
    assert fresh.national_id == NATIONAL_ID
    assert fresh.national_id_index == crypto.national_id_index(NATIONAL_ID)
    assert fresh.national_id_masked == "110105********002X"
    assert Borrower.objects.get(national_id_index=crypto.national_id_index("11010519491231002x"))


def test_a_contact_point_dedupes_on_its_blind_index():
    borrower = make_borrower()
    contact = make_contact(borrower, value=MOBILE)
    assert raw("portfolio_contactpoint", "value", contact.pk) != MOBILE
    assert ContactPoint.objects.values_list("value", "masked").get() == (MOBILE, "138****5678")
    assert str(contact) == "手机 138****5678"
    with pytest.raises(IntegrityError):
        make_contact(borrower, value=MOBILE)


def test_comparing_an_encrypted_column_is_refused_with_a_hint():
    make_contact(make_borrower(), value=MOBILE)
    with pytest.raises(FieldError, match="blind index"):
        list(ContactPoint.objects.filter(value=MOBILE))
    with pytest.raises(FieldError, match="encrypted at rest"):
        Borrower.objects.filter(national_id__startswith="110105").exists()
    assert ContactPoint.objects.filter(value__isnull=False).count() == 1


def test_bulk_create_and_queryset_update_seal_too():
    borrower = make_borrower()
    [contact] = ContactPoint.objects.bulk_create(
        [ContactPoint(borrower=borrower, kind=ContactKind.EMAIL, value="Wang.Fang@example.cn")]
    )
    pk = ContactPoint.objects.get().pk
    assert crypto.decrypt(raw("portfolio_contactpoint", "value", pk)) == "Wang.Fang@example.cn"
    assert contact.value_index == crypto.contact_index("wang.fang@example.cn")
    assert contact.masked == "W***@example.cn"
    ContactPoint.objects.filter(pk=pk).update(value="li@example.cn")
    assert crypto.decrypt(raw("portfolio_contactpoint", "value", pk)) == "li@example.cn"


def test_an_interaction_number_is_sealed_with_index_and_masked_copy():
    case = CollectionCase.objects.create(
        loan=make_loan(), opened_on=datetime(2026, 3, 1).date(), opened_dpd=4, opened_bucket="M1"
    )
    interaction = Interaction.objects.create(
        case=case,
        at=datetime(2026, 3, 2, 2, tzinfo=UTC),
        channel="call",
        party="borrower",
        number=MOBILE,
        outcome="answered",
    )
    assert raw("cases_interaction", "number", interaction.pk) != MOBILE
    row = Interaction.objects.values_list("number", "number_index", "number_masked").get()
    assert row == (MOBILE, crypto.contact_index(MOBILE), "138****5678")


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("mobile", "+8613812345678"),
        ("mobile", "+8519123456"),
        ("mobile", "+12125550100"),
        ("landline", "+861088886666"),
        ("email", "zhang.wei@example.com"),
        ("address", "广东省深圳市南山区科技园路1号"),
    ],
)
def test_the_fast_mask_agrees_with_core_masking(kind, value):
    assert mask_contact_value(kind, value) == mask_contact(kind, value)
    channel = {"mobile": "sms", "landline": "call", "email": "email", "address": "letter"}[kind]
    assert mask_channel_value(channel, value) == mask_contact(kind, value)
