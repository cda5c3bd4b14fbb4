"""The investigation agency's signed authorisation letter (委托授权书) as a stored document
(docs/hard-cases.md, "Agencies"): required to register, stored with its SHA-256 and size,
audited, downloadable by those who read the agency register, and an agency row without it
takes no work in a period beginning after the letter became required."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.audit.models import AuditEvent
from autocollect.cases.models import CollectionCase
from autocollect.core.errors import ApplicationError, FieldValidationError
from autocollect.hardcases import conf
from autocollect.hardcases.models import InvestigationAgency, SkipTask
from autocollect.hardcases.services.agencies import agency_register
from autocollect.hardcases.services.skip_tasks import skip_task_add
from autocollect.hardcases.services.skip_trace import skip_trace_open
from tests.factories import make_user
from tests.hardcases.helpers import LETTER_PDF, letter_upload

pytestmark = pytest.mark.django_db

PERIOD = {"authorised_from": date(2026, 1, 1), "authorised_until": date(2026, 12, 31)}


def register(actor: User, **changes: Any) -> InvestigationAgency:
    arguments: dict[str, Any] = {
        "actor": actor,
        "name": "某某商务调查有限公司",
        "licence_no": "91440300MA5XXXXXXX",
        "authorisation_ref": "SQ-2026-001",
        **PERIOD,
        "letter": letter_upload(),
    }
    arguments.update(changes)
    return agency_register(**arguments)


def nothing_written(document_dir: Path) -> None:
    assert not InvestigationAgency.objects.exists()
    assert not AuditEvent.objects.filter(action="skiptrace.agency_register").exists()
    stored = [p for p in document_dir.rglob("*") if p.is_file()] if document_dir.exists() else []
    assert stored == []


def legacy_agency(**changes: Any) -> InvestigationAgency:
    """A row registered before the letter was kept: a free-text note, no stored file."""
    fields: dict[str, Any] = {
        "name": "旧登记调查公司",
        "licence_no": "91110000OLD",
        "authorisation_ref": "SQ-2025-009",
        "legacy_letter_ref": "纸质原件存档柜 3 号",
        "authorised_from": date(2026, 6, 1),
        "authorised_until": date(2027, 5, 31),
        **changes,
    }
    return InvestigationAgency.objects.create(**fields)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- registering ---------------------------------------------------------------------------


def test_registering_without_the_letter_is_refused_naming_the_field(
    people: dict[str, User], document_dir: Path
) -> None:
    with pytest.raises(FieldValidationError) as refused:
        register(people["lead"], letter=None)
    assert refused.value.field == "letter"
    assert "委托授权书" in refused.value.message
    nothing_written(document_dir)


def test_a_pdf_letter_is_stored_with_its_sha256_and_size_and_the_event_carries_them(
    people: dict[str, User], document_dir: Path
) -> None:
    agency = register(people["lead"])

    agency.refresh_from_db()
    sha = hashlib.sha256(LETTER_PDF).hexdigest()
    assert agency.sha256 == sha
    assert agency.size_bytes == len(LETTER_PDF)
    assert agency.letter_name == "委托授权书.pdf"
    assert agency.letter_content_type == "application/pdf"
    assert agency.stored_path == f"agency_letters/{sha[:2]}/{sha}.pdf"
    assert (document_dir / agency.stored_path).read_bytes() == LETTER_PDF
    event = AuditEvent.objects.get(action="skiptrace.agency_register", object_id=str(agency.pk))
    assert event.actor == "lead1"
    after = event.after or {}
    assert after["sha256"] == sha
    assert after["size_bytes"] == len(LETTER_PDF)


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"GIF89a\x01\x00\x01\x00 not a letter", "letter.gif", "文件格式不支持"),
        (b"MZ\x90\x00 an executable renamed", "letter.pdf", "文件格式不支持"),
        (b"", "letter.pdf", "文件为空"),
    ],
)
def test_a_letter_of_the_wrong_kind_is_refused_naming_the_reason_and_nothing_is_written(
    people: dict[str, User], document_dir: Path, content: bytes, name: str, reason: str
) -> None:
    with pytest.raises(FieldValidationError) as refused:
        register(people["lead"], letter=letter_upload(content, name))
    assert refused.value.field == "letter"
    assert reason in refused.value.message
    nothing_written(document_dir)


def test_an_oversized_letter_is_refused_naming_the_limit_and_nothing_is_written(
    people: dict[str, User], document_dir: Path, settings: Any
) -> None:
    block = dict(settings.AUTOCOLLECT)
    block["DOCUMENTS"] = {**block["DOCUMENTS"], "MAX_BYTES": 1024 * 1024}
    settings.AUTOCOLLECT = block
    big = LETTER_PDF + b"0" * (1024 * 1024)
    with pytest.raises(FieldValidationError) as refused:
        register(people["lead"], letter=letter_upload(big))
    assert refused.value.field == "letter"
    assert "文件过大（上限 1 MB）" in refused.value.message
    nothing_written(document_dir)


def test_the_registration_page_stores_the_uploaded_letter(
    people: dict[str, User], document_dir: Path
) -> None:
    client = client_for(people["lead"])
    response = client.post(
        reverse("hardcases:agency_register"),
        {
            "name": "页面登记调查公司",
            "licence_no": "91310000PAGE",
            "authorisation_ref": "SQ-2026-010",
            "authorised_from": "2026-11-01",
            "authorised_until": "2027-10-31",
            "letter": letter_upload(b"\x89PNG\r\n\x1a\n a scanned letter", "scan.png", "image/png"),
        },
    )
    assert response.status_code == 302
    agency = InvestigationAgency.objects.get(name="页面登记调查公司")
    assert agency.letter_content_type == "image/png"
    assert (document_dir / agency.stored_path).is_file()

    # Without a file: the page says which field is missing, and nothing is registered.
    response = client.post(
        reverse("hardcases:agency_register"),
        {
            "name": "无授权书公司",
            "licence_no": "91310000NONE",
            "authorisation_ref": "SQ-2026-011",
            "authorised_from": "2026-11-01",
            "authorised_until": "2027-10-31",
        },
        follow=True,
    )
    assert "letter: " in response.content.decode()
    assert not InvestigationAgency.objects.filter(name="无授权书公司").exists()


def test_a_collector_cannot_register_an_agency_on_the_page(people: dict[str, User]) -> None:
    response = client_for(people["collector"]).post(
        reverse("hardcases:agency_register"),
        {"name": "x", "licence_no": "y", "authorisation_ref": "z", "letter": letter_upload()},
    )
    assert response.status_code == 403
    assert not InvestigationAgency.objects.exists()


# --- downloading ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.TEAM_LEAD, Role.LEGAL, Role.COMPLIANCE, Role.ADMIN])
def test_the_letter_is_downloaded_as_stored_by_those_who_read_the_register(
    people: dict[str, User], role: str
) -> None:
    agency = register(people["lead"])
    reader = make_user(f"reader-{role}", role)

    response = client_for(reader).get(reverse("hardcases:agency_letter", args=[agency.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == LETTER_PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    read = AuditEvent.objects.get(action="skiptrace.agency_letter_read")
    assert read.actor == reader.username
    assert read.after == {"sha256": agency.sha256}


@pytest.mark.parametrize("who", ["collector", "risk"])
def test_collectors_and_risk_cannot_download_the_letter(people: dict[str, User], who: str) -> None:
    agency = register(people["lead"])
    response = client_for(people[who]).get(reverse("hardcases:agency_letter", args=[agency.pk]))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="skiptrace.agency_letter_read").exists()


def test_a_missing_agency_or_letter_is_not_found_and_nobody_signed_in_is_sent_to_login(
    people: dict[str, User],
) -> None:
    agency = register(people["lead"])
    old = legacy_agency()
    lead = client_for(people["lead"])
    assert lead.get(reverse("hardcases:agency_letter", args=[agency.pk + 100])).status_code == 404
    assert lead.get(reverse("hardcases:agency_letter", args=[old.pk])).status_code == 404
    anonymous = Client().get(reverse("hardcases:agency_letter", args=[agency.pk]))
    assert anonymous.status_code == 302
    assert "/login" in anonymous["Location"]


def test_a_letter_altered_on_disk_is_not_served_as_the_authorisation(
    people: dict[str, User], document_dir: Path
) -> None:
    agency = register(people["lead"])
    (document_dir / agency.stored_path).write_bytes(LETTER_PDF.replace(b"SQ", b"XX"))
    response = client_for(people["lead"]).get(
        reverse("hardcases:agency_letter", args=[agency.pk]), follow=True
    )
    assert "SHA-256" in response.content.decode()
    assert response.get("Content-Disposition") is None
    assert not AuditEvent.objects.filter(action="skiptrace.agency_letter_read").exists()


# --- agencies registered before the letter was required ----------------------------------


def test_an_agency_without_the_letter_keeps_a_period_begun_before_the_letter_was_required(
    case: CollectionCase, people: dict[str, User]
) -> None:
    assert conf.letter_required_from() == date(2026, 12, 1)
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    old = legacy_agency(authorised_from=date(2026, 6, 1), authorised_until=date(2027, 5, 31))

    task = skip_task_add(
        trace=trace, actor=people["lead"], kind="agency", agency=old, on=date(2027, 5, 31)
    )
    assert task.agency == old
    # ... to its end, not after.
    with pytest.raises(ApplicationError, match="委托授权不在有效期内"):
        skip_task_add(
            trace=trace, actor=people["lead"], kind="agency", agency=old, on=date(2027, 6, 1)
        )


def test_an_agency_without_the_letter_takes_no_work_in_a_period_begun_after_it_was_required(
    case: CollectionCase, people: dict[str, User], settings: Any
) -> None:
    trace = skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    renewed = legacy_agency(authorised_from=date(2026, 12, 1), authorised_until=date(2027, 11, 30))
    tasks = SkipTask.objects.count()

    with pytest.raises(ApplicationError, match="缺少授权书"):
        skip_task_add(
            trace=trace, actor=people["lead"], kind="agency", agency=renewed, on=date(2027, 1, 5)
        )
    assert SkipTask.objects.count() == tasks

    # The day is a setting: moved later, the same row is inside the transition again.
    block = dict(settings.AUTOCOLLECT)
    block["HARDCASES"] = {
        **(block.get("HARDCASES") or {}),
        "AGENCY_LETTER_REQUIRED_FROM": "2027-01-01",
    }
    settings.AUTOCOLLECT = block
    task = skip_task_add(
        trace=trace, actor=people["lead"], kind="agency", agency=renewed, on=date(2027, 1, 5)
    )
    assert task.agency == renewed


def test_the_pages_show_that_the_letter_is_missing(
    case: CollectionCase, people: dict[str, User]
) -> None:
    with_letter = register(people["lead"])
    old = legacy_agency()

    register_page = client_for(people["lead"]).get(reverse("hardcases:agencies"))
    assert register_page.status_code == 200
    html = register_page.content.decode()
    old_row = html.split(f'data-agency="{old.pk}"')[1].split("</tr>")[0]
    new_row = html.split(f'data-agency="{with_letter.pk}"')[1].split("</tr>")[0]
    assert "缺少授权书" in old_row
    assert "缺少授权书" not in new_row
    assert reverse("hardcases:agency_letter", args=[with_letter.pk]) in new_row
    assert with_letter.sha256 in new_row
    assert 'id="agency-register"' in html

    skip_trace_open(case=case, actor=people["collector"], trigger="flag")
    panel = client_for(people["collector"]).get(reverse("hardcases:case", args=[case.pk]))
    option = panel.content.decode().split(f'<option value="{old.pk}">')[1].split("</option>")[0]
    assert "缺少授权书" in option


def test_compliance_reads_the_register_without_the_registration_form(
    people: dict[str, User],
) -> None:
    register(people["lead"])
    compliance = make_user("qa1", Role.COMPLIANCE)
    response = client_for(compliance).get(reverse("hardcases:agencies"))
    assert response.status_code == 200
    assert 'id="agency-register"' not in response.content.decode()
    assert client_for(people["collector"]).get(reverse("hardcases:agencies")).status_code == 403
