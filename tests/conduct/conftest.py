"""Fixtures for the misconduct channel: colleagues by role."""

from __future__ import annotations

import pytest

from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from tests.factories import make_user


@pytest.fixture
def reporter(db: None) -> User:
    return make_user("collector.zhou", Role.COLLECTOR)


@pytest.fixture
def subject(db: None) -> User:
    return make_user("collector.wu", Role.COLLECTOR)


@pytest.fixture
def bystander(db: None) -> User:
    return make_user("collector.zheng", Role.COLLECTOR)


@pytest.fixture
def investigator(db: None) -> User:
    return make_user("compliance.chen", Role.COMPLIANCE)


@pytest.fixture
def other_investigator(db: None) -> User:
    return make_user("compliance.lin", Role.COMPLIANCE)
