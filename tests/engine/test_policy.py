"""A compiled policy: a lender's overrides apply to the products and regions they name, once
per context; and a pack is compiled from a mapping, only ever tightening what it extends."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from autocollect.compliance.policy import load_policy
from autocollect.engine.policy_pack import PackError, pack_compile, pack_parse


@pytest.mark.parametrize(
    ("product", "region", "answered", "unanswered", "start"),
    [
        (None, None, 3, 6, time(8)),
        ("premium-auto", None, 2, 6, time(8)),
        (None, "440300", 3, 4, time(9)),
        ("premium-auto", "440300", 2, 4, time(9)),
        ("economy", "310000", 3, 6, time(8)),
    ],
)
def test_overrides_apply_to_the_products_and_regions_they_name(
    product: str | None, region: str | None, answered: int, unanswered: int, start: time
) -> None:
    policy = load_policy("example-lender").for_context(product=product, region=region)
    assert policy.answered_calls_daily is not None
    assert policy.answered_calls_daily.max == answered
    assert policy.unanswered_attempts_daily is not None
    assert policy.unanswered_attempts_daily.max == unanswered
    assert policy.window is not None
    assert policy.window.start == start
    assert policy.reasons["cn.calls.answered_daily"].en.startswith(f"at most {answered} ")


def test_a_context_is_compiled_once() -> None:
    lender = load_policy("example-lender")
    assert lender.for_context(product="premium-auto") is lender.for_context(product="premium-auto")


# --- packs from mappings --------------------------------------------------------------------


def rule(rule_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    reason = {"zh": "原因", "en": "reason"}
    return {"id": rule_id, "kind": kind, "reason": reason, "source": "test", **fields}


ROOT: dict[str, Any] = {
    "pack": "root",
    "title": "a root pack",
    "jurisdiction": "XX",
    "rules": [
        rule("root.calls", "answered_calls_daily", max=3, channels=["call"], parties=["borrower"]),
        rule("root.wrong", "wrong_number"),
    ],
}


def child(tighten: dict[str, Any]) -> dict[str, Any]:
    return {
        "pack": "child",
        "title": "a child pack",
        "jurisdiction": "XX",
        "extends": "root",
        "tighten": tighten,
    }


def test_a_pack_extending_another_inherits_its_rules_and_tightens_them() -> None:
    root = pack_compile(pack_parse(ROOT, file="root.yaml"), file="root.yaml")
    spec = pack_parse(child({"root.calls": {"max": 2}}), file="child.yaml")
    compiled = pack_compile(spec, file="child.yaml", parent=root)
    assert compiled.policy.files == ("child.yaml", "root.yaml")
    assert compiled.policy.rule_ids == ("root.calls", "root.wrong")
    assert compiled.policy.answered_calls_daily is not None
    assert compiled.policy.answered_calls_daily.max == 2


def test_a_pack_that_loosens_what_it_extends_is_rejected_by_file_rule_and_field() -> None:
    root = pack_compile(pack_parse(ROOT, file="root.yaml"), file="root.yaml")
    spec = pack_parse(child({"root.calls": {"max": 4}}), file="child.yaml")
    with pytest.raises(PackError) as caught:
        pack_compile(spec, file="child.yaml", parent=root)
    assert str(caught.value) == (
        "child.yaml: tighten rule root.calls: field max: 4 loosens 3 set by root.yaml; "
        "a pack may only tighten what it inherits"
    )


def test_a_mapping_that_is_not_a_pack_is_rejected_by_rule_and_field() -> None:
    rules = [{k: v for k, v in spec.items() if k != "source"} for spec in ROOT["rules"]]
    with pytest.raises(PackError) as caught:
        pack_parse({**ROOT, "rules": rules}, file="root.yaml")
    assert str(caught.value).splitlines() == [
        "root.yaml: rule root.calls: field source: Field required",
        "root.yaml: rule root.wrong: field source: Field required",
    ]
