"""Key rotation: ``autocollect keys rotate`` re-encrypts every encrypted column under the
current key, resumably and audited; ``--reindex`` follows a new blind-index key."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CollectionCase, Interaction
from autocollect.compliance.services import contact_check
from autocollect.core import crypto
from autocollect.portfolio.models import Borrower, ContactPoint
from autocollect.privacy import services
from autocollect.privacy.fields import EncryptedTextField, encrypted_fields
from autocollect.privacy.migration_ops import open_column, seal_column
from tests.factories import make_borrower, make_contact, make_loan

pytestmark = pytest.mark.django_db

OLD = crypto.generate_key()
NEW = crypto.generate_key()
INDEX = crypto.generate_key()
NEW_INDEX = crypto.generate_key()
MOBILE = "+8613812345678"


def _tokens(table: str, column: str) -> list[str]:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(column)} FROM {qn(table)} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def _book() -> tuple[Borrower, CollectionCase]:
    borrower = make_borrower(national_id="11010519491231002X")
    make_contact(borrower, value=MOBILE)
    make_contact(borrower, kind="email", value="zhang@example.com")
    case = CollectionCase.objects.create(
        loan=make_loan(borrower=borrower),
        opened_on=datetime(2026, 3, 1).date(),
        opened_dpd=4,
        opened_bucket="M1",
    )
    for hour in (1, 2, 3):
        Interaction.objects.create(
            case=case,
            at=datetime(2026, 3, 2, hour, tzinfo=UTC),
            channel="call",
            party="borrower",
            number=MOBILE,
            outcome="no_answer",
        )
    return borrower, case


def test_rotation_moves_every_value_to_the_new_key_and_the_old_key_can_go():
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[OLD], AUTOCOLLECT_BLIND_INDEX_KEY=INDEX):
        borrower, _ = _book()
        old_id = crypto.current_key_id()
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[NEW, OLD], AUTOCOLLECT_BLIND_INDEX_KEY=INDEX):
        new_id = crypto.current_key_id()
        # Written after the new key came first: already under it, left alone by the rotation.
        make_contact(borrower, kind="address", value="广东省深圳市南山区科技园路1号")
        out = io.StringIO()
        call_command("keys", "status", "--json", stdout=out)
        before = json.loads(out.getvalue())["columns"]
        assert before["portfolio.contactpoint.value"] == {old_id: 2, new_id: 1}
        out = io.StringIO()
        call_command("keys", "rotate", "--batch-size", "2", "--json", stdout=out)
        report = json.loads(out.getvalue())
        assert report["key"] == new_id
        assert report["columns"]["portfolio.borrower.national_id"] == 1
        assert report["columns"]["portfolio.contactpoint.value"] == 2
        assert report["columns"]["cases.interaction.number"] == 3
        event = AuditEvent.objects.filter(action="privacy.keys_rotate").get()
        assert event.after == {"key": new_id, "reindexed": False, "columns": report["columns"]}
        # Nothing left to do: a second run changes nothing.
        out = io.StringIO()
        call_command("keys", "rotate", "--json", stdout=out)
        assert json.loads(out.getvalue())["rows"] == 0
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[NEW], AUTOCOLLECT_BLIND_INDEX_KEY=INDEX):
        for model, field in encrypted_fields():
            for token in _tokens(model._meta.db_table, str(field.column)):
                assert crypto.token_key_id(token) == new_id
        assert Borrower.objects.get().national_id == "11010519491231002X"
        assert set(ContactPoint.objects.values_list("value", flat=True)) == {
            MOBILE,
            "zhang@example.com",
            "广东省深圳市南山区科技园路1号",
        }


def test_reindexing_after_a_new_index_key_keeps_lookups_and_the_gate_working():
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[OLD], AUTOCOLLECT_BLIND_INDEX_KEY=INDEX):
        _, case = _book()
        for hour in (4, 5, 6):  # six unanswered calls to the number that day in all
            Interaction.objects.create(
                case=case,
                at=datetime(2026, 3, 2, hour, tzinfo=UTC),
                channel="call",
                party="borrower",
                number=MOBILE,
                outcome="no_answer",
            )
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[OLD], AUTOCOLLECT_BLIND_INDEX_KEY=NEW_INDEX):
        assert not Borrower.objects.filter(
            national_id_index=crypto.national_id_index("11010519491231002X")
        ).exists()
        call_command("keys", "rotate", "--reindex", stdout=io.StringIO())
        assert Borrower.objects.filter(
            national_id_index=crypto.national_id_index("11010519491231002X")
        ).exists()
        assert ContactPoint.objects.filter(value_index=crypto.contact_index(MOBILE)).exists()
        # The gate still counts the three unanswered calls to the number: it compares indexes.
        assert set(Interaction.objects.values_list("number_index", flat=True)) == {
            crypto.contact_index(MOBILE)
        }
        masked = set(Interaction.objects.values_list("number_masked", flat=True))
        assert masked == {"138****5678"}
        decision = contact_check(
            case=case,
            channel="robot_call",
            party="borrower",
            number=MOBILE,
            at=datetime(2026, 3, 2, 7, tzinfo=UTC),
            requested_by="test",
            record=False,
        )
        assert "cn.calls.unanswered_daily" in decision.rules
        other = contact_check(
            case=case,
            channel="robot_call",
            party="borrower",
            number="+8613900000000",
            at=datetime(2026, 3, 2, 7, tzinfo=UTC),
            requested_by="test",
            record=False,
        )
        assert "cn.calls.unanswered_daily" not in other.rules


def test_a_value_changed_during_the_rotation_keeps_its_new_value(monkeypatch):
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[OLD], AUTOCOLLECT_BLIND_INDEX_KEY=INDEX):
        contact = make_contact(make_borrower(), value=MOBILE)
        [stale] = _tokens("portfolio_contactpoint", "value")
    with override_settings(AUTOCOLLECT_FIELD_KEYS=[NEW, OLD], AUTOCOLLECT_BLIND_INDEX_KEY=INDEX):
        contact.value = "+8613900000000"
        contact.save()
        # The rotation read the row before that save; its compare-and-set then finds no match.
        monkeypatch.setattr(
            services, "_rows", lambda *args, **kwargs: iter([[(contact.pk, stale, "mobile")]])
        )
        field = ContactPoint._meta.get_field("value")
        assert isinstance(field, EncryptedTextField)
        services._rotate_column(ContactPoint, field, reindex=False, batch=10)
        assert ContactPoint.objects.get().value == "+8613900000000"


def test_the_migration_helpers_seal_clear_columns_in_place_and_back():
    contact = make_contact(make_borrower(), value=MOBILE)
    with connection.cursor() as cursor:  # as the column was before the migration: clear
        cursor.execute(
            "UPDATE portfolio_contactpoint SET value = %s, value_index = '', masked = '' "
            "WHERE id = %s",
            [MOBILE, contact.pk],
        )
    editor: Any = SimpleNamespace(connection=connection)  # all the helpers use of an editor
    sealed = seal_column(
        editor,
        table="portfolio_contactpoint",
        column="value",
        extra=("kind",),
        derive=lambda row, clear: {
            "value_index": crypto.contact_index(clear),
            "masked": f"{row['kind']}:{clear[-4:]}",
        },
    )
    assert sealed == 1
    [token] = _tokens("portfolio_contactpoint", "value")
    assert crypto.decrypt(token) == MOBILE
    stored = ContactPoint.objects.values_list("value_index", "masked").get()
    assert stored == (crypto.contact_index(MOBILE), "mobile:5678")
    # Run again (a migration retried): sealed values are not sealed twice.
    seal_column(editor, table="portfolio_contactpoint", column="value")
    assert crypto.decrypt(_tokens("portfolio_contactpoint", "value")[0]) == MOBILE
    assert open_column(editor, table="portfolio_contactpoint", column="value") == 1
    assert _tokens("portfolio_contactpoint", "value") == [MOBILE]
