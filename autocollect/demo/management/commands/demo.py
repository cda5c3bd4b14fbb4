"""``autocollect demo``: migrate, load a synthetic loan book, create the demo user, serve.

Idempotent: a database that already has loans keeps them (``--reset`` rebuilds the book).
Refuses to run where ``settings.DEMO_ALLOWED`` is false (the production settings), because it
creates a superuser and one user per role with a published password (README).
"""

from __future__ import annotations

import graphlib
import time
from argparse import ArgumentParser, ArgumentTypeError
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.db.models import Count, F, Max, Min

from autocollect.accounts.models import Team, WorkQueue
from autocollect.arrangements.models import Arrangement
from autocollect.channels.conf import media_dir
from autocollect.channels.services import template_load_defaults
from autocollect.delinquency.models import CycleRun
from autocollect.demo import DEFAULT_SEED, generate
from autocollect.demo.behaviour import RiskLevel
from autocollect.demo.casework import DemoCasework
from autocollect.demo.measure import BUCKETS, GRACE_DAYS, TOLERANCE_FEN, bucket_of
from autocollect.demo.simulation import simulate
from autocollect.hardship.models import HardshipClaim
from autocollect.legal.models import LegalDeadline, LegalReferral
from autocollect.portfolio.importers import import_loans, import_payments
from autocollect.portfolio.models import (
    Borrower,
    ImportBatch,
    Installment,
    Loan,
    Payment,
    Product,
)
from autocollect.strategy.services import strategy_load_file

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "autocollect-demo"  # noqa: S105 - published on purpose; never in production
# One user per role besides the administrator, all with DEMO_PASSWORD (listed in the README).
DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("collector1", "collector"),
    ("collector2", "collector"),
    ("lead1", "team_lead"),
    ("legal1", "legal"),
    ("risk1", "risk"),
    ("qa1", "compliance"),
)
DEMO_TEAM = "演示催收一组"
DEMO_ACTOR = "demo"
DEMO_TIMEZONE = ZoneInfo("Asia/Shanghai")
# State computed from the book that does not point at it by foreign key: the record of which
# cycle dates are complete would otherwise make the next cycle skip the rebuilt book.
DERIVED_WITHOUT_FOREIGN_KEYS = ("delinquency.CycleRun",)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"'{text}' is not a date in YYYY-MM-DD form") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise ArgumentTypeError(f"{value} must be at least 1")
    return value


@dataclass(frozen=True, slots=True)
class BookDelinquency:
    """DPD at as-of as the database has it after import (penalty not counted)."""

    outstanding: int
    buckets: dict[str, int]

    @property
    def delinquent(self) -> int:
        return sum(self.buckets.values())

    def share(self, count: int) -> float:
        return count / max(self.outstanding, 1)


def book_delinquency(as_of: date) -> BookDelinquency:
    """Loans whose oldest installment due by ``as_of`` still owes more than the tolerance."""
    owed = Installment.objects.annotate(
        owed=F("principal_fen")
        + F("interest_fen")
        - F("paid_principal_fen")
        - F("paid_interest_fen")
    ).filter(owed__gt=TOLERANCE_FEN)
    outstanding = owed.values("loan_id").distinct().count()
    oldest = (
        owed.filter(due_on__lte=as_of)
        .values("loan_id")
        .annotate(oldest=Min("due_on"))
        .values_list("oldest", flat=True)
    )
    buckets: dict[str, int] = {}
    for due_on in oldest:
        name = bucket_of((as_of - due_on).days)
        if name is not None:
            buckets[name] = buckets.get(name, 0) + 1
    return BookDelinquency(outstanding=outstanding, buckets=buckets)


def _portfolio_dependents() -> list[type[models.Model]]:
    """Every project model holding portfolio data, in an order safe to delete (referencing
    models first). Products are configuration and stay; so does the audit log, which is
    append-only and refers to objects by id, not by foreign key."""
    roots: set[type[models.Model]] = {Borrower, Loan, Payment, ImportBatch}
    for label in DERIVED_WITHOUT_FOREIGN_KEYS:
        try:
            roots.add(apps.get_model(label))
        except LookupError:
            continue
    # With the tables Django creates for many-to-many fields (an outbox message's
    # interactions): they point at the book too.
    project = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m.__module__.startswith("autocollect.") and m is not Product
    ]
    portfolio = {m for m in project if m._meta.app_label == "portfolio" and m is not Product}
    chosen = roots | portfolio
    # Grow to everything that references a chosen model, directly or through another one.
    changed = True
    while changed:
        changed = False
        for model in project:
            if model in chosen:
                continue
            if any(
                f.is_relation and f.related_model in chosen for f in model._meta.concrete_fields
            ):
                chosen.add(model)
                changed = True
    # A model must go before the models it points at; self references do not count.
    graph: dict[type[models.Model], set[type[models.Model]]] = {m: set() for m in chosen}
    for model in chosen:
        for f in model._meta.concrete_fields:
            target = f.related_model if f.is_relation else None
            if isinstance(target, type) and target in chosen and target is not model:
                graph[target].add(model)
    return list(graphlib.TopologicalSorter(graph).static_order())


def _by_state(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if v) or "none"


def casework_summary(steps: Counter[str], judged: Counter[str]) -> str:
    """What the simulated casework did, and where it left the legal, arrangement and hardship
    records (what legal1, lead1 and risk1 find when they sign in)."""

    def count(model: type[models.Model], column: str) -> dict[str, int]:
        rows = model._default_manager.values_list(column).annotate(n=Count("pk")).order_by(column)
        return {str(key): int(n) for key, n in rows}

    done = ", ".join(f"{k} {v}" for k, v in sorted(steps.items())) or "none"
    referrals, arrangements, claims = (
        count(LegalReferral, "stage"),
        count(Arrangement, "state"),
        count(HardshipClaim, "state"),
    )
    deadlines = LegalDeadline.objects.filter(done_at__isnull=True).count()
    return (
        f"Casework: {done}; arrangements judged by the cycle: {_by_state(dict(judged))}.\n"
        f"  legal referrals {sum(referrals.values())} ({_by_state(referrals)}), "
        f"{deadlines} deadlines open; arrangements {sum(arrangements.values())} "
        f"({_by_state(arrangements)}); hardship claims {sum(claims.values())} "
        f"({_by_state(claims)})."
    )


class Command(BaseCommand):
    help = (
        "Build a realistic synthetic loan book (deterministic for a seed), create the demo "
        "superuser and serve the web application. 生成演示数据并启动服务。"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--loans", type=_positive, default=5000, help="number of loans")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
        parser.add_argument(
            "--as-of",
            type=_iso_date,
            default=None,
            help="simulate payments up to this date (default: today in Asia/Shanghai)",
        )
        parser.add_argument(
            "--risk",
            choices=[r.value for r in RiskLevel],
            default=RiskLevel.NORMAL.value,
            help="normal: China auto finance; high: US-subprime-like delinquency",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=90,
            help="days of collection work to simulate up to the as-of date (default 90; 1: "
            "only plan the as-of date)",
        )
        parser.add_argument("--no-serve", action="store_true", help="build the data and exit")
        parser.add_argument("--port", type=int, default=8000, help="port for the web server")
        parser.add_argument(
            "--reset", action="store_true", help="delete all portfolio data and rebuild it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "DEMO_ALLOWED", False):
            raise CommandError(
                "autocollect demo is disabled by these settings (DEMO_ALLOWED is false): it "
                "creates a superuser with a published password and synthetic loans, and must "
                "never run against a production database. 生产环境禁止运行演示命令。"
            )
        verbosity = int(options["verbosity"])
        as_of: date = options["as_of"] or datetime.now(DEMO_TIMEZONE).date()
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))

        if options["reset"]:
            self._reset()
        if Loan.objects.exists():
            self.stdout.write(
                "The database already has loans: keeping them, nothing generated "
                "(use --reset to rebuild the demo book). 已有贷款数据，跳过生成。"
            )
        else:
            self._build(
                loans=options["loans"], seed=options["seed"], as_of=as_of, risk=options["risk"]
            )

        self._ensure_user()
        self._summary(as_of)
        self._collect(as_of, days=max(options["days"], 1))
        url = f"http://127.0.0.1:{options['port']}/"
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {url}  (admin: {url}admin/)  users {DEMO_USERNAME}, "
                f"{', '.join(name for name, _ in DEMO_USERS)} / password {DEMO_PASSWORD}"
            )
        )
        if not options["no_serve"]:
            call_command("runserver", f"127.0.0.1:{options['port']}", use_reloader=False)

    def _reset(self) -> None:
        order = _portfolio_dependents()
        with transaction.atomic(), connection.cursor() as cursor:
            # Plain DELETEs: the ORM would load every row to honour PROTECT and signals,
            # which is slow for a few hundred thousand installments and refuses the order
            # of a whole-book wipe. Foreign keys are checked at commit on both databases.
            for model in order:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - table names from models
        names = ", ".join(m._meta.label for m in order)
        self.stdout.write(f"Deleted the portfolio data ({names}).")

    def _build(self, *, loans: int, seed: int, as_of: date, risk: str) -> None:
        started = time.perf_counter()
        book = generate(loans=loans, seed=seed, as_of=as_of, risk=risk)
        generated = time.perf_counter()
        self.stdout.write(
            f"Generated {book.loans.height} loans and {book.payments.height} payments "
            f"(seed {seed}, as of {as_of}, risk {risk}) in {generated - started:.1f}s."
        )
        # One transaction: a failed payments import must not leave loans behind, or the next
        # run would skip generation and keep a book without its payment history.
        with transaction.atomic():
            loans_result = import_loans(book.loans, actor=DEMO_ACTOR)
            payments_result = import_payments(book.payments, actor=DEMO_ACTOR)
        self.stdout.write(
            f"Imported in {time.perf_counter() - generated:.1f}s:\n"
            f"  loans: {loans_result.summary()}\n  payments: {payments_result.summary()}"
        )
        for result in (loans_result, payments_result):
            if result.rejected:
                self.stderr.write(
                    self.style.WARNING(
                        f"{result.rejected} demo rows were rejected, see {result.rejects_file}"
                    )
                )

    def _collect(self, as_of: date, *, days: int) -> None:
        """Simulate ``days`` days of collection work ending on the as-of date (cycle, plan,
        sends and the demo collectors' calls, through the contact gate: ``demo.simulation``)
        so that there is history to look at; the as-of date itself is cycled and planned, and
        its queues and outbox are left for the collectors and the worker."""
        template_load_defaults(actor=DEMO_ACTOR)
        strategy_load_file(actor=DEMO_ACTOR)
        self._staff_queues()
        done = CycleRun.objects.aggregate(last=Max("as_of"))["last"]
        if done is not None and done >= as_of:
            self.stdout.write(f"The daily cycle already ran through {done}.")
            return
        first = as_of - timedelta(days=days - 1)
        if done is not None:
            first = max(first, done + timedelta(days=1))
        self.stdout.write(f"Simulating {first} … {as_of} (cycle, plan, sends, calls) …")

        def every_tenth(line: str) -> None:
            day = date.fromisoformat(line[:10])
            if (day - first).days % 10 == 9 or day == as_of:
                self.stdout.write(f"  {line}")

        report = simulate(
            first=first,
            last=as_of,
            plan_last_day_only=True,
            progress=every_tenth,
            casework=DemoCasework.for_demo_users(),
        )
        sent = ", ".join(f"{k} {v}" for k, v in sorted(report.sent.items())) or "none"
        self.stdout.write(
            f"Simulated {len(report.days)} days in {report.seconds:.0f}s: sent {sent}; "
            f"{report.calls} calls, {report.promises} promises. Texts, e-mails, voice files and "
            f"letters are in {media_dir()}; today's queues are on the workbench."
        )
        if report.casework:
            self.stdout.write(
                casework_summary(report.casework, report.arrangements_judged)
                + f" Casework took {report.casework_seconds:.1f}s of the simulation."
            )

    def _ensure_user(self) -> None:
        users = get_user_model()
        if users.objects.filter(username=DEMO_USERNAME).exists():
            self.stdout.write(f"User '{DEMO_USERNAME}' exists: left as it is.")
        else:
            users.objects.create_superuser(username=DEMO_USERNAME, email="", password=DEMO_PASSWORD)
            self.stdout.write(f"Created superuser '{DEMO_USERNAME}'.")
        created = []
        for username, role in DEMO_USERS:
            if users.objects.filter(username=username).exists():
                continue
            # Demo collectors (and the lead) are trained and authorised: the planner gives
            # calls only to people allowed to make them.
            works = role in ("collector", "team_lead")
            users.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                collection_certified=works,
                collection_authorised=works,
            )
            created.append(username)
        team, _ = Team.objects.get_or_create(name=DEMO_TEAM)
        if team.lead is None:
            team.lead = users.objects.get(username="lead1")
            team.save(update_fields=["lead"])
        team.agents.add(*users.objects.filter(username__in=["collector1", "collector2"]))
        made = f"created {', '.join(created)}" if created else "they exist"
        self.stdout.write(f"Demo users, one per role ({made}); team {DEMO_TEAM}.")

    def _staff_queues(self) -> None:
        """Give the demo team the work queues nobody staffs, so that the plan assigns it cases."""
        team = Team.objects.filter(name=DEMO_TEAM).first()
        if team is not None:
            WorkQueue.objects.filter(team__isnull=True).update(team=team)

    def _summary(self, as_of: date) -> None:
        delinquency = book_delinquency(as_of)
        buckets = ", ".join(
            f"{name} {delinquency.buckets.get(name, 0)} "
            f"({delinquency.share(delinquency.buckets.get(name, 0)):.2%})"
            for name, _, _ in BUCKETS
        )
        self.stdout.write(
            f"Book: {Loan.objects.count()} loans, {Borrower.objects.count()} borrowers, "
            f"{Installment.objects.count()} installments, {Payment.objects.count()} payments.\n"
            f"Delinquent at {as_of} (DPD > {GRACE_DAYS}): {delinquency.delinquent} of "
            f"{delinquency.outstanding} outstanding loans "
            f"({delinquency.share(delinquency.delinquent):.2%}); {buckets}."
        )
