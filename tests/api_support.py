"""Helpers of the REST API tests (each app's ``test_api.py``): the access world of
``tests/accounts`` (two teams, one user per role, ``own_case`` of collector_a, ``other_case`` of
collector_b, a case referred to legal), clients by session or by bearer token, and a temporary
document folder for signed confirmations and proofs. A test module takes the two fixtures
(``world``, and the autouse ``document_dir``) by importing ``api_world`` and
``api_document_dir``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from autocollect.accounts.models import User
from autocollect.accounts.tokens import token_create
from tests.accounts.conftest import World, build_world

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(name="document_dir", autouse=True)
def api_document_dir(settings: Any, tmp_path: Path) -> Path:
    """Keep stored documents under ``tmp_path`` for the test."""
    folder = tmp_path / "documents"
    settings.AUTOCOLLECT = {**settings.AUTOCOLLECT, "DOCUMENTS": {"DIR": str(folder)}}
    return folder


@pytest.fixture(name="world")
def api_world(db: None) -> World:
    return build_world()


def pdf(name: str, body: bytes = b"") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + body, content_type="application/pdf")


def session(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_create(user=user, actor='test').secret}"}


def get_json(client: Client, url: str, **params: Any) -> Any:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()
