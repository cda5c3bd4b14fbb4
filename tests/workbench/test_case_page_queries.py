"""The case page reads a fixed number of queries: the gate's answer for every contact action
comes from one read of the borrower's history, and no list on the page (contact points,
history, promises, flags, holds, payments) reads once per row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from autocollect.cases.models import (
    CaseFlag,
    CaseOutcome,
    CollectionCase,
    FlagKind,
    Interaction,
    OutcomeCode,
    Promise,
)
from autocollect.compliance.models import ContactHold, HoldReason
from autocollect.portfolio.models import ContactKind, ContactOwner
from autocollect.workbench.clock import OVERRIDE_COOKIE
from tests.factories import make_contact, make_loan, make_payment
from tests.workbench.conftest import World, default_product, make_case

pytestmark = pytest.mark.django_db

# Session, user, case, loan (+ schedule, payments, allocations, contact points), the contact
# points with their values, the gate's history (6), delinquency, flags, holds, history,
# promises, follow-up, the scripts (3): whatever the number of contact points or rows.
CASE_PAGE_QUERIES = 24

# The contact points of a borrower, in the order they are added: (kind, owner).
CONTACT_POINTS = [
    (ContactKind.MOBILE, ContactOwner.BORROWER),
    (ContactKind.MOBILE, ContactOwner.EMERGENCY),
    (ContactKind.LANDLINE, ContactOwner.BORROWER),
    (ContactKind.EMAIL, ContactOwner.BORROWER),
    (ContactKind.ADDRESS, ContactOwner.BORROWER),
    (ContactKind.MOBILE, ContactOwner.GUARANTOR),
    (ContactKind.MOBILE, ContactOwner.BORROWER),
    (ContactKind.MOBILE, ContactOwner.EMERGENCY),
]
FLAGS = [FlagKind.DISPUTE, FlagKind.HARDSHIP_CLAIMED, FlagKind.VEHICLE_RISK, FlagKind.AGITATED]
HOLDS = [HoldReason.DISPUTE, HoldReason.COMPLAINT, HoldReason.LAWYER, HoldReason.LEGAL]


@pytest.fixture(autouse=True)
def clock_override(settings: Any) -> None:
    settings.AUTOCOLLECT_ALLOW_CLOCK_OVERRIDE = True


def _value(kind: str, k: int) -> str:
    if kind == ContactKind.EMAIL:
        return f"borrower{k}@example.cn"
    if kind == ContactKind.ADDRESS:
        return f"广东省深圳市南山区科技园路{k}号"
    if kind == ContactKind.LANDLINE:
        return f"+86208888{k:04d}"
    return f"+86139{k:08d}"


def _case_with(world: World, contact_points: int, rows: int) -> CollectionCase:
    """A case of the world's collector whose borrower has ``contact_points`` contact points and
    ``rows`` of everything the page lists: contacts logged by two collectors (with outcomes and
    promises), flags, holds (on the case and on another case of the borrower), payments."""
    case = make_case(world.collector, team=world.team, name="王芳")
    borrower = case.loan.borrower
    other = CollectionCase.objects.create(
        loan=make_loan(borrower=borrower, product=default_product()), opened_on=case.opened_on,
        opened_dpd=4, opened_bucket="M1",
    )  # fmt: skip
    values = []
    for k, (kind, owner) in enumerate(CONTACT_POINTS[:contact_points]):
        values.append(_value(kind, k))
        make_contact(borrower, kind=kind, value=values[-1], owner=owner, owner_name=f"联系人{k}")
    now = world.morning  # the moment the page is asked at
    for k in range(rows):
        on = (now - timedelta(days=k + 1)).date()
        interaction = Interaction.objects.create(
            case=case if k % 2 else other, at=now - timedelta(days=k + 1), channel="call",
            party="borrower", number=values[0], outcome="answered",
            agent=world.collector if k % 2 else world.colleague, notes=f"第{k}次",
        )  # fmt: skip
        promise = Promise.objects.create(
            case=case, loan=case.loan, promised_on=on, due_on=on + timedelta(days=7),
            amount_fen=100_000 + k, created_by="zhang",
        )  # fmt: skip
        CaseOutcome.objects.create(
            interaction=interaction, case=interaction.case, code=OutcomeCode.PROMISE_TO_PAY,
            right_party=True, promise=promise, agent=interaction.agent,
        )  # fmt: skip
        CaseFlag.objects.create(
            case=case, kind=FLAGS[k % len(FLAGS)], set_at=now - timedelta(hours=k + 1),
            set_by="zhang",
        )  # fmt: skip
        ContactHold.objects.create(
            case=case if k % 2 else other, reason=HOLDS[k % len(HOLDS)],
            placed_at=now - timedelta(hours=k + 1), placed_by="lead",
        )  # fmt: skip
        make_payment(case.loan, amount_fen=50_000 + k, paid_on=on)
    return case


@pytest.mark.parametrize(("contact_points", "rows"), [(2, 1), (8, 4)])
def test_the_case_page_reads_the_same_number_of_queries_for_any_number_of_contact_points(
    client: Client,
    world: World,
    contact_points: int,
    rows: int,
    django_assert_max_num_queries: Any,
) -> None:
    case = _case_with(world, contact_points, rows)
    client.force_login(world.collector)
    client.cookies[OVERRIDE_COOKIE] = world.morning.isoformat()
    url = f"/cases/{case.pk}/"
    client.get(url)  # the session's first request and the policy's first load are not counted

    with django_assert_max_num_queries(CASE_PAGE_QUERIES):
        response = client.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    # Every contact point is on the page with the gate's answer for each of its actions.
    assert page.count("<tr data-contact=") == contact_points
    assert page.count('class="action ') == sum(
        {"mobile": 2, "landline": 1, "email": 1, "address": 2}[kind]
        for kind, _ in CONTACT_POINTS[:contact_points]
    )
    # The holds block every action, and the page lists what it read.
    assert 'data-allowed="true"' not in page
    assert page.count('data-hold="') == rows
    assert all(f"第{k}次" in page for k in range(rows))
