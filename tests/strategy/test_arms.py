"""Champion/challenger split: a stable hash of (strategy code, case id) against the share."""

from __future__ import annotations

import hashlib

from autocollect.strategy.planner import arm_hash, arm_of


def test_the_hash_is_sha256_of_code_and_case_and_never_changes() -> None:
    expected = hashlib.sha256(b"default:12345").hexdigest()[:16]
    assert arm_hash("default", 12345) == (expected, int(expected, 16) % 10_000)
    assert arm_hash("default", 12345) == arm_hash("default", 12345)
    assert arm_hash("other", 12345) != arm_hash("default", 12345)


def test_the_split_over_ten_thousand_cases_is_close_to_the_share() -> None:
    for share in (1_000, 2_500, 5_000):
        challengers = sum(
            arm_of(arm_hash("default", case_id)[1], share) == "challenger"
            for case_id in range(1, 10_001)
        )
        # Binomial: three standard deviations are under 1.5 % of 10,000 cases.
        assert abs(challengers - share) < 150, (share, challengers)


def test_a_larger_share_only_adds_cases_to_the_challenger() -> None:
    buckets = [arm_hash("default", case_id)[1] for case_id in range(1, 2_001)]
    small = {k for k, b in enumerate(buckets) if arm_of(b, 1_000) == "challenger"}
    large = {k for k, b in enumerate(buckets) if arm_of(b, 3_000) == "challenger"}
    assert small < large
    assert all(arm_of(b, 0) == "champion" for b in buckets)
    assert all(arm_of(b, 10_000) == "challenger" for b in buckets)
