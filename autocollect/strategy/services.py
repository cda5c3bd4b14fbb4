"""Writes for strategies: versions (draft → active → retired), the challenger, the shipped
default, and the daily plan (``plan_run``, in ``planner.py``). Every change is audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from autocollect.accounts.models import WorkQueue
from autocollect.audit.services import audit_record
from autocollect.channels.models import MessageTemplate, TemplateStatus
from autocollect.core import clock
from autocollect.core.errors import ApplicationError
from autocollect.strategy.definitions import (
    DefinitionError,
    StrategyDefinition,
    definition_json,
    load_text,
    parse_definition,
)
from autocollect.strategy.models import BASIS_POINTS, Strategy, StrategyVersion, VersionStatus
from autocollect.strategy.planner import plan_run

__all__ = [
    "DEFAULT_STRATEGY_FILE",
    "LoadResult",
    "plan_run",
    "strategy_challenger_set",
    "strategy_load_file",
    "strategy_version_activate",
    "strategy_version_create",
    "strategy_version_update",
    "version_definition",
]

DEFAULT_STRATEGY_FILE = Path(__file__).resolve().parent / "strategies" / "default.yaml"


def version_definition(version: StrategyVersion) -> StrategyDefinition:
    """The stored definition, validated again (a stored version is always valid)."""
    return parse_definition(version.definition)


def _check_definition(strategy: Strategy, raw: Any) -> StrategyDefinition:
    definition = parse_definition(raw)
    if definition.code != strategy.code:
        raise DefinitionError(
            [
                f"strategy {definition.code}: top level: field code: the version belongs to "
                f"strategy {strategy.code}"
            ]
        )
    return definition


def _check_usable(definition: StrategyDefinition) -> None:
    """What must exist before a definition runs: its queues and active templates."""
    errors = []
    known_queues = set(WorkQueue.objects.values_list("code", flat=True))
    for path, step in definition.steps():
        where = f"strategy {definition.code}: step {step.id} (path {path.id})"
        if step.queue and step.queue not in known_queues:
            errors.append(f"{where}: field queue: no work queue {step.queue!r}")
    active = set(
        MessageTemplate.objects.filter(status=TemplateStatus.ACTIVE).values_list("channel", "code")
    )
    for path, step in definition.steps():
        if step.automated and (step.channel, step.template) not in active:
            errors.append(
                f"strategy {definition.code}: step {step.id} (path {path.id}): field template: "
                f"no active {step.channel} template {step.template!r} "
                "(load them with `autocollect channels load-templates`)"
            )
    if errors:
        raise DefinitionError(errors)


@transaction.atomic
def strategy_version_create(
    *, strategy: Strategy, definition: Mapping[str, Any], actor: str, note: str = ""
) -> StrategyVersion:
    """A new draft with the next version number; refused unless the definition is valid."""
    checked = _check_definition(strategy, definition)
    Strategy.objects.select_for_update().get(pk=strategy.pk)
    latest = strategy.versions.aggregate(v=Max("version"))["v"] or 0
    version = StrategyVersion.objects.create(
        strategy=strategy,
        version=latest + 1,
        definition=definition_json(checked),
        note=note,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="strategy.version_create",
        obj=version,
        after={"strategy": strategy.code, "version": version.version},
        reason=note,
    )
    return version


def _editable(version: StrategyVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise ApplicationError(
            _("%(code)s v%(version)s 状态为%(status)s：只有草稿可以修改（请新建版本）")
            % {
                "code": version.strategy.code,
                "version": version.version,
                "status": VersionStatus(version.status).label,
            }
        )
    if (
        Strategy.objects.filter(challenger=version).exists()
        or version.assignments.exists()
        or version.planned_actions.exists()
    ):
        raise ApplicationError(
            _("%(code)s v%(version)s 已作为挑战者运行过，不能再修改（请新建版本）")
            % {"code": version.strategy.code, "version": version.version}
        )


@transaction.atomic
def strategy_version_update(
    *, version: StrategyVersion, definition: Mapping[str, Any], actor: str, note: str = ""
) -> StrategyVersion:
    """Replace a draft's definition (validated); refused for any version that has run."""
    version = StrategyVersion.objects.select_for_update().get(pk=version.pk)
    _editable(version)
    checked = _check_definition(version.strategy, definition)
    version.definition = definition_json(checked)
    if note:
        version.note = note
    version.save(update_fields=["definition", "note"])
    audit_record(
        actor=actor,
        action="strategy.version_update",
        obj=version,
        after={"strategy": version.strategy.code, "version": version.version},
        reason=note,
    )
    return version


@transaction.atomic
def strategy_version_activate(*, version: StrategyVersion, actor: str) -> StrategyVersion:
    """Make ``version`` the champion, retiring the one before. A challenger promoted this way
    ends its experiment (the challenger is cleared)."""
    strategy = Strategy.objects.select_for_update().get(pk=version.strategy_id)
    version = StrategyVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == VersionStatus.ACTIVE:
        return version
    if version.status == VersionStatus.RETIRED:
        raise ApplicationError(
            _("%(code)s v%(version)s 已停用，请复制为新版本")
            % {"code": strategy.code, "version": version.version}
        )
    definition = _check_definition(strategy, version.definition)
    _check_usable(definition)
    previous = list(StrategyVersion.objects.filter(strategy=strategy, status=VersionStatus.ACTIVE))
    for old in previous:
        old.status = VersionStatus.RETIRED
        old.save(update_fields=["status"])
    version.status = VersionStatus.ACTIVE
    version.activated_by = actor
    version.activated_at = clock.now()
    version.save(update_fields=["status", "activated_by", "activated_at"])
    ended = strategy.challenger_id == version.pk
    if ended:
        strategy.challenger = None
        strategy.challenger_share_bp = 0
        strategy.save(update_fields=["challenger", "challenger_share_bp"])
    audit_record(
        actor=actor,
        action="strategy.version_activate",
        obj=version,
        before={"active": [old.version for old in previous]},
        after={
            "strategy": strategy.code,
            "version": version.version,
            "challenger_promoted": ended,
        },
    )
    return version


@transaction.atomic
def strategy_challenger_set(
    *, strategy: Strategy, version: StrategyVersion | None, share_bp: int, actor: str, reason: str
) -> Strategy:
    """Run ``version`` as challenger on ``share_bp`` of the cases (None or 0: no challenger).

    Cases keep the arm they were given for as long as the same challenger runs; a new
    challenger version is a new experiment with its own assignments."""
    strategy = Strategy.objects.select_for_update().get(pk=strategy.pk)
    if not 0 <= share_bp <= BASIS_POINTS:
        raise ApplicationError(
            _("分流比例 %(share)s bp 不在 0…%(max)s 之间")
            % {"share": share_bp, "max": BASIS_POINTS},
            extra={"field": "share_bp"},
        )
    if version is not None:
        if version.strategy_id != strategy.pk:
            raise ApplicationError(
                _("v%(version)s 属于策略 %(other)s，不是 %(code)s")
                % {
                    "version": version.version,
                    "other": version.strategy.code,
                    "code": strategy.code,
                }
            )
        if version.status != VersionStatus.DRAFT:
            raise ApplicationError(
                _("%(code)s v%(version)s 状态为%(status)s；挑战者须为草稿版本（此后冻结）")
                % {
                    "code": strategy.code,
                    "version": version.version,
                    "status": VersionStatus(version.status).label,
                }
            )
        definition = _check_definition(strategy, version.definition)
        _check_usable(definition)
    before = {
        "challenger": strategy.challenger.version if strategy.challenger else None,
        "share_bp": strategy.challenger_share_bp,
    }
    strategy.challenger = version if share_bp > 0 else None
    strategy.challenger_share_bp = share_bp if version is not None else 0
    strategy.save(update_fields=["challenger", "challenger_share_bp"])
    audit_record(
        actor=actor,
        action="strategy.challenger_set",
        obj=strategy,
        before=before,
        after={
            "challenger": strategy.challenger.version if strategy.challenger else None,
            "share_bp": strategy.challenger_share_bp,
        },
        reason=reason,
    )
    return strategy


# --- loading strategy files -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadResult:
    strategy: Strategy
    champion: StrategyVersion
    challenger: StrategyVersion | None
    created: list[str]


def _version_for(
    strategy: Strategy, definition: dict[str, Any], actor: str, note: str
) -> tuple[StrategyVersion, bool]:
    """The existing version with exactly this definition, or a new draft."""
    for version in strategy.versions.exclude(status=VersionStatus.RETIRED):
        if version.definition == definition:
            return version, False
    return strategy_version_create(
        strategy=strategy, definition=definition, actor=actor, note=note
    ), True


@transaction.atomic
def strategy_load_file(*, path: Path = DEFAULT_STRATEGY_FILE, actor: str) -> LoadResult:
    """Create the file's work queues, its strategy and versions; activate the champion and set
    the challenger. Idempotent: what already matches the file is left alone."""
    raw = load_text(path.read_text(encoding="utf-8"), source=path.name)
    if not isinstance(raw, dict) or "strategy" not in raw:
        raise DefinitionError([f"{path.name}: top level: needs a strategy: section"])
    created = _queues_load(raw.get("queues") or [], source=path.name)
    champion_definition = definition_json(parse_definition(raw["strategy"]))
    code = champion_definition["code"]
    strategy, made = Strategy.objects.get_or_create(
        code=code,
        defaults={
            "name": champion_definition["name"],
            "description": champion_definition.get("description", ""),
        },
    )
    if made:
        created.append(f"strategy {code}")
        audit_record(actor=actor, action="strategy.create", obj=strategy, after={"code": code})
    champion, made = _version_for(strategy, champion_definition, actor, f"loaded from {path.name}")
    if made:
        created.append(f"{code} v{champion.version}")
    strategy_version_activate(version=champion, actor=actor)
    challenger = None
    spec = raw.get("challenger")
    if isinstance(spec, dict):
        challenger = _challenger_load(
            strategy, spec, actor=actor, source=path.name, created=created
        )
    strategy.refresh_from_db()
    return LoadResult(strategy=strategy, champion=champion, challenger=challenger, created=created)


def _queues_load(queues: list[Any], *, source: str) -> list[str]:
    """The file's work queues, created where missing; returns what was created."""
    created: list[str] = []
    for queue in queues:
        if not isinstance(queue, dict) or not queue.get("code"):
            raise DefinitionError([f"{source}: queues: each queue needs a code and a name"])
        _, made = WorkQueue.objects.get_or_create(
            code=queue["code"], defaults={"name": queue.get("name") or queue["code"]}
        )
        if made:
            created.append(f"queue {queue['code']}")
    return created


def _challenger_load(
    strategy: Strategy, spec: dict[str, Any], *, actor: str, source: str, created: list[str]
) -> StrategyVersion:
    """The file's challenger version, set with its share unless it already is."""
    challenger_definition = definition_json(parse_definition(spec.get("definition")))
    share = spec.get("share_bp", 0)
    if not isinstance(share, int):
        raise DefinitionError([f"{source}: challenger: field share_bp: an integer"])
    challenger, made = _version_for(
        strategy, challenger_definition, actor, f"challenger from {source}"
    )
    if made:
        created.append(f"{strategy.code} v{challenger.version} (challenger)")
    strategy.refresh_from_db()
    if strategy.challenger_id != challenger.pk or strategy.challenger_share_bp != share:
        strategy_challenger_set(
            strategy=strategy,
            version=challenger,
            share_bp=share,
            actor=actor,
            reason=f"loaded from {source}",
        )
    return challenger
