"""Every Chinese string an app marks for translation has an English translation.

The interface is Simplified Chinese by default with English available (docs/workbench.md,
"Language"). An app without ``locale/en/LC_MESSAGES/django.mo``, or whose catalogue misses a
string, shows Chinese under English. This test reads the msgids the way ``makemessages`` does —
templates through Django's own ``templatize`` (``{% translate %}``, ``{% trans %}``,
``{% blocktranslate %}`` with its ``{{ var }}`` → ``%(var)s`` and plural forms), Python files
through their syntax tree (``_()``, ``gettext()``, ``gettext_lazy()``, ``pgettext()`` …) — and
asks Django for each one under English, one test per app so that a failure names the app and
lists what is missing.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation.template import templatize

from autocollect.accounts.models import User
from autocollect.arrangements.models import ArrangementKind
from autocollect.arrangements.services import arrangement_propose
from autocollect.cases.models import CollectionCase
from autocollect.hardship.claim_types import ClaimType
from autocollect.hardship.services import claim_file
from tests.arrangements.conftest import TODAY, case, collector, lead, team  # noqa: F401

PACKAGE = Path(__file__).resolve().parent.parent.parent / "autocollect"

# A CJK ideograph marks a Chinese msgid; a translation must not hold one, nor CJK punctuation
# or full-width forms (a half-translated "Overdue（fen）" is a bug too).
IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CHINESE_TEXT = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

# English translations that keep Chinese on purpose: an example of what to type in a search box
# holds a Chinese name, because the borrowers' names are Chinese whatever the interface language.
KEEPS_CHINESE = {"例如 HT2024… 或 张伟"}

# Calls that mark a string for translation, by the name they are imported under.
SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop"}
CONTEXT = {"pgettext", "pgettext_lazy"}
PLURAL = {"ngettext", "ngettext_lazy"}
CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}

# templatize() turns each translatable template string into a Python call with repr() literals.
TEMPLATE_CALL = re.compile(
    r"\b(?P<name>npgettext|ngettext|pgettext|gettext|_)\("
    r"(?P<args>(?:\s*u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\s*,?)+)"
)


@dataclass(frozen=True)
class Msg:
    """One translatable string: its msgid, and its context or plural form when it has one."""

    msgid: str
    context: str | None = None
    plural: str | None = None

    def label(self) -> str:
        text = self.msgid if self.plural is None else f"{self.msgid} | {self.plural}"
        return text if self.context is None else f"[{self.context}] {text}"


def _msg(name: str, args: list[str]) -> Msg | None:
    if name in SINGULAR and len(args) >= 1:
        return Msg(args[0])
    if name in CONTEXT and len(args) >= 2:
        return Msg(args[1], context=args[0])
    if name in PLURAL and len(args) >= 2:
        return Msg(args[0], plural=args[1])
    if name in CONTEXT_PLURAL and len(args) >= 3:
        return Msg(args[1], context=args[0], plural=args[2])
    return None


def python_msgids(source: str) -> set[Msg]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        literals = []
        for arg in node.args:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                break
            literals.append(arg.value)
        msg = _msg(name, literals)
        if msg is not None:
            found.add(msg)
    return found


def template_msgids(source: str, origin: str) -> set[Msg]:
    found = set()
    for match in TEMPLATE_CALL.finditer(templatize(source, origin=origin)):
        args = ast.literal_eval(f"({match['args'].rstrip().rstrip(',')},)")
        msg = _msg(match["name"], list(args))
        if msg is not None:
            found.add(msg)
    return found


@cache
def app_msgids(app: str) -> frozenset[Msg]:
    """The Chinese msgids of one app, as ``makemessages`` run in its folder would find them."""
    folder = PACKAGE / app
    found: set[Msg] = set()
    for path in sorted(folder.rglob("*.py")):
        if "migrations" not in path.relative_to(folder).parts:
            found |= python_msgids(path.read_text(encoding="utf-8"))
    for path in sorted(folder.glob("templates/**/*")):
        if path.is_file() and path.suffix in {".html", ".txt"}:
            found |= template_msgids(path.read_text(encoding="utf-8"), origin=str(path))
    return frozenset(m for m in found if IDEOGRAPH.search(m.msgid))


def apps_with_strings() -> list[str]:
    apps = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    return [app for app in apps if app_msgids(app)]


def untranslated(msg: Msg) -> bool:
    """True when English shows the msgid itself, or Chinese."""
    if msg.plural is None:
        pairs = [
            (
                msg.msgid,
                translation.gettext(msg.msgid)
                if msg.context is None
                else translation.pgettext(msg.context, msg.msgid),
            )
        ]
    else:
        pairs = []
        for n, source in ((1, msg.msgid), (2, msg.plural)):
            text = (
                translation.ngettext(msg.msgid, msg.plural, n)
                if msg.context is None
                else translation.npgettext(msg.context, msg.msgid, msg.plural, n)
            )
            pairs.append((source, text))
    for source, text in pairs:
        if text == source:
            return True
        if CHINESE_TEXT.search(text) and msg.msgid not in KEEPS_CHINESE:
            return True
    return False


def test_the_extractor_reads_templates_blocks_plurals_and_python() -> None:
    """The catalogue test below is only as good as what it reads."""
    arrangements = {m.msgid for m in app_msgids("arrangements")}
    assert "待我审批的还款方案" in arrangements  # {% translate %} in a template
    assert "方案已驳回" in arrangements  # gettext as _ in views.py
    assert "分期还款" in arrangements  # gettext_lazy as _ in a TextChoices
    assert "方案当前为“%(from)s”，不能变为“%(to)s”" in arrangements  # placeholders kept
    conduct = {m.msgid for m in app_msgids("conduct")}
    assert any(m.startswith("您的举报当前状态为：%(state)s。") for m in conduct)  # blocktranslate
    assert Msg("共 %(counter)s 笔", plural="共 %(counter)s 笔") in app_msgids("workbench")
    assert python_msgids('pgettext("月份", "三月")') == {Msg("三月", context="月份")}
    assert "engine" not in apps_with_strings()  # the engine never imports Django


def test_untranslated_means_shown_as_is_or_in_chinese() -> None:
    with translation.override("en"):
        assert untranslated(Msg("没有任何目录收录的字符串"))
        assert not untranslated(Msg("分期还款"))
        assert not untranslated(Msg("共 %(counter)s 笔", plural="共 %(counter)s 笔"))


@pytest.mark.parametrize("app", apps_with_strings())
def test_every_chinese_string_of_the_app_has_an_english_translation(app: str) -> None:
    with translation.override("en"):
        missing = sorted(m.label() for m in app_msgids(app) if untranslated(m))
    if missing:
        pytest.fail(
            f"{app}: {len(missing)} of {len(app_msgids(app))} strings have no English "
            f"translation (autocollect/{app}/locale/en/LC_MESSAGES/django.po):\n  "
            + "\n  ".join(missing)
        )


def h1(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match is not None, "the page has no h1"
    return " ".join(re.sub(r"<[^>]+>", " ", match[1]).split())


@pytest.mark.django_db
def test_a_team_lead_switched_to_english_sees_english_arrangement_and_hardship_pages(
    case: CollectionCase,  # noqa: F811
    collector: User,  # noqa: F811
    lead: User,  # noqa: F811
) -> None:
    plan = arrangement_propose(
        case=case,
        actor=collector,
        kind=ArrangementKind.INSTALLMENT_PLAN,
        installments=3,
        reason="失业，申请分期",
        today=TODAY,
    )
    claim = claim_file(
        case=case,
        actor=collector,
        claim_type=ClaimType.JOB_LOSS,
        description="公司裁员，三月起无收入",
        today=TODAY,
    )
    pages = [
        reverse("arrangements:detail", args=[plan.pk]),
        reverse("arrangements:case", args=[case.pk]),
        reverse("hardship:detail", args=[claim.pk]),
        reverse("hardship:case", args=[case.pk]),
    ]
    client = Client()
    client.force_login(lead)
    # Chinese until the lead switches.
    assert h1(client.get(pages[0]).content.decode()) == f"分期还款 #{plan.pk} 待审批"

    switched = client.post("/i18n/setlang/", {"language": "en", "next": pages[0]})
    assert switched.status_code == 302

    headings = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        headings[url] = h1(response.content.decode())
    assert headings[pages[0]] == f"Installment plan #{plan.pk} Awaiting approval"
    assert headings[pages[1]] == f"Repayment arrangements {case.loan.contract_no}"
    for url, heading in headings.items():
        assert not CHINESE_TEXT.search(heading), f"{url}: {heading}"
        assert re.search(r"[A-Za-z]{3}", heading.replace(case.loan.contract_no, "")), heading
