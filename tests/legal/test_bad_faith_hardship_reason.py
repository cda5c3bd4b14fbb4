"""The referral reason of a hardship claim decided as bad faith (``bad_faith_hardship``,
docs/legal.md "Referral"): the legal pages show its label, in Chinese and in English, with
the note naming the claim, and the evidence package carries the reason and the note."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase
from autocollect.evidence.services import evidence_export
from autocollect.hardship.claim_types import ClaimType
from autocollect.hardship.models import HardshipClaim
from autocollect.hardship.services import claim_decide, claim_file
from autocollect.legal.models import LegalReferral
from tests.hardcases.helpers import worked_by

pytestmark = pytest.mark.django_db

LABEL = "虚假困难申请、恶意逃废债"
LABEL_EN = "False hardship claim (bad-faith evasion of debt)"


@pytest.fixture
def referred(case: CollectionCase, people: dict[str, User]) -> tuple[HardshipClaim, LegalReferral]:
    worked_by(case, people)
    claim = claim_file(
        case=case, actor=people["collector"], claim_type=ClaimType.ILLNESS, description="称住院"
    )
    claim_decide(claim=claim, actor=people["lead"], decision="bad_faith", note="病历系伪造")
    return claim, LegalReferral.objects.get(case=case)


def client_for(user: User, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_the_legal_pages_show_the_bad_faith_reason_and_the_claim(
    referred: tuple[HardshipClaim, LegalReferral], people: dict[str, User]
) -> None:
    claim, referral = referred
    legal = client_for(people["legal"])
    detail = legal.get(reverse("legal:detail", args=[referral.pk])).content.decode()
    assert LABEL in detail
    assert f"困难申请 #{claim.pk} " in detail
    assert LABEL in legal.get(reverse("legal:list")).content.decode()

    english = client_for(people["legal"], "en")
    detail_en = english.get(reverse("legal:detail", args=[referral.pk])).content.decode()
    assert LABEL_EN in detail_en
    assert LABEL not in detail_en
    assert LABEL_EN in english.get(reverse("legal:list")).content.decode()


def test_the_evidence_package_carries_the_reason_and_the_note(
    referred: tuple[HardshipClaim, LegalReferral], tmp_path: Path
) -> None:
    claim, referral = referred
    out = tmp_path / "package.zip"
    evidence_export(case=referral.case, out_path=out, actor="cli:test")
    with zipfile.ZipFile(out) as package:
        rows = list(
            csv.DictReader(io.StringIO(package.read("legal_legalreferral.csv").decode("utf-8-sig")))
        )
    assert [r["reason"] for r in rows] == ["bad_faith_hardship"]
    assert f"困难申请 #{claim.pk} " in rows[0]["reason_note"]
