"""Refusals, form errors and 404s come out in the user's language.

The interface is Chinese by default with English available (docs/workbench.md, "Language"). A
message raised by a service (``ApplicationError``), a form parser or an API endpoint is
translated when it is raised, so a user who switched to English reads English, and a Chinese
user still reads the same Chinese text as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from autocollect.accounts.models import User
from autocollect.cases.models import CollectionCase
from autocollect.channels.models import MessageTemplate
from autocollect.compliance.services import contact_record
from autocollect.core.errors import ApplicationError, Refused
from autocollect.hardcases.services.skip_trace import skip_trace_open
from autocollect.legal import forms
from autocollect.legal.models import LegalReferral, Stage
from autocollect.legal.services.litigation import enforcement_apply, litigation_file
from autocollect.legal.services.referrals import referral_close, referral_create
from autocollect.legal.templatetags.legal_form import ACTION_FIELDS
from autocollect.scripts.forms import ScriptForm
from autocollect.scripts.models import Script
from tests.hardcases.helpers import worked_by
from tests.legal.helpers import make_case, users

pytestmark = pytest.mark.django_db

# Chinese characters, CJK punctuation and full-width forms: none may show under English.
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def people() -> dict[str, User]:
    return users()


@pytest.fixture
def case(people: dict[str, User]) -> CollectionCase:
    """An open case worked by the collector, in the team lead's team."""
    return worked_by(make_case(first_due_on=timezone.localdate() - timedelta(days=75)), people)


def refer(case: CollectionCase, people: dict[str, User]) -> LegalReferral:
    return referral_create(case=case, actor=people["lead"], reason="refused_to_pay")


def refusal(call: Callable[[], object], language: str) -> str:
    """The message of the ``ApplicationError`` or ``Refused`` that ``call()`` raises under
    ``language``."""
    with translation.override(language), pytest.raises((ApplicationError, Refused)) as refused:
        call()
    error = refused.value
    assert isinstance(error, ApplicationError | Refused)
    return error.message


def test_a_forbidden_legal_stage_move_is_refused_in_english_and_in_chinese(
    case: CollectionCase, people: dict[str, User]
) -> None:
    referral = refer(case, people)

    def enforce() -> None:  # enforcement straight from referral: not a move the table allows
        enforcement_apply(referral=referral, actor=people["legal"], applied_on=timezone.localdate())

    english = refusal(enforce, "en")
    with translation.override("en"):
        labels = f"{Stage.REFERRAL.label} → {Stage.ENFORCEMENT.label}"
    assert english == f"Stage change not allowed: {labels}"
    assert not CHINESE.search(english)
    chinese = refusal(enforce, "zh-hans")
    with translation.override("zh-hans"):
        labels = f"{Stage.REFERRAL.label} → {Stage.ENFORCEMENT.label}"
    assert chinese == f"不允许的阶段变更：{labels}"
    referral.refresh_from_db()
    assert referral.stage == Stage.REFERRAL

    def close_without_a_note() -> None:
        referral_close(referral=referral, actor=people["legal"], outcome="paid", note=" ")

    assert refusal(close_without_a_note, "en") == "Closing needs a note"
    assert refusal(close_without_a_note, "zh-hans") == "结案需要说明"


def test_a_hard_case_refusal_is_in_english(case: CollectionCase, people: dict[str, User]) -> None:
    skip_trace_open(case=case, actor=people["collector"], trigger="flag")

    def open_again() -> None:
        skip_trace_open(case=case, actor=people["collector"], trigger="flag")

    assert refusal(open_again, "en") == "This case already has a skip trace in progress"
    assert refusal(open_again, "zh-hans") == "该案件已有进行中的失联修复"


def test_a_form_error_names_the_field_in_the_users_language() -> None:
    data = QueryDict("applied_on=2026-13-40")
    assert refusal(lambda: forms.day(data, "applied_on"), "en") == (
        "applied_on: the date must be YYYY-MM-DD"
    )
    assert refusal(lambda: forms.text(data, "court", required=True), "en") == "court: required"
    assert refusal(lambda: forms.text(data, "court", required=True), "zh-hans") == "court: 必填"


def test_a_blocked_contact_gives_the_gates_reasons_in_the_users_language() -> None:
    case = make_case(first_due_on=timezone.localdate() - timedelta(days=75))
    agent = User.objects.create_user(
        "night-caller", password="x", collection_certified=True, collection_authorised=True
    )
    at_night = datetime(2026, 3, 2, 22, 30, tzinfo=SHANGHAI)

    def call() -> None:
        contact_record(
            case=case, channel="call", party="borrower", number="+8613800138000",
            outcome="answered", at=at_night, actor=agent.username, agent=agent,
        )  # fmt: skip

    english = refusal(call, "en")
    assert english.startswith("Blocked by compliance (cn.window")
    assert not CHINESE.search(english), english
    chinese = refusal(call, "zh-hans")
    assert chinese.startswith("合规拦截 (cn.window")
    assert CHINESE.search(chinese.split("):", 1)[1]), chinese  # the reason, in Chinese


@pytest.mark.parametrize(
    ("prefix", "english"),
    [
        ("/api/legal/referrals", "No legal referral 987654"),
        ("/api/arrangements", "No repayment arrangement 987654"),
        ("/api/hardship/claims", "No hardship claim 987654"),
        ("/api/hardcases/cases", "No case 987654"),
    ],
)
def test_an_api_404_is_in_the_language_the_client_asks_for(
    people: dict[str, User], prefix: str, english: str
) -> None:
    client = Client()
    client.force_login(people["lead"])
    url = f"{prefix}/987654"
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"detail": english}
    chinese = client.get(url)  # no Accept-Language: the default, Chinese
    assert chinese.status_code == 404
    assert CHINESE.search(chinese.json()["detail"])
    assert chinese.json()["detail"].endswith("987654 不存在")


def test_the_legal_action_forms_have_english_captions(
    case: CollectionCase, people: dict[str, User]
) -> None:
    referral = refer(case, people)
    litigation_file(
        referral=referral,
        actor=people["legal"],
        court="南山区人民法院",
        case_no="（2026）粤0305民初1号",
        filed_on=timezone.localdate(),
    )
    client = Client()
    client.force_login(people["legal"])
    url = reverse("legal:detail", args=[referral.pk])
    chinese = client.get(url).content.decode()
    assert 'name="effective_on"' in chinese
    assert "生效日" in chinese
    assert "判决金额（元）" in chinese

    client.cookies["django_language"] = "en"
    english = client.get(url).content.decode()
    forms_html = english[english.index('data-section="actions"') :]
    for caption in ("Judgment date", "Effective on", "Judgment amount (yuan)", "Hearing date"):
        assert f"<label>{caption} <input" in forms_html, caption
    labels = re.findall(r"<label>([^<]*)<", forms_html)
    assert labels
    assert not [label for label in labels if CHINESE.search(label)], labels
    # The forms of the other stages too (申请日, 受理日 …).
    with translation.override("en"):
        captions = {str(caption) for fields in ACTION_FIELDS.values() for _, caption, _ in fields}
    assert {"Applied on", "Accepted on"} <= captions
    assert not [caption for caption in captions if CHINESE.search(caption)], captions


def test_title_is_a_scripts_title_and_a_message_templates_subject() -> None:
    with translation.override("en"):
        assert str(Script._meta.get_field("title").verbose_name) == "Title"
        assert str(ScriptForm().fields["title"].label) == "Title"
        assert str(MessageTemplate._meta.get_field("subject").verbose_name) == "Subject"
    with translation.override("zh-hans"):
        assert str(Script._meta.get_field("title").verbose_name) == "标题"
        assert str(MessageTemplate._meta.get_field("subject").verbose_name) == "标题"
