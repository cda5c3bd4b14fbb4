"""Policy packs: the built-in packs say what DESIGN.md says, lender packs only tighten, and a
broken pack is rejected with its file, rule and field."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from autocollect.compliance.policy import (
    POLICIES_DIR,
    PolicyError,
    builtin_policies,
    load_policy,
    policy_path,
)
from autocollect.compliance.scenario import load_scenario
from autocollect.engine.policy import ContactWindowRule

SCENARIOS = Path(__file__).resolve().parent / "scenarios"

RULE = """
  - id: {id}
    kind: {kind}
    reason: {{zh: 原因, en: reason}}
    source: test
"""


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def pack(name: str, rules: str, *, extends: str | None = None, extra: str = "") -> str:
    head = f"pack: {name}\ntitle: test pack\njurisdiction: XX\n"
    if extends:
        head += f"extends: {extends}\n"
    return head + extra + ("rules:\n" + rules if rules else "")


def test_the_builtin_packs_are_cn_us_reg_f_and_the_example_lender() -> None:
    assert builtin_policies() == ("cn", "example-lender", "us-reg-f")


@pytest.mark.parametrize("name", ["cn", "us-reg-f", "example-lender"])
def test_every_rule_cites_its_source_and_gives_a_reason_in_both_languages(name: str) -> None:
    policy = load_policy(name)
    assert policy.rules
    for rule in policy.rules:
        assert rule.source.strip(), rule.id
        reason = policy.reasons[rule.id]
        assert reason.zh.strip(), rule.id
        assert reason.en.strip(), rule.id
        assert "{" not in reason.zh + reason.en, rule.id


def test_the_china_pack_holds_the_numbers_of_design_md() -> None:
    cn = load_policy("cn")
    assert cn.window is not None
    assert (cn.window.start, cn.window.end) == (time(8), time(22))
    assert cn.window.consent_extends is True
    assert "letter" not in cn.window.channels
    assert cn.answered_calls_daily is not None
    assert cn.answered_calls_daily.max == 3
    assert cn.answered_calls_daily.channels == {"call", "robot_call"}
    assert cn.unanswered_attempts_daily is not None
    assert cn.unanswered_attempts_daily.max == 6
    assert cn.third_party_unreachable_only is not None
    assert cn.third_party_refusal is not None
    assert {r.requirement for r in cn.requirements} == {
        "record_call",
        "record_visit",
        "no_debt_disclosure",
    }
    assert set(cn.holds) == {
        "dispute",
        "complaint",
        "emotional_distress",
        "lawyer",
        "vehicle_disposed",
        "deceased",
        "legal",
    }


def test_the_regulation_f_pack_holds_the_numbers_of_design_md() -> None:
    us = load_policy("us-reg-f")
    assert us.window is not None
    assert (us.window.start, us.window.end) == (time(8), time(21))
    assert us.calls_in_period is not None
    assert (us.calls_in_period.max, us.calls_in_period.days) == (7, 7)
    assert us.wait_after_conversation is not None
    assert us.wait_after_conversation.days == 7
    assert us.third_party_once is not None
    assert us.third_party_once.max == 1
    assert {r.requirement for r in us.requirements} == {"no_debt_disclosure", "opt_out_notice"}
    assert us.lookback_days == 7


def test_every_rule_of_both_packs_decides_some_scenario_check() -> None:
    expected: set[str] = set()
    for path in SCENARIOS.glob("*.yaml"):
        for expectation in load_scenario(path).expectations:
            if expectation is not None and expectation.rules is not None:
                expected |= expectation.rules
    for name in ("cn", "us-reg-f"):
        missing = set(load_policy(name).rule_ids) - expected
        assert not missing, f"{name}: rules no scenario expects: {sorted(missing)}"


def test_a_lender_pack_inherits_tightens_and_adds() -> None:
    lender = load_policy("example-lender")
    assert lender.files == ("example-lender.yaml", "cn.yaml")
    assert lender.window is not None
    assert lender.window.end == time(21)
    assert lender.reasons["cn.window"].en.startswith("collection contact only 08:00-21:00")
    assert "hardship_review" in lender.holds
    assert set(load_policy("cn").rule_ids) < set(lender.rule_ids)


def test_a_pack_is_found_by_name_or_by_path(tmp_path: Path) -> None:
    assert policy_path("cn") == POLICIES_DIR / "cn.yaml"
    path = write(tmp_path, "mine", pack("mine", "", extends="cn"))
    assert load_policy(str(path)).name == "mine"
    assert load_policy(path).rule_ids == load_policy("cn").rule_ids


# --- errors name the file, the rule and the field --------------------------------------------


def rejected(tmp_path: Path, name: str, body: str) -> str:
    path = write(tmp_path, name, body)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return caught.value.message


def test_an_unquoted_time_is_rejected_with_a_hint(tmp_path: Path) -> None:
    rules = RULE.format(id="t.window", kind="contact_window") + (
        '    start: "08:00"\n    end: 22:00\n    channels: [call]\n'
    )
    message = rejected(tmp_path, "t", pack("t", rules))
    assert message.startswith("t.yaml: rule t.window: field end:")
    assert 'quoted "HH:MM"' in message


def test_an_unknown_kind_names_the_rule(tmp_path: Path) -> None:
    message = rejected(tmp_path, "t", pack("t", RULE.format(id="t.curfew", kind="curfew")))
    assert message.startswith("t.yaml: rule t.curfew: field kind:") or "rule t.curfew" in message


def test_a_missing_field_names_the_rule_and_the_field(tmp_path: Path) -> None:
    rules = RULE.format(id="t.calls", kind="answered_calls_daily") + "    channels: [call]\n"
    rules += "    parties: [borrower]\n"
    message = rejected(tmp_path, "t", pack("t", rules))
    assert message == "t.yaml: rule t.calls: field max: Field required"


def test_an_unknown_field_is_rejected(tmp_path: Path) -> None:
    rules = RULE.format(id="t.wrong", kind="wrong_number") + "    colour: red\n"
    message = rejected(tmp_path, "t", pack("t", rules))
    assert message == "t.yaml: rule t.wrong: field colour: Extra inputs are not permitted"


def test_a_window_that_ends_before_it_starts_is_rejected(tmp_path: Path) -> None:
    rules = RULE.format(id="t.window", kind="contact_window")
    rules += '    start: "22:00"\n    end: "08:00"\n    channels: [call]\n'
    message = rejected(tmp_path, "t", pack("t", rules))
    assert message.startswith("t.yaml: rule t.window: field (rule): Value error, start must be")


def test_a_reason_with_an_unknown_placeholder_is_rejected(tmp_path: Path) -> None:
    rules = RULE.format(id="t.wrong", kind="wrong_number")
    rules = rules.replace("en: reason}", 'en: "at most {limit}"}')
    message = rejected(tmp_path, "t", pack("t", rules))
    assert message == "t.yaml: rule t.wrong: field reason: unknown placeholder {limit}"


def test_two_rules_of_one_kind_are_rejected(tmp_path: Path) -> None:
    rules = RULE.format(id="t.wrong", kind="wrong_number")
    rules += RULE.format(id="t.wrong_again", kind="wrong_number")
    message = rejected(tmp_path, "t", pack("t", rules))
    assert message.startswith("t.yaml: rule t.wrong_again: field kind: a pack has one")


def test_a_duplicate_id_is_rejected(tmp_path: Path) -> None:
    rules = RULE.format(id="cn.window", kind="wrong_number")
    message = rejected(tmp_path, "t", pack("t", rules, extends="cn"))
    assert message == "t.yaml: rule cn.window: field id: duplicate id"


def test_the_pack_name_must_match_the_file(tmp_path: Path) -> None:
    message = rejected(tmp_path, "t", pack("other", "", extends="cn"))
    assert message == "t.yaml: top level: field pack: 'other' does not match the file name"


def test_a_missing_parent_is_rejected(tmp_path: Path) -> None:
    message = rejected(tmp_path, "t", pack("t", "", extends="nowhere"))
    assert message == "t.yaml: top level: field extends: no pack named 'nowhere'"


def test_circular_extends_is_rejected(tmp_path: Path) -> None:
    write(tmp_path, "a", pack("a", "", extends="b"))
    message = rejected(tmp_path, "b", pack("b", "", extends="a"))
    assert "field extends: circular (b → a → b)" in message


def test_a_lender_may_not_loosen_an_inherited_limit(tmp_path: Path) -> None:
    extra = "tighten:\n  cn.calls.answered_daily: {max: 5}\n"
    message = rejected(tmp_path, "t", pack("t", "", extends="cn", extra=extra))
    assert message == (
        "t.yaml: tighten rule cn.calls.answered_daily: field max: 5 loosens 3 set by cn.yaml; "
        "a pack may only tighten what it inherits"
    )


def test_a_lender_may_not_widen_the_window_for_a_region(tmp_path: Path) -> None:
    extra = 'overrides:\n  - region: "110000"\n    tighten:\n      cn.window: {end: "23:00"}\n'
    message = rejected(tmp_path, "t", pack("t", "", extends="cn", extra=extra))
    assert message.startswith(
        "t.yaml: override 1 (region 110000): rule cn.window: field end: 23:00 loosens 22:00"
    )


def test_a_lender_may_not_drop_the_debtors_consent_but_may_ignore_it(tmp_path: Path) -> None:
    extra = "tighten:\n  cn.window: {consent_extends: false}\n"
    path = write(tmp_path, "strict", pack("strict", "", extends="cn", extra=extra))
    window = load_policy(path).window
    assert isinstance(window, ContactWindowRule)
    assert window.consent_extends is False


def test_tightening_a_field_a_rule_does_not_have_is_rejected(tmp_path: Path) -> None:
    extra = "tighten:\n  cn.calls.answered_daily: {days: 2}\n"
    message = rejected(tmp_path, "t", pack("t", "", extends="cn", extra=extra))
    assert message == (
        "t.yaml: tighten rule cn.calls.answered_daily: field days: "
        "a answered_calls_daily rule can only tighten max"
    )


def test_tightening_an_unknown_rule_is_rejected(tmp_path: Path) -> None:
    extra = "tighten:\n  cn.curfew: {max: 1}\n"
    message = rejected(tmp_path, "t", pack("t", "", extends="cn", extra=extra))
    assert message == "t.yaml: tighten rule cn.curfew: no such rule in the packs this one extends"


def test_an_override_needs_a_product_or_a_region(tmp_path: Path) -> None:
    extra = "overrides:\n  - tighten:\n      cn.window: {end: '21:00'}\n"
    message = rejected(tmp_path, "t", pack("t", "", extends="cn", extra=extra))
    assert message.startswith("t.yaml: override 1: field (rule): Value error, an override needs")


def test_a_tightened_window_must_still_open(tmp_path: Path) -> None:
    extra = "tighten:\n  cn.window: {start: '21:00', end: '09:00'}\n"
    message = rejected(tmp_path, "t", pack("t", "", extends="cn", extra=extra))
    assert message.startswith("t.yaml: tighten rule cn.window: field end, start:")


def test_a_missing_file_and_broken_yaml_are_reported(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the policy pack"):
        load_policy(tmp_path / "absent.yaml")
    message = rejected(tmp_path, "t", "pack: [unclosed\n")
    assert message.startswith("t.yaml: not valid YAML:")
