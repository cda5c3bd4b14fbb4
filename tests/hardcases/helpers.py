"""Helpers for the hard-cases tests."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from autocollect.accounts.models import Team, User
from autocollect.cases.models import CollectionCase


def worked_by(case: CollectionCase, people: dict[str, User]) -> CollectionCase:
    """``case`` assigned to the collector, in a team the team lead leads: both see it and may
    act on it (the services check it, docs/hard-cases.md). Risk sees every case; legal sees
    it once it is referred."""
    team, _ = Team.objects.get_or_create(name="失联修复测试组", defaults={"lead": people["lead"]})
    team.agents.add(people["collector"])
    case.assigned_agent = people["collector"]
    case.assigned_team = team
    case.save(update_fields=["assigned_agent", "assigned_team"])
    return case


# A signed authorisation letter (委托授权书) stand-in: a PDF by its first bytes.
LETTER_PDF = b"%PDF-1.4\n% signed authorisation letter SQ-2026-001\n%%EOF\n"


def letter_upload(
    content: bytes = LETTER_PDF, name: str = "委托授权书.pdf", content_type: str = "application/pdf"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
