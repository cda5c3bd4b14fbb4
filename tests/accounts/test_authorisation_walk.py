"""The authorisation walk (issue 6 acceptance): every page and every API operation, as every
role and as nobody, asking for a case (loan, borrower, …) that the role must not see.

The list of pages is not written here: it is read from the URL resolver (``get_resolver()``)
and the API's OpenAPI schema, so that a page or endpoint added later is walked too. Each one
must be classified below, in ``PAGES`` or ``API``: which roles may use it (and so must get a
200, or for a POST an answer that is not a refusal); every other role must be refused —
anonymous callers with a redirect to the login page (pages) or 401 (API), signed-in ones with
403 or 404. An unclassified page fails the walk and says where to classify it: that is meant.

Path parameters are filled with ``other_case`` (conftest): assigned to collector_b of team B,
so that collector_a, lead_a (team A) and legal (not referred) must not see it, while risk,
compliance and administrators see every case. Every 200 answer to a role that must not see it
is also searched for its contract number, its borrower's name and clear personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from django.utils import timezone

from autocollect.accounts.access import has_permission
from autocollect.accounts.models import User
from autocollect.accounts.roles import Role
from autocollect.accounts.tokens import token_create
from autocollect.cases.models import CollectionCase
from autocollect.portfolio.models import ContactKind, ContactPoint
from config.api import api
from tests.accounts.conftest import HIDDEN_CONTRACT, HIDDEN_NAME, World, build_world
from tests.factories import make_contact

if TYPE_CHECKING:
    from autocollect.documents.storage import StoredDocument

pytestmark = pytest.mark.django_db

ANON = "anonymous"
SIGNED_IN = frozenset(r.value for r in Role)
EVERYONE = SIGNED_IN | {ANON}
SEE_ALL = frozenset({Role.RISK.value, Role.COMPLIANCE.value, Role.ADMIN.value})
ADMIN_ONLY = frozenset({Role.ADMIN.value})
THIS_FILE = "tests/accounts/test_authorisation_walk.py"
HIDDEN_PHONE = "13912345678"


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


@dataclass(frozen=True)
class Rule:
    """Who may use a page or operation. ``allowed`` holds role values ("anonymous" for a
    public page). ``ok``: what an allowed caller must get (default: 200 for GET, for other
    methods any answer that is not a refusal). ``anonymous``: what nobody-signed-in gets when
    not allowed and it is not the login redirect (or 401)."""

    allowed: frozenset[str]
    method: str = "GET"
    ok: tuple[int, ...] = ()
    data: Callable[[World], dict[str, Any]] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    anonymous: tuple[int, ...] = ()
    last: bool = False  # changes the caller's session (logout, language): walked last
    note: str = ""


def _reveal(world: World) -> dict[str, Any]:
    return {"field": "national_id", "reason": "authorisation walk"}


def _conduct_transition(world: World) -> dict[str, Any]:
    return {"state": "investigating", "note": "walk"}


# --- pages (URL names from the resolver) --------------------------------------------------------
#
# Keep this in step with docs/roles.md. Object pages get other_case (or an object hanging off
# it): only risk, compliance and administrators see it, and what they may do with it still
# needs the page's permission.
PAGES: dict[str, Rule] = {
    # public
    "accounts:login": Rule(EVERYONE),
    "accounts:logout": Rule(EVERYONE, method="POST", ok=(302,), last=True),
    "set_language": Rule(
        EVERYONE, method="POST", ok=(302,), data=lambda w: {"language": "zh-hans"}, last=True
    ),
    "api-0.1.0:openapi-json": Rule(EVERYONE, note="the schema describes, holds no data"),
    "api-0.1.0:openapi-view": Rule(EVERYONE),
    "api-0.1.0:api-root": Rule(EVERYONE, ok=(404,), note="Ninja's root: nothing there"),
    # The SMS provider's callback: no session, but every request must carry its HMAC; an
    # unsigned request is refused whoever sends it.
    "channels:sms_receipt": Rule(roles(), method="POST", anonymous=(403,)),
    # workbench
    "workbench:home": Rule(SIGNED_IN),
    "workbench:loan_list": Rule(SIGNED_IN, note="lists only the loans of visible cases"),
    "workbench:loan_detail": Rule(SEE_ALL),
    # the loan's archive (contract copy): kept by team leads, legal and administrators on the
    # loans they see, read by whoever sees the loan
    "workbench:loan_document_upload": Rule(ADMIN_ONLY, method="POST"),
    "workbench:loan_document": Rule(SEE_ALL, note="streams the stored contract copy"),
    "workbench:queue": Rule(roles("collector", "team_lead", "admin")),
    "workbench:case_detail": Rule(SEE_ALL),
    "workbench:case_log": Rule(ADMIN_ONLY, method="POST"),
    "workbench:case_reveal": Rule(
        SEE_ALL,
        method="POST",
        data=_reveal,
        note="risk sees the case but gets the refusal, not the value (checked below)",
    ),
    "workbench:case_reassign": Rule(ADMIN_ONLY, method="POST"),
    "workbench:team": Rule(roles("team_lead", "admin")),
    "workbench:alert_resolve": Rule(ADMIN_ONLY, method="POST"),
    "workbench:pause_release": Rule(ADMIN_ONLY, method="POST"),
    # misconduct (the report page is for everyone: anyone may report)
    "conduct:report": Rule(SIGNED_IN),
    "conduct:list": Rule(SIGNED_IN, note="a reporter sees their own reports only"),
    "conduct:detail": Rule(roles("compliance", "admin")),
    "conduct:transition": Rule(
        roles("compliance", "admin"), method="POST", data=_conduct_transition
    ),
    "conduct:note": Rule(roles("compliance", "admin"), method="POST"),
    "conduct:message": Rule(roles("compliance", "admin"), method="POST"),
    # an anonymous reporter follows their report with its code (POST), whoever is signed in
    "conduct:follow": Rule(SIGNED_IN, note="the code is posted; a GET shows the empty form"),
    # script library: every signed-in user reads active scripts; compliance manages them
    "scripts:library": Rule(SIGNED_IN),
    "scripts:detail": Rule(SIGNED_IN),
    "scripts:create": Rule(roles("compliance", "admin")),
    "scripts:edit": Rule(roles("compliance", "admin")),
    "scripts:activate": Rule(roles("compliance", "admin"), method="POST"),
    "scripts:retire": Rule(roles("compliance", "admin"), method="POST"),
    # repayment arrangements (docs/arrangements.md): pages open to whoever sees the case; a
    # proposal and the signed confirmation need work_cases, a decision an approver role of
    # the matrix (conf APPROVERS: team_lead, risk; admin is not in it), a withdrawal the
    # proposer (collector_b here) or an approver
    "arrangements:awaiting": Rule(SIGNED_IN, note="lists only what the user may approve"),
    "arrangements:case": Rule(SEE_ALL, note="proposing (POST) needs work_cases"),
    "arrangements:detail": Rule(SEE_ALL),
    "arrangements:decide": Rule(roles("risk"), method="POST"),
    "arrangements:withdraw": Rule(roles("risk"), method="POST"),
    "arrangements:confirm": Rule(ADMIN_ONLY, method="POST"),
    "arrangements:document": Rule(SEE_ALL, note="streams the stored signed confirmation"),
    # hardship claims (docs/hardship.md): filed and documented with work_cases, verified with
    # work_cases or view_team (not by the uploader), decided by a team lead (view_team)
    "hardship:case": Rule(SEE_ALL, note="filing (POST) needs work_cases"),
    "hardship:detail": Rule(SEE_ALL),
    "hardship:upload": Rule(ADMIN_ONLY, method="POST"),
    "hardship:verify": Rule(ADMIN_ONLY, method="POST"),
    "hardship:decide": Rule(ADMIN_ONLY, method="POST", note="or the filer, to withdraw"),
    "hardship:document": Rule(SEE_ALL, note="streams the stored proof (its verifier's view)"),
    # hard cases (docs/hard-cases.md): collector, lead, legal, risk (work_cases, view_team,
    # view_legal, manage_strategy) act on the cases they see; compliance (reads any case,
    # investigate_misconduct) reads the pages and acts on none
    "hardcases:traces": Rule(SIGNED_IN, note="traces of the visible cases"),
    "hardcases:case": Rule(SEE_ALL, note="compliance reads it without the action forms"),
    "hardcases:act": Rule(roles("risk", "admin"), method="POST", note="each op checks its own"),
    # investigation agencies and their signed authorisation letters: registered by team leads,
    # legal and admin (view_team, view_legal, admin); read and downloaded by them and by
    # compliance (investigate_misconduct), which audits the authorisations
    "hardcases:agencies": Rule(roles("team_lead", "legal", "compliance", "admin")),
    "hardcases:agency_register": Rule(roles("team_lead", "legal", "admin"), method="POST"),
    "hardcases:agency_letter": Rule(
        roles("team_lead", "legal", "compliance", "admin"), note="streams the stored letter"
    ),
    # revoking an agency's authorisation: as registering (the first allowed caller revokes,
    # the next ones are told it is already revoked, a message, not a refusal)
    "hardcases:agency_revoke": Rule(
        roles("team_lead", "legal", "admin"),
        method="POST",
        data=lambda w: {"reason": "authorisation walk"},
    ),
    # legal (docs/legal.md): legal and team leads read and refer, only legal acts. The
    # referral walked is of referred_case (legal sees every referred case; a referral of
    # other_case would make legal see other_case on every other page)
    "legal:list": Rule(roles("team_lead", "legal", "admin")),
    "legal:deadlines": Rule(roles("team_lead", "legal", "admin")),
    "legal:refer": Rule(ADMIN_ONLY, note="view_team or view_legal, and sees the case"),
    "legal:detail": Rule(roles("legal", "admin")),
    "legal:act": Rule(roles("legal", "admin"), method="POST"),
    # evidence packages (docs/evidence.md): legal, compliance, admin, for the cases they see
    "evidence:case": Rule(roles("compliance", "admin")),
    "evidence:export": Rule(roles("compliance", "admin"), method="POST"),
}

# Django's admin site: administrators only (staff follows the role), everything under it.
ADMIN_NAMESPACE = "admin"
ADMIN_SITE = Rule(ADMIN_ONLY)
ADMIN_PUBLIC = {
    "admin:login": Rule(EVERYONE, ok=(302,), note="redirects to /accounts/login/"),
    "admin:logout": Rule(EVERYONE, method="POST", ok=(200, 302), last=True),
}

# --- API operations (method, path from the OpenAPI schema) -------------------------------------

LINT = {"text": "您好，请按时还款。", "audience": "borrower", "lang": "zh"}
SCENARIOS = Path(__file__).resolve().parent.parent / "compliance" / "scenarios"
STRATEGY_READERS = roles("team_lead", "risk", "compliance", "admin")  # view_reports/manage_strategy
PLAN_READERS = roles("team_lead", "risk", "admin")  # view_team/manage_strategy


def _scenario(world: World) -> dict[str, Any]:
    return dict(yaml.safe_load(sorted(SCENARIOS.glob("*.yaml"))[0].read_text(encoding="utf-8")))


API: dict[tuple[str, str], Rule] = {
    ("GET", "/api/portfolio/borrowers"): Rule(SIGNED_IN),
    ("GET", "/api/portfolio/borrowers/{borrower_id}"): Rule(SEE_ALL),
    ("GET", "/api/portfolio/loans"): Rule(SIGNED_IN),
    ("GET", "/api/portfolio/loans/{contract_no}"): Rule(SEE_ALL),
    ("GET", "/api/portfolio/vehicles"): Rule(SIGNED_IN),
    ("GET", "/api/portfolio/vehicles/{vehicle_id}"): Rule(SEE_ALL),
    ("GET", "/api/delinquency/runs"): Rule(STRATEGY_READERS),
    ("GET", "/api/delinquency/loans/{contract_no}"): Rule(SEE_ALL),
    ("GET", "/api/delinquency/roll-rates"): Rule(
        STRATEGY_READERS, query={"year": 2026, "month": 2}
    ),
    ("POST", "/api/delinquency/pauses"): Rule(
        ADMIN_ONLY,
        method="POST",
        ok=(201,),
        data=lambda w: {
            "contract_no": HIDDEN_CONTRACT,
            "start_on": "2026-02-01",
            "end_on": "2026-02-10",
            "reason": "disaster_relief",
        },
    ),
    ("POST", "/api/compliance/lint"): Rule(
        SIGNED_IN, method="POST", ok=(200,), data=lambda w: LINT
    ),
    ("POST", "/api/compliance/check"): Rule(SIGNED_IN, method="POST", ok=(200,), data=_scenario),
    ("POST", "/api/compliance/cases/{case_id}/check"): Rule(
        ADMIN_ONLY,
        method="POST",
        ok=(200,),
        data=lambda w: {"channel": "call", "party": "borrower", "number": f"+86{HIDDEN_PHONE}"},
    ),
    ("GET", "/api/strategy/strategies"): Rule(STRATEGY_READERS),
    ("GET", "/api/strategy/strategies/{code}"): Rule(STRATEGY_READERS),
    ("GET", "/api/strategy/plan"): Rule(PLAN_READERS, note="a lead sees their cases' items"),
    ("GET", "/api/strategy/queues"): Rule(PLAN_READERS, note="a lead sees their teams' queues"),
    ("GET", "/api/strategy/queues/{code}"): Rule(roles("risk", "admin")),
    ("GET", "/api/strategy/experiments/{strategy}/arms"): Rule(STRATEGY_READERS),
    # The case workflows, read as their pages are: arrangements and hardship claims by whoever
    # sees the case; legal referrals by view_legal or view_team (the referral walked is of
    # referred_case, as for legal:detail); a case's hard cases by views.VIEWERS
    ("GET", "/api/arrangements"): Rule(SIGNED_IN, note="lists only the visible cases'"),
    ("GET", "/api/arrangements/{arrangement_id}"): Rule(SEE_ALL),
    ("GET", "/api/hardship/claims"): Rule(SIGNED_IN, note="lists only the visible cases'"),
    ("GET", "/api/hardship/claims/{claim_id}"): Rule(SEE_ALL),
    ("GET", "/api/legal/referrals"): Rule(roles("team_lead", "legal", "admin")),
    ("GET", "/api/legal/referrals/{referral_id}"): Rule(roles("legal", "admin")),
    ("GET", "/api/hardcases/cases/{case_id}"): Rule(SEE_ALL, note="compliance reads it too"),
}

# --- the objects path parameters point at ------------------------------------------------------

# (url name or API path, parameter) first, then the parameter alone.
PARAMS: dict[tuple[str, str] | str, Callable[[WalkWorld], object]] = {
    "case_id": lambda w: w.world.other_case.pk,
    "contract_no": lambda w: HIDDEN_CONTRACT,
    "borrower_id": lambda w: w.world.other_loan.borrower_id,
    "vehicle_id": lambda w: w.world.other_loan.vehicle.pk,
    "hold_id": lambda w: w.hold_id,
    "alert_id": lambda w: w.alert_id(),
    ("conduct:detail", "pk"): lambda w: w.report_id(),
    ("conduct:transition", "pk"): lambda w: w.report_id(),
    ("conduct:note", "pk"): lambda w: w.report_id(),
    ("conduct:message", "pk"): lambda w: w.report_id(),
    ("scripts:detail", "pk"): lambda w: w.script_id(),
    ("scripts:edit", "pk"): lambda w: w.script_id(),
    ("scripts:activate", "pk"): lambda w: w.script_id(),
    ("scripts:retire", "pk"): lambda w: w.script_id(),
    ("arrangements:detail", "pk"): lambda w: w.arrangement_id(),
    ("arrangements:decide", "pk"): lambda w: w.arrangement_id(),
    ("arrangements:withdraw", "pk"): lambda w: w.arrangement_id(),
    ("arrangements:confirm", "pk"): lambda w: w.arrangement_id(),
    ("arrangements:document", "doc_id"): lambda w: w.arrangement_document_id(),
    ("workbench:loan_document", "document_id"): lambda w: w.loan_document_id(),
    ("hardship:detail", "pk"): lambda w: w.claim_id(),
    ("hardship:upload", "pk"): lambda w: w.claim_id(),
    ("hardship:decide", "pk"): lambda w: w.claim_id(),
    "doc_id": lambda w: w.claim_document_id(),
    ("legal:detail", "pk"): lambda w: w.referral_id(),
    ("legal:act", "pk"): lambda w: w.referral_id(),
    "arrangement_id": lambda w: w.arrangement_id(),
    "claim_id": lambda w: w.claim_id(),
    "referral_id": lambda w: w.referral_id(),
    "agency_id": lambda w: w.agency_id(),
    ("/api/strategy/strategies/{code}", "code"): lambda w: "default",
    ("/api/strategy/queues/{code}", "code"): lambda w: "late_calls",  # team B's queue
    "strategy": lambda w: "default",
    # admin site
    "app_label": lambda w: "accounts",
    "object_id": lambda w: w.world.other_case.loan.borrower_id,
    "content_type_id": lambda w: ContentType.objects.get_for_model(User).pk,
    "url": lambda w: "no-such-page/",
    "id": lambda w: w.world.users[Role.COLLECTOR].pk,
    ("admin:otp_totp_totpdevice_config", "pk"): lambda w: w.totp_device_id(),
    ("admin:otp_totp_totpdevice_qrcode", "pk"): lambda w: w.totp_device_id(),
}


def _store_pdf(folder: str) -> StoredDocument:
    """A small PDF kept by the document store (the walk's temporary folder, ``document_dir``)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from autocollect.documents.storage import document_atomic, document_store

    with document_atomic():
        return document_store(SimpleUploadedFile("walk.pdf", b"%PDF-1.4\n%%EOF\n"), folder=folder)


class WalkWorld:
    """The conftest world plus what the pages and operations need to answer a 200: a strategy
    with queues and a plan, cycle runs at two month ends, a hold, an alert, a misconduct report
    and an active script (the last three built only when their page exists)."""

    world: World
    hold_id: int

    def __init__(self) -> None:
        from autocollect.accounts.models import WorkQueue
        from autocollect.channels.services import template_load_defaults
        from autocollect.compliance.models import ContactHold
        from autocollect.delinquency.models import CycleRun
        from autocollect.strategy.models import PlannedAction, PlanRun, Strategy
        from autocollect.strategy.services import strategy_load_file

        self.world = build_world()
        world = self.world
        make_contact(world.other_loan.borrower, kind=ContactKind.MOBILE, value=f"+86{HIDDEN_PHONE}")
        template_load_defaults(actor="walk")
        load = strategy_load_file(actor="walk")
        WorkQueue.objects.filter(code="early_calls").update(team=world.team_a)
        WorkQueue.objects.filter(code="late_calls").update(team=world.team_b)
        now = timezone.now()
        for as_of in (date(2026, 1, 31), date(2026, 2, 28)):
            CycleRun.objects.create(as_of=as_of, started_at=now, finished_at=now)
        today = timezone.localdate()
        strategy = Strategy.objects.get(code="default")
        PlanRun.objects.create(
            as_of=today,
            strategy=strategy,
            champion=load.champion,
            started_at=now,
            finished_at=now,
            stats={"actions": 1},
        )
        PlannedAction.objects.create(
            as_of=today,
            case=world.other_case,
            borrower=world.other_loan.borrower,
            version=load.champion,
            arm="champion",
            segment="late",
            step="late_call",
            reason="day",
            channel="call",
            queue=WorkQueue.objects.get(code="late_calls"),
            priority=75,
            status="queued",
            local_time=time(10, 0),
            planned_at=now,
            scheduled_at=now,
            valid_until=today + timedelta(days=2),
            agent=world.collector_b,
            queue_rank=1,
            minutes=6,
        )
        self.hold_id = ContactHold.objects.create(
            case=world.other_case, reason="dispute", placed_at=now, placed_by="walk"
        ).pk
        self._alert: int | None = None
        self._report: int | None = None
        self._script: int | None = None
        self._arrangement: int | None = None
        self._claim: int | None = None
        self._claim_document: int | None = None
        self._loan_document: int | None = None
        self._arrangement_document: int | None = None
        self._referral: int | None = None
        self._agency: int | None = None

    @property
    def hidden_national_id(self) -> str:
        return str(self.world.other_loan.borrower.national_id)

    def totp_device_id(self) -> int:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(
            user=self.world.collector_b, name="walk", defaults={"confirmed": False}
        )
        return int(device.pk)

    def alert_id(self) -> int:
        if self._alert is None:
            from autocollect.cases.models import Alert

            self._alert = Alert.objects.create(
                case=self.world.other_case,
                kind="dispute",
                raised_by=self.world.collector_b,
                raised_at=timezone.now(),
            ).pk
        return self._alert

    def report_id(self) -> int:
        if self._report is None:
            from autocollect.conduct.services import report_file

            self._report = report_file(
                reporter=self.world.collector_b,
                subject=self.world.lead_b,
                category="other",
                description="授权检查用的举报",
                case=self.world.other_case,
            ).pk
        return self._report

    def script_id(self) -> int:
        if self._script is None:
            from autocollect.scripts.models import Script
            from autocollect.scripts.services import script_load_defaults

            script_load_defaults(actor="walk")
            self._script = Script.objects.filter(status="active").order_by("pk").first().pk  # type: ignore[union-attr]
        return self._script

    def arrangement_id(self) -> int:
        """A proposal on other_case by its collector, awaiting a decision."""
        if self._arrangement is None:
            from autocollect.arrangements.services import arrangement_propose

            self._arrangement = arrangement_propose(
                case=self.world.other_case,
                actor=self.world.collector_b,
                kind="installment_plan",
                installments=3,
                reason="授权检查用的方案",
            ).pk
        return self._arrangement

    def arrangement_document_id(self) -> int:
        """A signed confirmation of that proposal, stored under the walk's temporary document
        folder (the row only, the arrangement stays proposed for the decision pages)."""
        if self._arrangement_document is None:
            from autocollect.arrangements.models import ArrangementDocument

            stored = _store_pdf("arrangements")
            self._arrangement_document = ArrangementDocument.objects.create(
                arrangement_id=self.arrangement_id(),
                original_name=stored.original_name,
                stored_path=stored.stored_path,
                sha256=stored.sha256,
                size_bytes=stored.size_bytes,
                content_type=stored.content_type,
                uploaded_by=self.world.collector_b,
                uploaded_at=timezone.now(),
            ).pk
        return self._arrangement_document

    def claim_id(self) -> int:
        """A hardship claim on other_case filed by its collector, awaiting documents."""
        if self._claim is None:
            from autocollect.hardship.services import claim_file

            self._claim = claim_file(
                case=self.world.other_case,
                actor=self.world.collector_b,
                claim_type="illness",
                description="授权检查用的申请",
            ).pk
        return self._claim

    def claim_document_id(self) -> int:
        """A document of that claim uploaded by collector_b, not yet verified, its file stored
        under the walk's temporary document folder (the download page serves it)."""
        if self._claim_document is None:
            from autocollect.hardship.models import ClaimDocument

            stored = _store_pdf("hardship")
            self._claim_document = ClaimDocument.objects.create(
                claim_id=self.claim_id(),
                doc_type="medical_certificate",
                original_name=stored.original_name,
                stored_path=stored.stored_path,
                sha256=stored.sha256,
                size_bytes=stored.size_bytes,
                content_type=stored.content_type,
                uploaded_by=self.world.collector_b,
                uploaded_at=timezone.now(),
            ).pk
        return self._claim_document

    def loan_document_id(self) -> int:
        """A contract copy of other_case's loan, stored under the walk's document folder."""
        if self._loan_document is None:
            from autocollect.portfolio.models import LoanDocument

            stored = _store_pdf("loans")
            self._loan_document = LoanDocument.objects.create(
                loan=self.world.other_case.loan,
                kind="contract",
                original_name=stored.original_name,
                stored_path=stored.stored_path,
                sha256=stored.sha256,
                size_bytes=stored.size_bytes,
                content_type=stored.content_type,
                uploaded_by=self.world.users[Role.ADMIN],
                uploaded_at=timezone.now(),
            ).pk
        return self._loan_document

    def referral_id(self) -> int:
        """A referral of referred_case (already with legal, assigned to nobody): legal and
        the administrator see it, team leads and collectors do not."""
        if self._referral is None:
            from autocollect.legal.services.referrals import referral_create

            self._referral = referral_create(
                case=self.world.referred_case,
                actor=self.world.users[Role.ADMIN],
                reason="refused_to_pay",
                note="授权检查",
            ).pk
        return self._referral

    def agency_id(self) -> int:
        """An investigation agency registered with its signed letter (stored under the
        walk's temporary document folder, ``document_dir``)."""
        if self._agency is None:
            from django.core.files.uploadedfile import SimpleUploadedFile

            from autocollect.hardcases.services.agencies import agency_register

            self._agency = agency_register(
                actor=self.world.users[Role.ADMIN],
                name="授权检查调查公司",
                licence_no="91110000WALK",
                authorisation_ref="SQ-WALK",
                authorised_from=date(2026, 1, 1),
                authorised_until=date(2026, 12, 31),
                letter=SimpleUploadedFile("walk.pdf", b"%PDF-1.4\n%%EOF\n"),
            ).pk
        return self._agency


# --- walking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str  # the URL name, or the route for an unnamed pattern
    pieces: tuple[Any, ...]  # the route's patterns, outermost first
    namespace: str

    @property
    def route(self) -> str:
        return "".join(str(p) for p in self.pieces)


def _pages() -> Iterator[Page]:
    def walk(patterns: list[Any], pieces: tuple[Any, ...], namespace: str) -> Iterator[Page]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                yield from walk(entry.url_patterns, (*pieces, entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                route = "".join(str(p) for p in (*pieces, entry.pattern))
                key = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                yield Page(key or route, (*pieces, entry.pattern), namespace)

    yield from walk(get_resolver().url_patterns, (), "")


ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
REGEX_PARAM = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def _value(w: WalkWorld, key: str, param: str) -> str:
    provider = PARAMS.get((key, param)) or PARAMS.get(param)
    if provider is None:
        raise LookupError(
            f"{key}: no value for the path parameter {param!r}; add one to PARAMS in {THIS_FILE}"
        )
    return str(provider(w))


def _url(w: WalkWorld, page: Page) -> str:
    parts = []
    for piece in page.pieces:
        text = str(piece)
        if isinstance(piece, RegexPattern):
            text = REGEX_PARAM.sub(lambda m: _value(w, page.key, m.group(1)), text)
            text = text.lstrip("^").rstrip("$").replace("\\", "")
        else:
            text = ROUTE_PARAM.sub(lambda m: _value(w, page.key, m.group(1)), text)
        parts.append(text)
    return "/" + "".join(parts)


def _leaks(w: WalkWorld, role: str) -> list[str]:
    """What must not appear in any answer to ``role``."""
    if role in SEE_ALL:
        sees, reveals = True, role != Role.RISK.value
    else:
        sees, reveals = False, False
    secrets = [] if reveals else [w.hidden_national_id, HIDDEN_PHONE]
    return secrets if sees else [HIDDEN_CONTRACT, HIDDEN_NAME, *secrets]


def _is_login_redirect(response: Any, *targets: str) -> bool:
    location = response.get("Location", "")
    return response.status_code == 302 and any(location.startswith(t) for t in targets)


LOGIN_PAGES = ("/accounts/login/", "/admin/login/")


def _judge(w: WalkWorld, rule: Rule, role: str, response: Any, *, api_call: bool) -> str | None:
    """None when the answer is what the rule wants, else what is wrong."""
    status = response.status_code
    if role in rule.allowed:
        if rule.ok:
            good = status in rule.ok
        elif rule.method == "GET":
            good = status == 200
        else:
            good = status not in (401, 403, 404, 405) and not _is_login_redirect(
                response, *LOGIN_PAGES
            )
        if not good:
            return f"allowed, but got {status} {response.get('Location', '')}".rstrip()
    elif role == ANON:
        if rule.anonymous:
            good = status in rule.anonymous
        elif api_call:
            good = status == 401
        else:
            good = _is_login_redirect(response, *LOGIN_PAGES)
        if not good:
            return f"anonymous must be refused, got {status} {response.get('Location', '')}"
    elif status not in (403, 404) and not _is_login_redirect(response, *LOGIN_PAGES):
        return f"must be refused (403/404), got {status}"
    if status == 200 and not response.streaming:
        body = response.content.decode("utf-8", errors="replace")
        shown = [s for s in _leaks(w, role) if s and s in body]
        if shown:
            return f"shows what {role} must not see: {shown}"
    return None


def _request(
    client: Client, rule: Rule, url: str, w: WalkWorld, headers: dict[str, str] | None = None
) -> Any:
    data = rule.data(w.world) if rule.data else {}
    if rule.method == "GET":
        return client.get(url, rule.query, headers=headers)
    if url.startswith("/api/"):
        return client.generic(
            rule.method, url, data=_json(data), content_type="application/json", headers=headers
        )
    return client.post(url, data, headers=headers)


def _fill_api_path(w: WalkWorld, path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _value(w, path, m.group(1)), path)


def _json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, default=str)


ROLE_ORDER = [ANON, *(r.value for r in Role if r != Role.ADMIN), Role.ADMIN.value]


def _clients(w: WalkWorld) -> dict[str, Client]:
    clients = {ANON: Client()}
    for role in ROLE_ORDER[1:]:
        client = Client()
        client.force_login(w.world.users[role])
        clients[role] = client
    return clients


@pytest.fixture(autouse=True)
def document_dir(settings: Any, tmp_path: Path) -> Path:
    """Documents stored during the walk (an agency's authorisation letter) go to a temporary
    folder."""
    folder = tmp_path / "documents"
    block = dict(settings.AUTOCOLLECT)
    block["DOCUMENTS"] = {**(block.get("DOCUMENTS") or {}), "DIR": str(folder)}
    settings.AUTOCOLLECT = block
    return folder


@pytest.fixture
def walk_world(db: None) -> WalkWorld:
    return WalkWorld()


def _page_rule(page: Page) -> Rule | None:
    if page.key in ADMIN_PUBLIC:
        return ADMIN_PUBLIC[page.key]
    if page.namespace == ADMIN_NAMESPACE or page.route.startswith("admin/"):
        return ADMIN_SITE
    return PAGES.get(page.key)


def test_every_page_refuses_whom_it_must(walk_world: WalkWorld) -> None:
    w = walk_world
    api_namespace = api.urls_namespace
    pages = [
        p
        for p in _pages()
        if not (p.namespace == api_namespace and p.key not in PAGES)  # operations: API walk
    ]
    # Every API route is an operation of the schema, so that the API walk covers it.
    schema_paths = set(api.get_openapi_schema()["paths"])
    hidden_routes = [
        p.route
        for p in _pages()
        if p.namespace == api_namespace
        and p.key not in PAGES
        and "/" + ROUTE_PARAM.sub(r"{\1}", p.route) not in schema_paths
    ]
    assert not hidden_routes, f"API routes missing from the OpenAPI schema: {hidden_routes}"
    unclassified = [p for p in pages if _page_rule(p) is None]
    assert not unclassified, (
        "pages nobody classified — add each to PAGES in "
        f"{THIS_FILE} (which roles may use it) and to docs/roles.md: "
        + ", ".join(f"{p.key} (/{p.route})" for p in unclassified)
    )
    clients = _clients(w)
    problems: list[str] = []
    walked = 0
    ordered = sorted(pages, key=lambda p: bool(_page_rule(p).last))  # type: ignore[union-attr]
    for page in ordered:
        rule = _page_rule(page)
        assert rule is not None
        try:
            url = _url(w, page)
        except LookupError as exc:
            problems.append(str(exc))
            continue
        for role in ROLE_ORDER:
            response = _request(clients[role], rule, url, w)
            walked += 1
            if role == Role.ADMIN.value and rule is ADMIN_SITE:
                # Inside the admin an object page may 302 or 404 (an id of another model), and
                # read-only models refuse add and delete (403); what matters here is that the
                # administrator is let into the site (every list: the test below).
                if _is_login_redirect(response, *LOGIN_PAGES):
                    problems.append(f"{rule.method} {url} as admin: sent to the login page")
                continue
            wrong = _judge(w, rule, role, response, api_call=False)
            if wrong:
                problems.append(f"{rule.method} {url} ({page.key}) as {role}: {wrong}")
    assert not problems, f"{len(problems)} of {walked} requests wrong:\n" + "\n".join(problems)


@pytest.mark.parametrize("how", ["session", "token"])
def test_every_api_operation_refuses_whom_it_must(walk_world: WalkWorld, how: str) -> None:
    w = walk_world
    operations = [
        (method.upper(), path)
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method in methods
    ]
    unclassified = [op for op in operations if op not in API]
    assert not unclassified, (
        f"API operations nobody classified — add each to API in {THIS_FILE} and to "
        "docs/roles.md: " + ", ".join(f"{m} {p}" for m, p in unclassified)
    )
    if how == "session":
        clients = _clients(w)
        headers: dict[str, dict[str, str]] = {role: {} for role in ROLE_ORDER}
    else:
        clients = {role: Client() for role in ROLE_ORDER}
        headers = {ANON: {}}
        for role in ROLE_ORDER[1:]:
            secret = token_create(user=w.world.users[role], actor="walk").secret
            headers[role] = {"Authorization": f"Bearer {secret}"}
    problems = []
    for method, path in operations:
        rule = API[(method, path)]
        url = _fill_api_path(w, path)
        for role in ROLE_ORDER:
            response = _request(clients[role], rule, url, w, headers[role])
            wrong = _judge(w, rule, role, response, api_call=True)
            if wrong:
                problems.append(f"{method} {url} as {role} ({how}): {wrong}")
    assert not problems, "\n".join(problems)


def test_a_collector_reaches_their_own_case_where_they_are_refused_the_others(
    walk_world: WalkWorld,
) -> None:
    """The refusals above are not blanket: the same collector gets their own case, by id in
    the URL and in the API."""
    w = walk_world
    collector = w.world.users[Role.COLLECTOR]
    own: CollectionCase = w.world.own_case
    client = Client()
    client.force_login(collector)
    contract = own.loan.contract_no
    assert client.get(f"/api/portfolio/loans/{contract}").status_code == 200
    assert client.get(f"/api/portfolio/loans/{HIDDEN_CONTRACT}").status_code == 404
    assert client.get(f"/api/delinquency/loans/{contract}").status_code == 200
    listing = client.get("/api/portfolio/loans").json()
    assert [item["contract_no"] for item in listing["items"]] == [contract]
    mobile = ContactPoint.objects.filter(borrower=own.loan.borrower).first()
    number = mobile.value if mobile else f"+86{HIDDEN_PHONE}"
    check = client.post(
        f"/api/compliance/cases/{own.pk}/check",
        {"channel": "call", "party": "borrower", "number": number},
        content_type="application/json",
    )
    assert check.status_code == 200
    urls = {p.key for p in _pages()}
    if "workbench:case_detail" in urls:
        assert client.get(f"/cases/{own.pk}/").status_code == 200
        assert client.get(f"/cases/{w.world.other_case.pk}/").status_code == 404
    assert client.get(f"/loans/{contract}/").status_code == 200
    assert client.get(f"/loans/{HIDDEN_CONTRACT}/").status_code == 404
    assert has_permission(collector, "work_cases")


def test_the_administrator_gets_every_admin_list(walk_world: WalkWorld) -> None:
    from django.contrib import admin

    client = Client()
    client.force_login(walk_world.world.users[Role.ADMIN])
    assert client.get("/admin/").status_code == 200
    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
