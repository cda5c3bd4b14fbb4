"""KPIs on a constructed history: every value computed by hand in the comments.

Two collectors in two teams and two strategy arms, one product, March and April 2026:
li (team A, arm champion) and wang (team B, arm challenger).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

import polars as pl
import pytest

from autocollect.engine import kpis
from autocollect.engine.kpis import Facts, Kpis, Scorecard

D = date.fromisoformat
F = Fraction
LI = {"collector": "li", "team": "A", "arm": "champion", "product": "P1"}
WANG = {"collector": "wang", "team": "B", "arm": "challenger", "product": "P1"}
AS_OF = D("2026-04-30")


def _frame(contract: dict[str, pl.DataType], rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={**contract, **kpis.DIMENSIONS})


def _contact(
    who: dict[str, str], on: str, channel: str, outcome: str, rp: bool | None
) -> dict[str, object]:
    return {"on": D(on), "channel": channel, "outcome": outcome, "right_party": rp, **who}


def _history() -> Facts:
    contacts = [
        # li, March: 5 contacts; attempts (call/visit) 1,2,3,5 = 4; reached (answered/refused)
        # 1,3,5 = 3; right party 1,5 = 2.
        _contact(LI, "2026-03-02", "call", "answered", True),
        _contact(LI, "2026-03-02", "call", "no_answer", None),
        _contact(LI, "2026-03-03", "call", "answered", False),
        _contact(LI, "2026-03-04", "sms", "delivered", None),
        _contact(LI, "2026-03-05", "visit", "refused", True),
        # wang, March: 3 contacts, 3 attempts, 2 reached, 2 right party.
        _contact(WANG, "2026-03-10", "call", "no_answer", None),
        _contact(WANG, "2026-03-11", "call", "answered", True),
        _contact(WANG, "2026-03-12", "call", "answered", True),
        # li, April: 1 contact, a robot call: not an attempt (contact rate has no denominator).
        _contact(LI, "2026-04-01", "robot_call", "answered", True),
    ]
    promises = [
        # Paid in full on 03-09, before the due date: kept.
        {
            "promise_id": 1,
            "loan_id": 1,
            "promised_on": D("2026-03-02"),
            "due_on": D("2026-03-10"),
            "amount_fen": 100_000,
            **LI,
        },
        # 49,950 of 50,000 one day after the due date: inside the tolerances (1 day, 100 fen): kept.
        {
            "promise_id": 2,
            "loan_id": 2,
            "promised_on": D("2026-03-05"),
            "due_on": D("2026-03-15"),
            "amount_fen": 50_000,
            **LI,
        },
        # 30,000 of 80,000 by the due date: partly kept (judged, not kept).
        {
            "promise_id": 3,
            "loan_id": 3,
            "promised_on": D("2026-03-11"),
            "due_on": D("2026-03-20"),
            "amount_fen": 80_000,
            **WANG,
        },
        # Due 04-30, as of 04-30: pending (not judged).
        {
            "promise_id": 4,
            "loan_id": 3,
            "promised_on": D("2026-04-20"),
            "due_on": D("2026-04-30"),
            "amount_fen": 20_000,
            **WANG,
        },
    ]
    payments = [
        {"loan_id": 1, "paid_on": D("2026-03-09"), "amount_fen": 100_000, **LI},
        {"loan_id": 2, "paid_on": D("2026-03-16"), "amount_fen": 49_950, **LI},
        {"loan_id": 3, "paid_on": D("2026-03-20"), "amount_fen": 30_000, **WANG},
        {"loan_id": 4, "paid_on": D("2026-04-10"), "amount_fen": 200_000, **LI},
    ]
    snapshots = [
        # li, March: loan 1 M1→M0 (cured), loan 2 M1→M2 (rolled forward).
        {"loan_id": 1, "on": D("2026-03-01"), "bucket": "M1", **LI},
        {"loan_id": 1, "on": D("2026-03-31"), "bucket": "M0", **LI},
        {"loan_id": 2, "on": D("2026-03-01"), "bucket": "M1", **LI},
        {"loan_id": 2, "on": D("2026-03-31"), "bucket": "M2", **LI},
        # li, April: loan 1 M0→M0, loan 2 M2→M1 (better, not cured), loan 4 M1→M0 (cured).
        {"loan_id": 1, "on": D("2026-04-01"), "bucket": "M0", **LI},
        {"loan_id": 1, "on": D("2026-04-30"), "bucket": "M0", **LI},
        {"loan_id": 2, "on": D("2026-04-01"), "bucket": "M2", **LI},
        {"loan_id": 2, "on": D("2026-04-30"), "bucket": "M1", **LI},
        {"loan_id": 4, "on": D("2026-04-30"), "bucket": "M0", **LI},
        {"loan_id": 4, "on": D("2026-04-01"), "bucket": "M1", **LI},  # out of order on purpose
        # wang, March: loan 3 M2→M2, loan 5 M0→M1 (rolled forward, not delinquent at start).
        {"loan_id": 3, "on": D("2026-03-01"), "bucket": "M2", **WANG},
        {"loan_id": 3, "on": D("2026-03-31"), "bucket": "M2", **WANG},
        {"loan_id": 5, "on": D("2026-03-01"), "bucket": "M0", **WANG},
        {"loan_id": 5, "on": D("2026-03-31"), "bucket": "M1", **WANG},
        # wang, April: loan 3 M2→M3 (rolled forward).
        {"loan_id": 3, "on": D("2026-04-01"), "bucket": "M2", **WANG},
        {"loan_id": 3, "on": D("2026-04-30"), "bucket": "M3", **WANG},
    ]
    costs = [
        {"on": D("2026-03-31"), "amount_fen": 15_000, **LI},
        {"on": D("2026-03-31"), "amount_fen": 6_000, **WANG},
        {"on": D("2026-04-30"), "amount_fen": 10_000, **LI},
        {"on": D("2026-04-30"), "amount_fen": 5_000, **WANG},
    ]
    complaints = [{"on": D("2026-03-12"), **WANG}]
    blocks = [
        {"on": D("2026-03-02"), **LI},
        {"on": D("2026-03-03"), **LI},
        {"on": D("2026-04-02"), **LI},
        {"on": D("2026-04-05"), **WANG},
    ]
    return Facts(
        contacts=_frame(dict(kpis.CONTACT_FACTS), contacts),
        promises=_frame(dict(kpis.PROMISE_FACTS), promises),
        payments=_frame(dict(kpis.PAYMENT_FACTS), payments),
        snapshots=_frame(dict(kpis.SNAPSHOT_FACTS), snapshots),
        costs=_frame(dict(kpis.COST_FACTS), costs),
        complaints=_frame(dict(kpis.EVENT_FACTS), complaints),
        blocks=_frame(dict(kpis.EVENT_FACTS), blocks),
    )


KPI_NAMES = (
    "contact_rate",
    "right_party_contact_rate",
    "promise_rate",
    "promises_kept",
    "promises_kept_fen",
    "promise_kept_rate",
    "recovered_fen",
    "cure_rate",
    "roll_forward_rate",
    "cost_per_yuan",
    "complaints_per_1000",
    "blocks_per_1000",
)

EXPECTED = {
    ("li", "2026-03"): (
        F(3, 4),  # reached 3 / attempts 4
        F(2, 4),  # right party 2 / attempts 4
        F(2, 2),  # promises 1, 2 / right-party contacts 2
        2,  # promises 1 and 2 kept
        150_000,  # 100,000 + 50,000 promised on the kept ones
        F(2, 2),  # kept 2 / judged 2
        149_950,  # 100,000 + 49,950
        F(1, 2),  # cured loan 1 / delinquent at start loans 1, 2
        F(1, 2),  # rolled loan 2 / loans at start 2
        Decimal("0.1000"),  # 15,000 / 149,950 = 0.100033… → 0.1000
        F(0),  # 0 complaints × 1000 / 5 contacts
        F(400),  # 2 blocks × 1000 / 5 contacts
    ),
    ("li", "2026-04"): (
        None,  # no attempts (a robot call only)
        None,  # no attempts
        None,  # no right-party contacts
        0,
        0,
        None,  # no promise judged
        200_000,
        F(1, 2),  # cured loan 4 / delinquent at start loans 2, 4
        F(0, 3),  # none rolled / loans 1, 2, 4
        Decimal("0.0500"),  # 10,000 / 200,000
        F(0),  # 0 × 1000 / 1 contact
        F(1000),  # 1 block × 1000 / 1 contact
    ),
    ("wang", "2026-03"): (
        F(2, 3),  # reached 2 / attempts 3
        F(2, 3),  # right party 2 / attempts 3
        F(1, 2),  # promise 3 / right-party contacts 2
        0,
        0,
        F(0, 1),  # promise 3 judged, partly kept
        30_000,
        F(0, 1),  # loan 3 delinquent at start, not cured
        F(1, 2),  # loan 5 rolled / loans 3, 5
        Decimal("0.2000"),  # 6,000 / 30,000
        F(1000, 3),  # 1 complaint × 1000 / 3 contacts
        F(0),
    ),
    ("wang", "2026-04"): (
        None,  # no contacts at all
        None,
        None,  # promise 4 but no right-party contact
        0,
        0,
        None,  # promise 4 pending
        0,
        F(0, 1),  # loan 3 delinquent, not cured
        F(1, 1),  # loan 3 M2→M3 / 1 loan
        None,  # 5,000 cost, nothing recovered
        None,  # no contacts
        None,  # 1 block but no contacts
    ),
}


def _values(k: Kpis) -> tuple[object, ...]:
    return tuple(k.value(name) for name in KPI_NAMES)


def test_every_kpi_per_collector_and_month() -> None:
    result = kpis.compute_kpis(_history(), by=("collector", "period"), as_of=AS_OF)
    assert list(result) == list(EXPECTED)
    for key, expected in EXPECTED.items():
        assert dict(zip(KPI_NAMES, _values(result[key]), strict=True)) == dict(
            zip(KPI_NAMES, expected, strict=True)
        ), key


def test_team_and_arm_keys_follow_the_facts() -> None:
    facts = _history()
    by_team = kpis.compute_kpis(facts, by=("team", "period"), as_of=AS_OF)
    assert [_values(v) for v in by_team.values()] == list(EXPECTED.values())
    by_arm = kpis.compute_kpis(facts, by=("arm",), as_of=AS_OF)
    assert list(by_arm) == [("challenger",), ("champion",)]
    champion = by_arm[("champion",)]
    # li over both months: attempts 4 + 0, reached 3, right party 2; snapshots count per loan
    # and month: loans at start 2 + 3, delinquent 2 + 2, cured 1 + 1, rolled 1 + 0.
    assert (champion.contact_rate, champion.right_party_contact_rate) == (F(3, 4), F(1, 2))
    assert (champion.cure_rate, champion.roll_forward_rate) == (F(2, 4), F(1, 5))
    assert champion.cost_per_yuan == Decimal("0.0714")  # 25,000 / 349,950 = 0.071439…


def test_the_whole_book_in_one_group() -> None:
    total = kpis.compute_kpis(_history(), by=(), as_of=AS_OF)
    assert list(total) == [()]
    k = total[()]
    # attempts 4 + 3, reached 3 + 2, right party 2 + 2, promises 4 of which 3 judged, 2 kept.
    assert (k.contact_rate, k.right_party_contact_rate, k.promise_rate) == (F(5, 7), F(4, 7), F(1))
    assert (k.promises_kept, k.promises_kept_fen, k.promise_kept_rate) == (2, 150_000, F(2, 3))
    # recovered 149,950 + 30,000 + 200,000; costs 36,000 → 0.094749… → 0.0947
    assert (k.recovered_fen, k.cost_fen, k.cost_per_yuan) == (379_950, 36_000, Decimal("0.0947"))
    # loans at start 2 + 3 + 2 + 1, rolled 1 + 0 + 1 + 1, delinquent 2 + 2 + 1 + 1, cured 1 + 1
    assert (k.roll_forward_rate, k.cure_rate) == (F(3, 8), F(2, 6))
    # 9 contacts, 1 complaint, 4 blocks
    assert (k.complaints_per_1000, k.blocks_per_1000) == (F(1000, 9), F(4000, 9))


def test_iso_weeks_use_the_iso_year() -> None:
    facts = kpis.empty_facts()
    contacts = _frame(
        dict(kpis.CONTACT_FACTS),
        [
            _contact(LI, "2026-03-02", "call", "answered", True),  # Monday of week 10
            _contact(LI, "2027-01-01", "call", "no_answer", None),  # Friday of 2026's week 53
        ],
    )
    result = kpis.compute_kpis(
        replace(facts, contacts=contacts),
        by=("period",),
        period="week",
        as_of=AS_OF,
    )
    assert {k: v.contact_rate for k, v in result.items()} == {
        ("2026-W10",): F(1),
        ("2026-W53",): F(0),
    }


def test_no_facts_no_groups_and_no_denominator_is_none() -> None:
    assert kpis.compute_kpis(kpis.empty_facts(), by=("collector",), as_of=AS_OF) == {}
    empty = Kpis()
    assert all(
        empty.value(n) is None
        for n in KPI_NAMES
        if n not in ("promises_kept", "promises_kept_fen", "recovered_fen")
    )
    assert Kpis(cost_fen=5_000).cost_per_yuan is None  # zero recovered


def test_unknown_group_key_and_missing_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="region"):
        kpis.compute_kpis(_history(), by=("region",), as_of=AS_OF)
    facts = _history()
    broken = replace(facts, costs=facts.costs.drop("team"))
    with pytest.raises(ValueError, match="team"):
        kpis.compute_kpis(broken, by=("collector",), as_of=AS_OF)


# The scorecard ------------------------------------------------------------------------------

CARD = Scorecard(
    weights={
        "recovered_fen": F(1),
        "right_party_contact_rate": F(1),
        "complaints_per_1000": F(1),
        "blocks_per_1000": F(1),
    },
    targets={
        "recovered_fen": F(100_000),
        "right_party_contact_rate": F(1),
        "complaints_per_1000": F(1),
        "blocks_per_1000": F(200),
    },
)


def test_score_by_hand() -> None:
    li_march = kpis.compute_kpis(_history(), by=("collector", "period"), as_of=AS_OF)[
        ("li", "2026-03")
    ]
    s = kpis.score(li_march, CARD)
    # recovered 149,950 / 100,000 → capped 6/5; right party (1/2) / 1 = 1/2;
    # complaints 0 (lower is better, none at all) → 6/5; blocks 200 / 400 = 1/2.
    assert s.achievement == {
        "recovered_fen": F(6, 5),
        "right_party_contact_rate": F(1, 2),
        "complaints_per_1000": F(6, 5),
        "blocks_per_1000": F(1, 2),
    }
    assert s.points == 100 * (F(6, 5) + F(1, 2) + F(6, 5) + F(1, 2)) / 4 == 85
    assert s.missing == ()


def test_score_leaves_out_kpis_without_a_value_and_money_never_stands_alone() -> None:
    # Right party and the rates per 1,000 have no denominator: only money is left → no score.
    only_money = kpis.score(Kpis(recovered_fen=50_000), CARD)
    assert only_money.points is None
    assert only_money.missing == (
        "right_party_contact_rate",
        "complaints_per_1000",
        "blocks_per_1000",
    )
    # With one non-money value: (1/2 × 1 + 1 × 1) / 2 → 75 points; the rest is left out.
    some = kpis.score(Kpis(recovered_fen=50_000, attempts=4, right_party_contacts=4), CARD)
    assert some.points == 75


def test_a_scorecard_may_not_weigh_money_at_more_than_half() -> None:
    with pytest.raises(ValueError, match="66"):
        Scorecard(
            weights={"recovered_fen": F(2), "cure_rate": F(1)},
            targets={"recovered_fen": F(1), "cure_rate": F(1, 2)},
        )
    with pytest.raises(ValueError, match="target"):
        Scorecard(weights={"cure_rate": F(1)}, targets={})
    with pytest.raises(ValueError, match="unknown"):
        Scorecard(weights={"smiles": F(1)}, targets={"smiles": F(1)})
    money = sum(w for k, w in kpis.DEFAULT_SCORECARD.weights.items() if k in kpis.MONEY_KPIS)
    assert money * 2 <= sum(kpis.DEFAULT_SCORECARD.weights.values())


def test_team_scorecards() -> None:
    assert kpis.scorecard_for("A", {"A": CARD}) is CARD
    assert kpis.scorecard_for("B", {"A": CARD}) is kpis.DEFAULT_SCORECARD
    assert kpis.scorecard_for(None, {"A": CARD}) is kpis.DEFAULT_SCORECARD
