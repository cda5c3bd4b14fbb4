"""Strategies as versioned data, champion/challenger and the daily plan (the teams and work
queues it fills are the organisation's, ``accounts.models``).

A strategy (催收策略) is a sequence of versions; each version holds a definition (segments mapped
to treatment paths, ``definitions.py``) that is validated before it is saved. One version per
strategy is active (the champion); another may run as challenger on a fixed share of cases.
The planner writes one ``PlannedAction`` per action per date (docs/strategy.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from autocollect.accounts.models import WorkQueue
from autocollect.cases.models import CollectionCase
from autocollect.channels.models import OutboxMessage
from autocollect.core.fields import StampField
from autocollect.engine import frames
from autocollect.portfolio.models import Borrower

BASIS_POINTS = 10_000


class Strategy(models.Model):
    code = models.SlugField(_("策略代码"), max_length=40, unique=True)
    name = models.CharField(_("策略名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    # Champion/challenger: the challenger version runs on this share of cases (basis points,
    # 10,000 = all), chosen by a stable hash of (strategy code, case id).
    challenger = models.ForeignKey(
        "StrategyVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("挑战者版本"),
    )
    challenger_share_bp = models.PositiveIntegerField(_("挑战者占比（基点）"), default=0)
    created_at = StampField(auto_now_add=True)

    class Meta:
        verbose_name = _("催收策略")
        verbose_name_plural = _("催收策略")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(challenger_share_bp__lte=BASIS_POINTS),
                name="strategy_share_at_most_all",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("已启用")
    RETIRED = "retired", _("已停用")


class StrategyVersion(models.Model):
    """One version of a strategy's definition. A draft can be edited; once activated or used
    as challenger its definition never changes (a change is a new version)."""

    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    definition = models.JSONField(_("策略定义"))
    status = models.CharField(
        _("状态"), max_length=8, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    note = models.TextField(_("变更说明"), blank=True)
    created_by = models.CharField(_("创建人"), max_length=150)
    created_at = StampField(auto_now_add=True)
    activated_by = models.CharField(_("启用人"), max_length=150, blank=True)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("策略版本")
        verbose_name_plural = _("策略版本")
        ordering = ["strategy", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "version"], name="strategy_version_unique"),
            models.UniqueConstraint(
                fields=["strategy"],
                condition=models.Q(status="active"),
                name="strategy_one_active_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.strategy.code} v{self.version} ({self.status})"


class Arm(models.TextChoices):
    CHAMPION = "champion", _("冠军")
    CHALLENGER = "challenger", _("挑战者")


class ArmAssignment(models.Model):
    """Which arm of an experiment (a strategy's challenger version) a case is in. Decided once,
    by hash, the first time the case is planned while the experiment runs, and kept."""

    case = models.ForeignKey(
        CollectionCase, on_delete=models.CASCADE, related_name="arm_assignments"
    )
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="assignments")
    challenger = models.ForeignKey(
        StrategyVersion, on_delete=models.PROTECT, related_name="assignments"
    )
    arm = models.CharField(_("组别"), max_length=10, choices=Arm.choices)
    assigned_on = models.DateField(_("分组日期"))
    # First 16 hex digits of SHA-256("{strategy code}:{case id}") and its bucket 0…9,999.
    hash = models.CharField(max_length=16)
    bucket = models.PositiveIntegerField()
    share_bp = models.PositiveIntegerField(_("分组时挑战者占比（基点）"))

    class Meta:
        verbose_name = _("实验分组")
        verbose_name_plural = _("实验分组")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "strategy", "challenger"], name="arm_assignment_once"
            )
        ]
        indexes = [models.Index(fields=["challenger", "arm"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.arm}"


class ActionStatus(models.TextChoices):
    # The values are the engine's, which sets them when it plans (``engine.planning``).
    PLANNED = frames.ACTION_PLANNED, _("已计划")
    BLOCKED = frames.ACTION_BLOCKED, _("合规拦截")
    RESCHEDULED = frames.ACTION_RESCHEDULED, _("已改期")
    SENT_TO_OUTBOX = frames.ACTION_SENT_TO_OUTBOX, _("已进入发送队列")
    QUEUED = frames.ACTION_QUEUED, _("已分派")
    OVERFLOW = frames.ACTION_OVERFLOW, _("超出产能")


# Left for a later date: carried forward by the planner until done or lapsed.
CARRIED_STATUSES = (ActionStatus.BLOCKED, ActionStatus.RESCHEDULED, ActionStatus.OVERFLOW)


class PlannedAction(models.Model):
    """One action of the plan for one date. Re-planning a date replaces its rows.

    A date's plan is written in bulk (tens of thousands of rows) and replaced as a whole, so
    only the case and the agent are database-level foreign keys; the other references are
    checked by the planner that writes them (each costs a trigger per row at commit) and keep
    their on-delete behaviour in the ORM.
    """

    as_of = models.DateField(_("计划日期"))
    case = models.ForeignKey(
        CollectionCase, on_delete=models.CASCADE, related_name="planned_actions"
    )
    # The borrower, kept here so that the next plan can give them the same agent.
    borrower = models.ForeignKey(
        Borrower, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    version = models.ForeignKey(
        StrategyVersion,
        on_delete=models.PROTECT,
        related_name="planned_actions",
        db_constraint=False,
        db_index=False,
    )
    arm = models.CharField(_("组别"), max_length=10, choices=Arm.choices)
    segment = models.CharField(_("客群"), max_length=40)
    step = models.CharField(_("步骤"), max_length=40)
    # "day", a trigger's name, or "carried" (left from an earlier date).
    reason = models.CharField(_("触发原因"), max_length=24)
    channel = models.CharField(_("渠道"), max_length=20)
    template = models.CharField(_("模板"), max_length=60, blank=True)
    queue = models.ForeignKey(
        WorkQueue,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
        verbose_name=_("队列"),
        db_constraint=False,
        db_index=False,
    )
    priority = models.PositiveSmallIntegerField(_("优先级"))
    status = models.CharField(_("状态"), max_length=16, choices=ActionStatus.choices)
    # The debtor-local wall-clock time the step asks for; ``planned_at`` is that time on the
    # date (UTC), ``scheduled_at`` when it happens (later when the gate moved it).
    local_time = models.TimeField(_("计划当地时间"))
    planned_at = models.DateTimeField(_("原计划时间"))
    scheduled_at = models.DateTimeField(_("执行时间"), null=True, blank=True)
    # Blocked/rescheduled/overflow actions are tried again from ``due_on`` through
    # ``valid_until``, until a later plan takes them up: its action names the one it took up
    # (``carried_from``), whether it carried it or replaced it with the same step due again.
    due_on = models.DateField(_("重试日期"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"))
    carried_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    gate_rules = models.JSONField(_("合规规则"), default=list)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="planned_actions",
        verbose_name=_("催收员"),
        db_index=False,
    )
    # Position in its queue for the date (1 first), over queued and overflow items.
    queue_rank = models.PositiveIntegerField(_("队列顺序"), null=True, blank=True)
    minutes = models.PositiveIntegerField(_("预计分钟"), default=0)
    outbox_message = models.ForeignKey(
        OutboxMessage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("待发消息"),
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("计划动作")
        verbose_name_plural = _("计划动作")
        constraints = [
            models.UniqueConstraint(fields=["as_of", "case", "step"], name="plan_one_step_a_day")
        ]
        # Few indexes: each one costs more than the rest of the row on a plan's bulk write.
        # Lookups by date use the unique constraint's index.
        indexes = [
            models.Index(fields=["as_of", "queue", "queue_rank"], name="plan_queue_order"),
            models.Index(
                fields=["due_on"],
                condition=models.Q(status__in=["blocked", "rescheduled", "overflow"]),
                name="plan_carry",
            ),
            models.Index(
                fields=["carried_from"],
                condition=models.Q(carried_from__isnull=False),
                name="plan_taken_up",
            ),
            # A collector's queue (``workbench.selectors.queue.agent_queue``): only the queued rows,
            # a day's agent work, a few thousand of the plan's tens of thousands.
            models.Index(
                fields=["agent", "as_of"],
                condition=models.Q(status="queued"),
                name="plan_agent_queued",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.as_of} {self.case_id} {self.step} {self.status}"


class PlanRun(models.Model):
    """One completed plan date, with its figures (written in the plan's transaction)."""

    as_of = models.DateField(_("计划日期"), unique=True)
    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="plan_runs")
    champion = models.ForeignKey(StrategyVersion, on_delete=models.PROTECT, related_name="+")
    challenger = models.ForeignKey(
        StrategyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    stats = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("计划批次")
        verbose_name_plural = _("计划批次")
        ordering = ["-as_of"]

    def __str__(self) -> str:
        return f"{self.as_of} {self.strategy.code}"
