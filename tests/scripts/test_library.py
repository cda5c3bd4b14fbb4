"""The script library: shipped scripts by stage, versions activated only through the content
checker (audited), and the scripts of a case filled in, checked again and masked."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from autocollect.accounts.models import User
from autocollect.audit.models import AuditEvent
from autocollect.audit.services import audit_verify
from autocollect.cases.models import CollectionCase
from autocollect.channels.selectors import business_today
from autocollect.core.errors import ApplicationError
from autocollect.scripts.models import Audience, Script, ScriptStatus, Stage
from autocollect.scripts.selectors import (
    RenderedScript,
    script_library,
    scripts_for_case,
)
from autocollect.scripts.services import (
    BOOTSTRAP_ACTOR,
    ScriptRejectedError,
    default_specs,
    script_activate,
    script_create,
    script_load_defaults,
    script_retire,
    scripts_bootstrap,
)
from autocollect.scripts.text import mask_personal_data
from tests.scripts.conftest import make_case

pytestmark = pytest.mark.django_db

STAGES = ["trust", "liability", "solutions", "consequences", "lost_contact", "third_party"]


def draft(**overrides: object) -> Script:
    fields: dict[str, object] = {
        "code": "test_script",
        "stage": Stage.TRUST,
        "language": "zh-hans",
        "title": "测试话术",
        "body": "{{ borrower_name }}您好，我是{{ lender_name }}的{{ agent_name }}。",
        "actor": "compliance.wang",
    }
    fields.update(overrides)
    return script_create(**fields)  # type: ignore[arg-type]


# --- the shipped library --------------------------------------------------------------------


def test_stages_are_the_source_documents_four_plus_lost_contact_and_third_party() -> None:
    assert Stage.values == STAGES
    assert [str(label) for label in Stage.labels] == [
        "建立信任",
        "明确债务责任",
        "提供灵活解决方案",
        "强调后果和时间紧迫性",
        "失联",
        "第三方",
    ]


def test_a_new_database_has_every_shipped_script_active_in_both_languages() -> None:
    specs = default_specs()
    active = Script.objects.filter(status=ScriptStatus.ACTIVE)

    # Put there by the post_migrate hook, each through the content checker.
    assert {(s.code, s.language) for s in active} == {(r["code"], r["language"]) for r in specs}
    assert all(s.created_by == BOOTSTRAP_ACTOR for s in active)
    for language in ("zh-hans", "en"):
        stages = set(active.filter(language=language).values_list("stage", flat=True))
        assert stages == set(STAGES), language
    # The bootstrap is a migration step: it writes no audit events of its own.
    assert not AuditEvent.objects.filter(action__startswith="scripts.").exists()


def test_third_party_and_voicemail_scripts_never_mention_the_debt() -> None:
    spoken_to_others = Script.objects.filter(audience=Audience.THIRD_PARTY)

    assert set(spoken_to_others.values_list("stage", flat=True)) == {"lost_contact", "third_party"}
    for script in spoken_to_others:
        said = re.sub(r"\{\{[^}]*\}\}", "", script.body).lower()
        for word in ("欠", "债", "贷款", "还款", "逾期", "合同"):
            assert word not in said, (script.code, word)
        for word in ("debts?", "loans?", "owed?", "overdue", "contract", "pay(ment)?"):
            assert not re.search(rf"\b{word}\b", said), (script.code, word)
        assert "{{ contract_no }}" not in script.body
        assert "{{ overdue_amount }}" not in script.body


def test_bootstrap_fills_only_an_empty_library() -> None:
    assert scripts_bootstrap() == 0
    Script.objects.all().delete()

    assert scripts_bootstrap() == len(default_specs())


def test_load_defaults_leaves_unchanged_scripts_and_restores_retired_ones_audited() -> None:
    assert script_load_defaults(actor="ops") == []

    greeting = Script.objects.get(code="trust_greeting", language="zh-hans")
    script_retire(greeting, actor="compliance.wang", reason="rewording")
    loaded = script_load_defaults(actor="ops")

    assert [(s.code, s.language, s.version) for s in loaded] == [("trust_greeting", "zh-hans", 2)]
    assert loaded[0].status == ScriptStatus.ACTIVE
    assert AuditEvent.objects.filter(action="scripts.script_activate", actor="ops").count() == 1
    assert audit_verify().ok


def test_management_command_loads_the_library_through_the_audited_services() -> None:
    Script.objects.all().delete()

    call_command("scripts", "load-defaults", actor="ops")

    assert Script.objects.filter(status=ScriptStatus.ACTIVE).count() == len(default_specs())
    assert AuditEvent.objects.filter(action="scripts.script_activate").count() == len(
        default_specs()
    )


# --- versions and the content checker -------------------------------------------------------


def test_a_new_version_is_a_draft_until_activated_and_then_retires_the_previous_one() -> None:
    first = draft()
    assert (first.version, first.status) == (1, ScriptStatus.DRAFT)
    script_activate(first, actor="compliance.wang")
    second = draft(body="{{ borrower_name }}您好，我是{{ agent_name }}。")

    script_activate(second, actor="compliance.lin")

    first.refresh_from_db()
    assert (second.version, second.status, second.activated_by) == (
        2,
        ScriptStatus.ACTIVE,
        "compliance.lin",
    )
    assert first.status == ScriptStatus.RETIRED
    event = AuditEvent.objects.filter(action="scripts.script_activate").latest("id")
    assert event.actor == "compliance.lin"
    after = event.after or {}
    assert after["body"] == second.body
    assert after["retired"] == [first.pk]
    assert AuditEvent.objects.filter(action="scripts.script_create").count() == 2


def test_activation_refuses_a_threat_and_audits_the_refusal() -> None:
    bad = draft(stage=Stage.CONSEQUENCES, body="{{ borrower_name }}，再不还钱就让你坐牢。")

    with pytest.raises(ScriptRejectedError) as caught:
        script_activate(bad, actor="compliance.wang")

    assert "zh.false_legal" in caught.value.message
    bad.refresh_from_db()
    assert bad.status == ScriptStatus.DRAFT
    refused = AuditEvent.objects.get(action="scripts.script_activate_refused")
    assert refused.actor == "compliance.wang"
    assert (refused.after or {})["rules"] == caught.value.rules


def test_a_third_party_script_that_discloses_the_debt_is_refused() -> None:
    bad = draft(
        code="tp_bad",
        stage=Stage.THIRD_PARTY,
        body="您好，{{ borrower_name }}欠了我们的钱，麻烦您转告他尽快还款。",
    )
    assert bad.audience == Audience.THIRD_PARTY

    with pytest.raises(ScriptRejectedError) as caught:
        script_activate(bad, actor="compliance.wang")

    assert any(rule.startswith("zh.third_party") for rule in caught.value.rules)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"body": "您好{{ borrower_nmae }}"}, "unknown variable"),
        (
            {"stage": Stage.THIRD_PARTY, "body": "请{{ borrower_name }}处理{{ contract_no }}"},
            "third",
        ),
        (
            {"stage": Stage.LOST_CONTACT, "audience": "third_party", "body": "{{ due_date }}"},
            "third",
        ),
        ({"body": "您好{% if x %}"}, "unexpected"),
        ({"body": "请拨打13812345678联系我"}, "phone number"),
        ({"body": "身份证110105199001010037已登记"}, "ID number"),
        ({"title": "给{{ borrower_name }}"}, "title"),
        ({"stage": Stage.THIRD_PARTY, "audience": "borrower", "body": "您好"}, "只能对第三方使用"),
    ],
)
def test_create_refuses_bad_variables_syntax_and_personal_data(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ApplicationError) as caught:
        draft(**overrides)

    assert message in caught.value.message
    assert not Script.objects.filter(code="test_script").exists()


def test_a_retired_version_cannot_be_activated_again() -> None:
    script = draft()
    script_retire(script, actor="compliance.wang")

    with pytest.raises(ApplicationError, match="已停用"):
        script_activate(script, actor="compliance.wang")


def test_the_library_lists_every_stage_in_call_order() -> None:
    groups = script_library(language="zh-hans")

    assert [g.stage for g in groups] == STAGES
    assert all(g.scripts for g in groups)
    assert all(s.status == ScriptStatus.ACTIVE for g in groups for s in g.scripts)


# --- the scripts of a case ------------------------------------------------------------------


def _no_placeholder_left(text: str) -> bool:
    return "{{" not in text and "}}" not in text


def test_scripts_for_a_case_are_filled_with_the_cases_values(
    case: CollectionCase, collector: User
) -> None:
    rendered = scripts_for_case(case, "zh-hans")

    assert all(isinstance(r, RenderedScript) for r in rendered)
    assert [r.stage for r in rendered] == sorted((r.stage for r in rendered), key=STAGES.index), (
        "in the order of a call"
    )
    assert {r.stage for r in rendered} == set(STAGES)
    by_code = {Script.objects.get(pk=r.script_id).code: r for r in rendered}
    greeting = by_code["trust_greeting"]
    assert greeting.stage_label == "建立信任"
    assert greeting.text.startswith("张伟您好！我是")
    assert "李明" in greeting.text  # the assigned collector, family name first
    assert case.loan.contract_no in greeting.text
    oldest = case.loan.installments.order_by("seq").first()
    assert oldest is not None
    dpd = (business_today() - oldest.due_on).days
    assert f"已逾期{dpd}天" in by_code["liability_contract"].text
    assert "¥" in by_code["liability_contract"].text
    assert all(_no_placeholder_left(r.text) for r in rendered)


def test_scripts_for_a_case_in_english() -> None:
    case = make_case(name="Zhang Wei")

    rendered = scripts_for_case(case, "en")

    assert rendered
    greeting = next(r for r in rendered if r.stage == "trust")
    assert greeting.text.startswith("Hello Zhang Wei, this is a member of staff from")
    assert greeting.stage_label  # translated label


def test_rendered_scripts_never_show_a_phone_or_id_number_in_clear() -> None:
    # A name field that holds a number by mistake must not put it on screen.
    case = make_case(name="张伟13912345678")
    national_id = case.loan.borrower.national_id

    rendered = scripts_for_case(case, "zh-hans")

    texts = " ".join(r.text for r in rendered)
    assert "13912345678" not in texts
    assert "139****5678" in texts
    assert national_id not in texts
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", texts)


def test_mask_personal_data_masks_mobiles_ids_and_emails_but_not_a_hotline() -> None:
    text = (
        "电话+86 139-1234-5678，身份证11010519900101003X，邮箱zhang@example.com，客服400-000-0000"
    )

    masked = mask_personal_data(text)

    assert "139****5678" in masked
    assert "110105********003X" in masked
    assert "z***@example.com" in masked
    assert "400-000-0000" in masked


def test_a_script_that_a_value_makes_prohibited_is_withheld() -> None:
    # The borrower's name is an insult: every script naming them fails the second check.
    case = make_case(name="王八蛋")

    rendered = scripts_for_case(case, "zh-hans")

    assert rendered  # scripts without the name are still shown
    assert all("王八蛋" not in r.text for r in rendered)
    codes = {Script.objects.get(pk=r.script_id).code for r in rendered}
    assert "trust_greeting" not in codes
    assert "trust_empathy" in codes


def test_drafts_and_retired_versions_are_not_offered_to_collectors(case: CollectionCase) -> None:
    draft(code="draft_only", body="{{ borrower_name }}您好。")
    retired = Script.objects.get(code="trust_empathy", language="zh-hans")
    script_retire(retired, actor="compliance.wang")

    ids = {r.script_id for r in scripts_for_case(case, "zh-hans")}

    assert not Script.objects.filter(pk__in=ids).exclude(status=ScriptStatus.ACTIVE).exists()
    assert retired.pk not in ids
