"""The content checker: lawful scripts pass, prohibited content is caught, offsets are exact.

The labelled sentences live beside this file (``prohibited_*.txt``, ``lawful_*.txt``), and so do
the seed document's script lines (``seed_scripts.txt``, copied from its 话术 section).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from autocollect.compliance.content import ContentCheckError, lint_text, load_rules
from autocollect.compliance.content_ruleset import CATEGORIES, ContentRulesError, load_rule_file

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
THIRD_PARTY_CATEGORY = "third_party_disclosure"


def seed_script_lines() -> list[str]:
    """The quoted script lines of the seed's "车贷催收的实用话术" section."""
    return sentences("seed_scripts.txt")


def labelled(name: str) -> list[tuple[str, str]]:
    """(category, sentence) rows of a ``<category><TAB><sentence>`` file."""
    rows = []
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            category, sentence = line.split("\t", 1)
            rows.append((category, sentence))
    return rows


def sentences(name: str) -> list[str]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def audience_for(category: str) -> str:
    return "third_party" if category == THIRD_PARTY_CATEGORY else "borrower"


# --- the seed and the lawful sets -----------------------------------------------------------


def test_every_seed_script_line_passes_for_a_borrower() -> None:
    lines = seed_script_lines()
    assert len(lines) == 8, lines  # two lines under each of the four headings
    failures = {
        line: [(f.rule, f.text) for f in result.findings]
        for line in lines
        if not (result := lint_text(line, audience="borrower", lang="zh")).ok
    }
    assert failures == {}


@pytest.mark.parametrize(("lang", "minimum"), [("zh", 30), ("en", 10)])
def test_lawful_firm_sentences_raise_no_false_alarm(lang: str, minimum: int) -> None:
    lawful = sentences(f"lawful_{lang}.txt")
    assert len(lawful) >= minimum
    false_alarms = {
        text: [(f.rule, f.text) for f in result.findings]
        for text in lawful
        if not (result := lint_text(text, audience="borrower", lang=lang)).ok
    }
    print(f"\n{lang}: {len(false_alarms)} false alarms on {len(lawful)} lawful sentences")
    assert len(false_alarms) <= 1, false_alarms


@pytest.mark.parametrize(
    "text",
    [
        "我们将依法向法院提起诉讼。",
        "根据合同约定的罚息，逾期部分按日计收。",
        "如未按时还款，我们将向征信机构报告不良信息。",
        "逾期不还不涉及刑事责任，但会产生民事违约后果。",
        "我们不会联系您的单位或家人。",
        "谨防冒充我司工作人员的骗子。",
        "我司不收取任何上门费、催收费。",
    ],
)
def test_lawful_wording_in_context_passes(text: str) -> None:
    assert lint_text(text, audience="borrower", lang="zh").findings == ()


# --- the prohibited sets --------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "minimum"), [("zh", 60), ("en", 20)])
def test_prohibited_sentences_are_caught_with_their_category(lang: str, minimum: int) -> None:
    rows = labelled(f"prohibited_{lang}.txt")
    assert len(rows) >= minimum
    assert {category for category, _ in rows} == set(CATEGORIES)
    total: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    missed, wrong_category = [], []
    for category, text in rows:
        result = lint_text(text, audience=audience_for(category), lang=lang)
        total[category] += 1
        if result.ok:
            missed.append((category, text))
        elif category not in result.categories:
            wrong_category.append((category, text, sorted(result.categories)))
        else:
            caught[category] += 1
    print(f"\n{lang} recall by category:")
    for category in CATEGORIES:
        print(f"  {category:24} {caught[category]:3}/{total[category]:3}")
    recall = sum(caught.values()) / len(rows)
    print(f"  {'overall':24} {sum(caught.values()):3}/{len(rows):3} = {recall:.1%}")
    assert recall >= 0.95, missed
    assert wrong_category == []


def test_caught_spellings_survive_spacing_punctuation_and_variants() -> None:
    evasions = [
        "你 要 坐 牢",
        "坐.牢",
        "坐\u200b牢",  # zero-width space
        "坐🔥牢",
        "做牢",
        "傻Ｂ",  # full-width capital
        "沙比",
        "老·赖",
    ]
    for text in evasions:
        assert not lint_text(text, audience="borrower", lang="zh").ok, text
    for text in ["ｙｏｕ’ｌｌ be arrested", "l o s e r", "d3adb3at", "s-c-u-m-b-a-g", "L.O.S.E.R"]:
        assert not lint_text(text, audience="borrower", lang="en").ok, text


def test_word_boundaries_prevent_matches_across_words() -> None:
    # jieba segments 乘坐/牢固 and 还/钱包: 坐牢 and 还钱 are not in these texts.
    assert lint_text("请乘坐牢固的交通工具。", audience="borrower", lang="zh").ok
    assert lint_text("他还钱包丢了没有？", audience="third_party", lang="zh").ok
    # A Latin variant matches whole words only: sb → 傻逼, but not inside usb.
    assert lint_text("请用usb数据线连接。", audience="borrower", lang="zh").ok
    assert lint_text("Please pass the form to your adviser.", audience="borrower", lang="en").ok


def test_context_separates_lawful_from_prohibited_court_and_fee_wording() -> None:
    assert lint_text("我们将依法向法院提起诉讼", audience="borrower", lang="zh").ok
    assert "false_legal" in lint_text("法院马上来抓你", audience="borrower", lang="zh").categories
    assert lint_text("根据合同约定的罚息", audience="borrower", lang="zh").ok
    assert "extra_fee" in lint_text("另收500元上门费", audience="borrower", lang="zh").categories


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("先交12345元手续费", "zh"),
        ("交1二百元手续费", "zh"),  # a run of digits, then of numerals: the numerals still count
        ("收三千块的服务费", "zh"),
        ("a 450 dollars processing fee", "en"),
    ],
)
def test_fee_amounts_are_read_from_the_start_of_their_number(text: str, lang: str) -> None:
    # The patterns start a number only where a run of digits (or numerals) starts, so that a long
    # run is not rescanned from each of its characters (benchmarks/lint_hostile_bench.py).
    assert "extra_fee" in lint_text(text, audience="borrower", lang=lang).categories


# --- third parties --------------------------------------------------------------------------


def test_third_party_may_only_be_asked_for_a_call_back() -> None:
    assert lint_text("请转告张先生尽快回电", audience="third_party", lang="zh").ok
    result = lint_text("请转告张先生他的车贷逾期了", audience="third_party", lang="zh")
    assert not result.ok
    assert {f.rule for f in result.findings} == {"zh.third_party.debt"}
    call_back = "Please ask John to call us back at 800-555-0100."
    assert lint_text(call_back, audience="third_party", lang="en").ok
    english = lint_text("Please tell John his loan is overdue.", audience="third_party", lang="en")
    assert {f.rule for f in english.findings} == {"en.third_party.debt"}


def test_the_borrower_may_hear_about_the_debt() -> None:
    assert lint_text("请转告张先生他的车贷逾期了", audience="borrower", lang="zh").ok
    assert lint_text("Your car loan is overdue.", audience="borrower", lang="en").ok


def test_borrower_rules_also_protect_third_parties() -> None:
    result = lint_text("告诉他，不还钱就打断他的腿", audience="third_party", lang="zh")
    assert "threat" in result.categories


# --- offsets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "span"),
    [
        ("ＸＸ金融提醒：你 要 坐 牢 了！", "zh", "坐 牢"),
        ("再不还，\u3000打 断 你 的 腿。", "zh", "打 断 你 的 腿"),
        ("你这个 老　赖！", "zh", "老　赖"),
        ("Ｙｏｕ are a   ｄｅａｄｂｅａｔ.", "en", "ｄｅａｄｂｅａｔ"),
        ("Stop hiding, you l o s e r!", "en", "l o s e r"),
        ("You’ll  be arrested.", "en", "You’ll  be arrested"),
    ],
)
def test_offsets_slice_the_original_text(text: str, lang: str, span: str) -> None:
    findings = lint_text(text, audience="borrower", lang=lang).findings
    assert findings
    for finding in findings:
        assert text[finding.start : finding.end] == finding.text
    assert span in {f.text for f in findings}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_finding_is_a_trimmed_slice_of_its_text(lang: str) -> None:
    for category, text in labelled(f"prohibited_{lang}.txt"):
        for finding in lint_text(text, audience=audience_for(category), lang=lang).findings:
            assert 0 <= finding.start < finding.end <= len(text)
            assert text[finding.start : finding.end] == finding.text
            assert finding.text == finding.text.strip()


# --- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_rule_cites_a_source_and_gives_reasons(lang: str) -> None:
    rules = load_rules(lang)
    assert {rule.category for rule in rules.rules} == set(CATEGORIES)
    for rule in rules.rules:
        assert rule.id.startswith(f"{lang}.")
        assert rule.source
        assert rule.reason["zh"]
        assert rule.reason["en"]


def test_reason_follows_the_language() -> None:
    zh = lint_text("你这个老赖", audience="borrower", lang="zh").findings[0]
    en = lint_text("you deadbeat", audience="borrower", lang="en").findings[0]
    assert re.search(r"[\u4e00-\u9fff]", zh.reason)
    assert en.reason.isascii()


RULE_TEMPLATE = """
lang: zh
rules:
  - id: zh.test.rule
    category: threat
    audiences: [borrower]
    reason: {{zh: 测试, en: test}}
    source: test
    {body}
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("regex: ['(unclosed']", "zh.yaml: rule zh.test.rule: field regex: "),
        ("terms: [打人]\n    colour: red", "field colour: Extra inputs are not permitted"),
        ("allow: ['x']", "at least one of terms, words, regex or near"),
        ("terms: ['，']", "field terms: '，' is empty once normalised"),
        ("near: [{groups: [[通知]], within: 3}]", "field near.1.groups"),
    ],
)
def test_invalid_rule_files_name_file_rule_and_field(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "zh.yaml"
    path.write_text(RULE_TEMPLATE.format(body=body), encoding="utf-8")
    with pytest.raises(ContentRulesError) as caught:
        load_rule_file(path)
    assert message in caught.value.message


def test_rule_file_errors_for_ids_and_language(tmp_path: Path) -> None:
    path = tmp_path / "zh.yaml"
    path.write_text(RULE_TEMPLATE.format(body="terms: [打人]").replace("zh.test", "en.test"))
    with pytest.raises(
        ContentRulesError, match=re.escape("rule en.test.rule: field id: must start")
    ):
        load_rule_file(path)
    twice = RULE_TEMPLATE.format(body="terms: [打人]")
    twice += twice.split("rules:\n", 1)[1]
    path.write_text(twice, encoding="utf-8")
    with pytest.raises(ContentRulesError, match=re.escape("zh.test.rule: field id: duplicate id")):
        load_rule_file(path)
    missing = RULE_TEMPLATE.format(body="terms: [打人]").replace("    source: test\n", "")
    path.write_text(missing, encoding="utf-8")
    expected = re.escape("rule zh.test.rule: field source: Field required")
    with pytest.raises(ContentRulesError, match=expected):
        load_rule_file(path)


def test_unknown_audience_or_language_is_refused() -> None:
    with pytest.raises(ContentCheckError, match="audience must be one of"):
        lint_text("你好", audience="family", lang="zh")
    with pytest.raises(ContentCheckError, match="lang must be one of"):
        lint_text("hello", audience="borrower", lang="fr")


def test_first_use_is_quiet_on_stderr() -> None:
    # jieba logs "Building prefix dict…" to stderr on first use unless told otherwise.
    script = (
        "from autocollect.compliance.content import lint_text;"
        "print(lint_text('请转告张先生他的车贷逾期了', audience='third_party', lang='zh').ok)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    assert completed.stdout.strip() == "False"
    assert completed.stderr == ""


# --- command line ---------------------------------------------------------------------------


def run_lint_command(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("compliance", "lint-text", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_cli_json_lists_findings_and_exits_1() -> None:
    text = "你 要 坐 牢，另收500元上门费"
    status, output = run_lint_command("--audience", "borrower", "--lang", "zh", "--json", text)
    assert status == 1
    payload = json.loads(output)
    assert payload["ok"] is False
    assert {f["rule"] for f in payload["findings"]} == {
        "zh.false_legal.arrest",
        "zh.fee.not_in_contract",
    }
    for finding in payload["findings"]:
        assert {"rule", "start", "end", "text", "reason"} <= finding.keys()
        assert text[finding["start"] : finding["end"]] == finding["text"]


def test_cli_json_passes_with_exit_0() -> None:
    args = ("--audience", "third_party", "--lang", "zh", "--json", "请转告张先生尽快回电")
    status, output = run_lint_command(*args)
    assert status == 0
    assert json.loads(output) == {"ok": True, "findings": []}


def test_cli_readable_report() -> None:
    status, output = run_lint_command("--audience", "borrower", "--lang", "en", "you l0ser")
    assert status == 1
    assert "FAIL: 1 finding" in output
    assert "[en.insult.abuse]" in output
    assert "“l0ser”" in output
    status, output = run_lint_command("--audience", "borrower", "--lang", "en", "Please call us.")
    assert (status, output.strip()) == (0, "OK: no findings (audience borrower, lang en)")


def test_cli_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", StringIO("我们知道你住哪"))
    status, output = run_lint_command("--audience", "borrower", "--lang", "zh", "--json", "-")
    assert status == 1
    assert json.loads(output)["findings"][0]["rule"] == "zh.threat.intimidation"


def test_cli_rejects_unknown_audience() -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("compliance", "lint-text", "--audience", "x", "--lang", "zh", "你好")


# --- API ------------------------------------------------------------------------------------

LINT_URL = "/api/compliance/lint"


def post_lint(client: Client, **payload: Any) -> Any:
    return client.post(LINT_URL, data=json.dumps(payload), content_type="application/json")


@pytest.mark.django_db
def test_api_lint_returns_the_cli_json(client: Client, django_user_model: Any) -> None:
    client.force_login(django_user_model.objects.create_user(username="qa", password="pw-qa"))
    text = "Pay now or we'll call your boss, you deadbeat."
    response = post_lint(client, text=text, audience="borrower", lang="en")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    assert {f["category"] for f in body["findings"]} == {"shaming", "insult"}
    assert all(text[f["start"] : f["end"]] == f["text"] for f in body["findings"])
    assert body == lint_text(text, audience="borrower", lang="en").as_dict()
    passing = post_lint(client, text="请转告张先生尽快回电", audience="third_party", lang="zh")
    assert passing.json() == {"ok": True, "findings": []}


@pytest.mark.django_db
def test_api_lint_validates_input(client: Client, django_user_model: Any) -> None:
    client.force_login(django_user_model.objects.create_user(username="qa", password="pw-qa"))
    assert post_lint(client, text="你好", audience="family", lang="zh").status_code == 422
    assert post_lint(client, text="你好", audience="borrower", lang="fr").status_code == 422


@pytest.mark.django_db
def test_api_lint_requires_login(client: Client) -> None:
    assert post_lint(client, text="你好", audience="borrower", lang="zh").status_code == 401
