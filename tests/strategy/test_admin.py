"""The admin screen: drafts are edited as YAML with their problems shown; activation audited."""

from __future__ import annotations

import yaml
from django.test import Client

from autocollect.audit.models import AuditEvent
from autocollect.strategy.models import StrategyVersion, VersionStatus
from autocollect.strategy.services import LoadResult

ADD = "/admin/strategy/strategyversion/add/"


def _draft_text(load: LoadResult, **change: object) -> str:
    definition = dict(load.champion.definition)
    definition.update(change)
    return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False)


def test_an_invalid_definition_is_shown_with_its_step_and_field(
    admin_client: Client, default_strategy: LoadResult
) -> None:
    definition = dict(default_strategy.champion.definition)
    paths = [dict(p) for p in definition["paths"]]
    steps = [dict(s) for s in paths[0]["steps"]]
    del steps[0]["template"]
    paths[0]["steps"] = steps
    definition["paths"] = paths
    response = admin_client.post(
        ADD,
        {
            "strategy": default_strategy.strategy.pk,
            "note": "bad",
            "definition_text": yaml.safe_dump(definition, allow_unicode=True),
        },
    )
    assert response.status_code == 200
    assert (
        "strategy default: step sms_d1 (path standard): field template: needed for a sms step"
        in response.content.decode()
    )
    assert StrategyVersion.objects.count() == 2


def test_a_valid_draft_is_saved_and_activation_is_audited(
    admin_client: Client, default_strategy: LoadResult
) -> None:
    response = admin_client.post(
        ADD,
        {
            "strategy": default_strategy.strategy.pk,
            "note": "更短的描述",
            "definition_text": _draft_text(default_strategy, description="v3"),
        },
    )
    assert response.status_code == 302
    draft = StrategyVersion.objects.get(version=3)
    assert (draft.status, draft.created_by, draft.definition["description"]) == (
        VersionStatus.DRAFT,
        "admin",
        "v3",
    )
    assert AuditEvent.objects.filter(action="strategy.version_create", object_id=str(draft.pk))
    response = admin_client.post(
        "/admin/strategy/strategyversion/",
        {"action": "activate", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.ACTIVE
    default_strategy.champion.refresh_from_db()
    assert default_strategy.champion.status == VersionStatus.RETIRED
    event = AuditEvent.objects.get(action="strategy.version_activate", object_id=str(draft.pk))
    assert event.actor == "admin"
    assert event.before == {"active": [1]}


def test_an_active_version_cannot_be_edited(
    admin_client: Client, default_strategy: LoadResult
) -> None:
    url = f"/admin/strategy/strategyversion/{default_strategy.champion.pk}/change/"
    response = admin_client.post(
        url,
        {"note": "x", "definition_text": _draft_text(default_strategy, description="changed")},
    )
    assert response.status_code == 403
    default_strategy.champion.refresh_from_db()
    assert default_strategy.champion.definition["description"] != "changed"
