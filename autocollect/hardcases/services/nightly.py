"""The nightly jobs of skip tracing (Huey ``hardcases.tasks.skip_trace_daily``): open a trace
on every open case whose known numbers have all failed, and propose for the legal route the
traces open too long without success. They act as the system (``SYSTEM_ACTOR``), on every
case (docs/hard-cases.md, "Lost contact")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from autocollect.cases.models import CollectionCase
from autocollect.core import clock
from autocollect.hardcases.conf import hardcases_config
from autocollect.hardcases.models import SkipTrace, TraceStatus, TraceTrigger
from autocollect.hardcases.selectors import lost_contact_case_ids
from autocollect.hardcases.services.skip_trace import skip_trace_move, skip_trace_open

SYSTEM_ACTOR = "system:skip-trace"


@dataclass(frozen=True, slots=True)
class NightlyResult:
    opened: list[int]
    proposed: list[int]


def lost_contact_detect(*, at: datetime | None = None) -> list[SkipTrace]:
    """Open a skip trace on every open case whose known numbers have all failed (see
    ``selectors.lost_contact_case_ids``). One transaction per case."""
    config = hardcases_config()
    when = at or clock.now()
    traces = []
    for case_id in lost_contact_case_ids(
        at=when, attempts=config["LOST_CONTACT_ATTEMPTS"], days=config["LOST_CONTACT_DAYS"]
    ):
        case = CollectionCase.objects.get(pk=case_id)
        traces.append(
            skip_trace_open(
                case=case,
                actor=SYSTEM_ACTOR,
                trigger=TraceTrigger.ALL_NUMBERS_FAILED,
                note=(
                    f"近{config['LOST_CONTACT_DAYS']}天内所有已知号码均未接通"
                    f"（每个号码至少{config['LOST_CONTACT_ATTEMPTS']}次）或为错号"
                ),
            )
        )
    return traces


@transaction.atomic
def skip_trace_propose_legal(*, at: datetime | None = None) -> list[SkipTrace]:
    """Traces open for ``LEGAL_AFTER_DAYS`` without success become ``legal_proposed``: a team
    lead or legal decides on the referral (``skip_trace_refer``)."""
    when = at or clock.now()
    cutoff = when - timedelta(days=hardcases_config()["LEGAL_AFTER_DAYS"])
    proposed = []
    for trace in SkipTrace.objects.select_for_update().filter(
        status=TraceStatus.OPEN, opened_at__lte=cutoff
    ):
        skip_trace_move(
            trace,
            TraceStatus.LEGAL_PROPOSED,
            actor=SYSTEM_ACTOR,
            reason=f"失联修复超过{hardcases_config()['LEGAL_AFTER_DAYS']}天未果，建议转法务（含缺席判决）",
        )
        proposed.append(trace)
    return proposed


def skip_trace_nightly(*, at: datetime | None = None) -> NightlyResult:
    opened = lost_contact_detect(at=at)
    proposed = skip_trace_propose_legal(at=at)
    return NightlyResult(opened=[t.pk for t in opened], proposed=[t.pk for t in proposed])
