"""Contact gate benchmark: single-decision latency and batch throughput.

    .venv/bin/python benchmarks/gate_bench.py
    .venv/bin/python benchmarks/gate_bench.py --cases 200000 --checks-per-case 5 --policy us-reg-f

Single gate: one case with a realistic 30-day history (40 events: calls and robot calls on two
numbers, mostly unanswered, a few conversations, an SMS, a hold and its release, an agreed-hours
change), decided for 20,000 checks spread over the last day; prints p50/p99 in microseconds
(target: p99 under 200 µs in-process).

Batch gate: N cases with about 5 events each (Poisson) over the last 30 days, 93% contacts
(calls, robot calls, SMS, visits; 60% unanswered, 30% answered, 5% refused, 5% wrong numbers)
and the odd hold, release, opt-out, agreed hours and "unreachable"; ``checks-per-case``
candidate contacts per case over the planning day, 07:00-23:00 local; time zones 94%
Asia/Shanghai, 4% America/New_York, 2% America/Los_Angeles. Frames come as a loader gives them
(events ordered by case and time, checks by case) and, as a second figure, shuffled. Prints
decisions per second (target: at least 1,000,000), the process CPU time and the machine's load
average (the figures are wall clock: a busy machine lowers them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autocollect.compliance.policy import load_policy
from autocollect.engine.frames import CHECKS, EVENTS
from autocollect.engine.gate import Check, Event, decide
from autocollect.engine.gating import gate_frame

PLANNING_DAY = datetime(2026, 3, 16, tzinfo=UTC)  # a Monday, 08:00 in Shanghai
ZONES = ["Asia/Shanghai", "America/New_York", "America/Los_Angeles"]
ZONE_SHARE = [0.94, 0.04, 0.02]
ZONE_OFFSET_HOURS = [8, -4, -7]  # in March 2026, after the US change


def realistic_history(zone: ZoneInfo) -> list[Event]:
    """40 events over 30 days, in UTC as the database returns them."""
    rng = np.random.default_rng(11)
    events = []
    start = PLANNING_DAY - timedelta(days=30)
    for k in range(36):
        local = (
            (start + timedelta(days=k * 30 / 36))
            .astimezone(zone)
            .replace(hour=int(rng.integers(9, 21)), minute=int(rng.integers(0, 60)))
        )
        outcome = rng.choice(["no_answer"] * 6 + ["answered"] * 2 + ["refused"])
        events.append(
            Event(
                at=local.astimezone(UTC),
                type="contact",
                channel=str(rng.choice(["call", "robot_call"])),
                party="borrower",
                number=str(rng.choice(["13800000001", "13800000002"])),
                outcome=str(outcome),
            )
        )
    events += [
        Event(at=start + timedelta(days=3, hours=2), type="contact", channel="sms",
              party="borrower", number="13800000001", outcome="answered"),
        Event(at=start + timedelta(days=5), type="hold", reason="complaint"),
        Event(at=start + timedelta(days=8), type="release", reason="complaint"),
        Event(at=start + timedelta(days=9), type="consent_hours",
              start=datetime(2026, 1, 1, 7, 30).time(), end=datetime(2026, 1, 1, 8, 0).time()),
    ]  # fmt: skip
    return sorted(events, key=lambda e: e.at)


def bench_single(policy_name: str, runs: int) -> tuple[float, float]:
    policy = load_policy(policy_name)
    zone = ZoneInfo("Asia/Shanghai")
    history = realistic_history(zone)
    rng = np.random.default_rng(5)
    checks = [
        Check(
            at=PLANNING_DAY + timedelta(seconds=int(s)),
            channel=str(rng.choice(["call", "robot_call", "sms"])),
            party="borrower",
            number=str(rng.choice(["13800000001", "13800000002"])),
        )
        for s in rng.integers(-86_400, 86_400, runs)
    ]
    for check in checks[:1000]:  # warm the caches a real process would have warm
        decide(policy, check, history, timezone=zone)
    times = []
    clock = time.perf_counter_ns
    for check in checks:
        begin = clock()
        decide(policy, check, history, timezone=zone)
        times.append(clock() - begin)
    times.sort()
    return statistics.median(times) / 1000, times[int(len(times) * 0.99)] / 1000


def synthetic_frames(cases: int, per_case: int, seed: int = 3) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    case_ids = np.arange(1, cases + 1, dtype=np.int64)
    zone_index = rng.choice(len(ZONES), size=cases, p=ZONE_SHARE)
    offsets = np.array(ZONE_OFFSET_HOURS)[zone_index]
    planning_us = int(PLANNING_DAY.timestamp() * 1_000_000)
    hour = 3_600_000_000

    # Events: Poisson(5) per case over the last 30 days, local 09:00-21:00.
    counts = rng.poisson(5, cases)
    ev_case = np.repeat(case_ids, counts)
    n = len(ev_case)
    ev_offset = np.repeat(offsets, counts)
    day = rng.integers(-30, 0, n)
    local_hour = rng.uniform(9, 21, n)
    ev_at = planning_us + day * 24 * hour + (local_hour * hour).astype(np.int64) - ev_offset * hour
    kind = rng.choice(
        ["contact", "hold", "release", "opt_out", "consent_hours", "unreachable"],
        size=n,
        p=[0.93, 0.015, 0.01, 0.01, 0.01, 0.025],
    )
    events = (
        pl.DataFrame(
            {
                "case_id": ev_case,
                "at": pl.Series(ev_at).cast(pl.Datetime("us", "UTC")),
                "type": kind,
                "_channel": rng.choice(
                    ["call", "robot_call", "sms", "visit"], size=n, p=[0.5, 0.3, 0.17, 0.03]
                ),
                "_party": rng.choice(
                    ["borrower", "guarantor", "third_party"], n, p=[0.8, 0.1, 0.1]
                ),
                "_number": (13_800_000_000 + ev_case * 3 + rng.integers(0, 3, n)).astype(str),
                "_outcome": rng.choice(
                    ["no_answer", "answered", "refused", "wrong_number"],
                    n,
                    p=[0.6, 0.3, 0.05, 0.05],
                ),
                "_reason": rng.choice(["dispute", "complaint", "lawyer"], n),
            }
        )
        .with_columns(
            channel=pl.when(pl.col("type").is_in(["contact", "opt_out"])).then("_channel"),
            party=pl.when(pl.col("type") == "contact").then("_party"),
            number=pl.when(pl.col("type") == "contact").then("_number"),
            outcome=pl.when(pl.col("type") == "contact").then("_outcome"),
            reason=pl.when(pl.col("type").is_in(["hold", "release"])).then("_reason"),
            start=pl.when(pl.col("type") == "consent_hours").then(pl.time(7, 0)),
            end=pl.when(pl.col("type") == "consent_hours").then(pl.time(8, 0)),
        )
        .select(list(EVENTS))
        .sort("case_id", "at")
    )

    # Checks: per_case candidates per case over the planning day, local 07:00-23:00.
    ch_case = np.repeat(case_ids, per_case)
    m = len(ch_case)
    ch_offset = np.repeat(offsets, per_case)
    ch_hour = rng.uniform(7, 23, m)
    checks = pl.DataFrame(
        {
            "case_id": ch_case,
            "check_id": np.arange(1, m + 1, dtype=np.int64),
            "at": pl.Series(
                planning_us + (ch_hour * hour).astype(np.int64) - ch_offset * hour
            ).cast(pl.Datetime("us", "UTC")),
            "timezone": np.array(ZONES)[np.repeat(zone_index, per_case)],
            "channel": rng.choice(["call", "robot_call", "sms"], m, p=[0.5, 0.3, 0.2]),
            "party": rng.choice(["borrower", "guarantor", "third_party"], m, p=[0.85, 0.1, 0.05]),
            "number": (13_800_000_000 + ch_case * 3 + rng.integers(0, 3, m)).astype(str),
            "agent_authorised": rng.random(m) < 0.98,
        },
        schema=dict(CHECKS),
    )
    return checks, events


def bench_batch(
    policy_name: str, checks: pl.DataFrame, events: pl.DataFrame, repeat: int
) -> tuple[float, float]:
    """(decisions per second, CPU seconds) of the best of ``repeat`` runs."""
    policy = load_policy(policy_name)
    gate_frame(policy, checks.head(1000), events)  # warm the zone caches
    best, cpu = float("inf"), 0.0
    for _ in range(repeat):
        begin, begin_cpu = time.perf_counter(), time.process_time()
        out = gate_frame(policy, checks, events)
        elapsed = time.perf_counter() - begin
        if elapsed < best:
            best, cpu = elapsed, time.process_time() - begin_cpu
    assert out.height == checks.height
    return checks.height / best, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default="cn", choices=["cn", "us-reg-f", "example-lender"])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--checks-per-case", type=int, default=5)
    parser.add_argument("--single-runs", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    p50, p99 = bench_single(args.policy, args.single_runs)
    print(f"single gate ({args.policy}, 40-event history): p50 {p50:.1f} µs, p99 {p99:.1f} µs")

    checks, events = synthetic_frames(args.cases, args.checks_per_case)
    print(
        f"batch gate ({args.policy}): {checks.height:,} checks, {args.cases:,} cases, "
        f"{events.height:,} events, {pl.thread_pool_size()} threads"
    )
    rate, cpu = bench_batch(args.policy, checks, events, args.repeat)
    print(f"  ordered as loaded: {rate:,.0f} decisions/s ({cpu:.2f} s CPU)")
    rate, cpu = bench_batch(
        args.policy,
        checks.sample(fraction=1.0, shuffle=True, seed=1),
        events.sample(fraction=1.0, shuffle=True, seed=2),
        args.repeat,
    )
    print(f"  shuffled:          {rate:,.0f} decisions/s ({cpu:.2f} s CPU)")
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
