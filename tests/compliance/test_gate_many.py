"""``contact_check_many``: several contact actions judged against one read of the borrower's
history, each answer equal to the one ``contact_check`` gives for that action alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from autocollect.accounts.models import User
from autocollect.cases.models import CaseFlag, CollectionCase, FlagKind, Interaction
from autocollect.compliance.models import ContactConsent, ContactDecision, ContactHold
from autocollect.compliance.services import (
    ContactRequest,
    case_events,
    contact_check,
    contact_check_many,
    policy_for_case,
)
from autocollect.core.crypto import contact_index
from autocollect.engine.gate import Check, Decision, decide
from autocollect.portfolio.models import ContactKind, ContactOwner
from tests.factories import make_borrower, make_contact, make_loan

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOBILE = "+8613812345678"
SECOND_MOBILE = "+8613812340000"
LANDLINE = "+862088889999"
WRONG = "+8613800000009"
EMAIL = "li.qiang@example.cn"
ADDRESS = "广东省深圳市南山区科技园路1号"
EMERGENCY = "+8613900001111"
GUARANTOR = "+8613700002222"


def local(hour: int, minute: int = 0, *, day: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class Book:
    case: CollectionCase
    actions: list[ContactRequest]


def _book() -> Book:
    """A borrower with two cases; on the checked case: a mobile (two answered calls today), a
    second mobile opted out of SMS, a landline with six unanswered attempts today, a number found
    wrong, an e-mail, an address, an emergency contact (a third party) and a guarantor."""
    borrower = make_borrower()
    case = CollectionCase.objects.create(
        loan=make_loan(borrower=borrower), opened_on=local(9).date(), opened_dpd=4,
        opened_bucket="M1",
    )  # fmt: skip
    other = CollectionCase.objects.create(
        loan=make_loan(borrower=borrower), opened_on=local(9).date(), opened_dpd=9,
        opened_bucket="M1",
    )  # fmt: skip
    contacts = [
        make_contact(borrower, value=MOBILE),
        make_contact(borrower, value=SECOND_MOBILE, opted_out_channels=["sms"]),
        make_contact(borrower, kind=ContactKind.LANDLINE, value=LANDLINE),
        make_contact(borrower, value=WRONG),
        make_contact(borrower, kind=ContactKind.EMAIL, value=EMAIL),
        make_contact(borrower, kind=ContactKind.ADDRESS, value=ADDRESS),
        make_contact(borrower, value=EMERGENCY, owner=ContactOwner.EMERGENCY, owner_name="李梅"),
        make_contact(borrower, value=GUARANTOR, owner=ContactOwner.GUARANTOR, owner_name="李军"),
    ]
    # Two answered calls today, one of them on the borrower's other case (limits are per debtor).
    _contact(case, MOBILE, "answered", local(9))
    _contact(other, MOBILE, "answered", local(9, 30))
    for minute in range(6):
        _contact(case, LANDLINE, "no_answer", local(8, minute * 5))
    _contact(case, WRONG, "wrong_number", local(9, day=2))
    # The shape of the workbench's actions: each channel of each contact point, with its party.
    channels: dict[str, tuple[str, ...]] = {
        ContactKind.MOBILE: ("call", "sms", "robot_call"),
        ContactKind.LANDLINE: ("call",),
        ContactKind.EMAIL: ("email",),
        ContactKind.ADDRESS: ("visit", "letter"),
    }
    parties: dict[str, str] = {
        ContactOwner.BORROWER: "borrower",
        ContactOwner.GUARANTOR: "guarantor",
        ContactOwner.EMERGENCY: "third_party",
    }
    actions = [
        ContactRequest(channel=channel, party=parties[c.owner], number=c.value)
        for c in contacts
        for channel in channels[c.kind]
    ]
    return Book(case=case, actions=actions)


def _contact(case: CollectionCase, number: str, outcome: str, at: datetime) -> None:
    Interaction.objects.create(
        case=case, at=at, channel="call", party="borrower", number=number, outcome=outcome
    )


def _collector(*, authorised: bool) -> User:
    return User.objects.create_user(
        f"collector{User.objects.count()}",
        collection_certified=authorised,
        collection_authorised=authorised,
    )


def _singles(book: Book, at: datetime, agent: User | None) -> list[Decision]:
    return [
        contact_check(
            case=book.case,
            channel=a.channel,
            party=a.party,
            number=a.number,
            requested_by="tests",
            at=at,
            agent=agent,
            record=False,
        )
        for a in book.actions
    ]


def _gate_directly(book: Book, at: datetime, agent: User | None) -> list[Decision]:
    """The single gate called as ``contact_check`` always called it: the pack for the loan, the
    borrower's history read afresh for each action, the number as its blind index."""
    case = book.case
    return [
        decide(
            policy_for_case(case),
            Check(
                at=at,
                channel=a.channel,
                party=a.party,
                number=contact_index(a.number),
                agent_authorised=(
                    agent.may_collect if agent is not None else a.channel not in ("call", "visit")
                ),
            ),
            case_events(case, at),
            timezone=ZoneInfo(case.loan.timezone),
        )
        for a in book.actions
    ]


def _situation(book: Book, name: str) -> None:
    """Add to the book what makes the situation: a hold (on the other case: holds are per
    debtor), agreed late hours, the borrower marked unreachable, or nothing."""
    other = CollectionCase.objects.exclude(pk=book.case.pk).get(
        loan__borrower_id=book.case.loan.borrower_id
    )
    if name == "hold":
        ContactHold.objects.create(
            case=other, reason="dispute", placed_at=local(8), placed_by="lead"
        )
    elif name == "released hold":
        ContactHold.objects.create(
            case=other, reason="complaint", placed_at=local(8, day=3), placed_by="lead",
            released_at=local(8, day=5), released_by="lead",
        )  # fmt: skip
    elif name == "late hours agreed":
        ContactConsent.objects.create(
            borrower=book.case.loan.borrower, start=time(21), end=time(23),
            recorded_at=local(8, day=1), recorded_by="zhang",
        )  # fmt: skip
    elif name == "unreachable":
        CaseFlag.objects.create(
            case=book.case, kind=FlagKind.LOST_CONTACT, set_at=local(9, 45), set_by="zhang"
        )


SITUATIONS = ("nothing", "hold", "released hold", "late hours agreed", "unreachable")


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("hour", [10, 22])
@pytest.mark.parametrize("agent_kind", ["authorised", "unauthorised", "machine"])
def test_every_batch_decision_equals_the_single_check(
    situation: str, hour: int, agent_kind: str
) -> None:
    book = _book()
    _situation(book, situation)
    agent = None if agent_kind == "machine" else _collector(authorised=agent_kind == "authorised")
    at = local(hour, 30)  # 10:30 inside the window, 22:30 outside it

    batch = contact_check_many(
        case=book.case, actions=book.actions, requested_by="tests", at=at, agent=agent,
        record=False,
    )  # fmt: skip

    assert len(batch) == len(book.actions) == 19
    assert batch == _singles(book, at, agent)
    assert batch == _gate_directly(book, at, agent)
    assert not ContactDecision.objects.exists()


def _rules(decisions: list[Decision]) -> set[str]:
    return {rule for d in decisions for rule in d.rules}


def test_the_book_exercises_the_rules_it_compares() -> None:
    """The equivalence above compares answers that differ from action to action: allowed and
    blocked ones, for the reasons the book was built to trigger."""
    book = _book()
    agent = _collector(authorised=True)
    morning = contact_check_many(
        case=book.case, actions=book.actions, requested_by="tests", at=local(10, 30),
        agent=agent, record=False,
    )  # fmt: skip
    assert {d.allowed for d in morning} == {True, False}
    assert {
        "cn.calls.unanswered_daily",
        "cn.opt_out",
        "cn.wrong_number",
        "cn.third_party.unreachable_only",
        "cn.recording.calls",
    } <= _rules(morning)
    by_action = dict(zip(book.actions, morning, strict=True))
    assert by_action[ContactRequest("call", "borrower", MOBILE)].allowed
    assert not by_action[ContactRequest("sms", "borrower", SECOND_MOBILE)].allowed

    late = contact_check_many(
        case=book.case, actions=book.actions, requested_by="tests", at=local(22, 30),
        agent=agent, record=False,
    )  # fmt: skip
    call = late[book.actions.index(ContactRequest("call", "borrower", MOBILE))]
    assert not call.allowed
    assert "cn.window" in call.rules
    assert call.next_allowed_at == local(8, day=11)

    _situation(book, "hold")
    held = contact_check_many(
        case=book.case, actions=book.actions, requested_by="tests", at=local(10, 30),
        agent=agent, record=False,
    )  # fmt: skip
    assert all("cn.hold.dispute" in d.rules and d.next_allowed_at is None for d in held)


def test_the_history_is_read_once_whatever_the_number_of_actions(
    django_assert_num_queries: Any,
) -> None:
    book = _book()
    agent = _collector(authorised=True)
    book.case.loan.product  # noqa: B018 - the loan and product are the caller's, read before
    for actions in (book.actions[:1], book.actions):
        with django_assert_num_queries(6):
            contact_check_many(
                case=book.case, actions=actions, requested_by="tests", at=local(10, 30),
                agent=agent, record=False,
            )  # fmt: skip


def test_no_action_reads_nothing(django_assert_num_queries: Any) -> None:
    book = _book()
    book.case.loan.product  # noqa: B018
    with django_assert_num_queries(0):
        assert contact_check_many(case=book.case, actions=[], requested_by="tests") == []


def test_recorded_batch_decisions_are_those_a_single_check_records() -> None:
    book = _book()
    agent = _collector(authorised=True)
    at = local(10, 30)
    for action in book.actions:
        contact_check(
            case=book.case, channel=action.channel, party=action.party, number=action.number,
            requested_by="zhang", at=at, agent=agent,
        )  # fmt: skip
    singles = list(ContactDecision.objects.order_by("id"))
    contact_check_many(
        case=book.case, actions=book.actions, requested_by="zhang", at=at, agent=agent
    )
    batch = list(ContactDecision.objects.order_by("id"))[len(singles) :]

    fields = (
        "case_id", "contact_at", "channel", "party", "number", "policy", "allowed", "rules",
        "reasons", "next_allowed_at", "requested_by",
    )  # fmt: skip
    assert len(batch) == len(singles) == len(book.actions)
    assert [[getattr(d, f) for f in fields] for d in batch] == [
        [getattr(d, f) for f in fields] for d in singles
    ]
