"""The hard cases' part of a case's evidence package, registered on ``core.hooks.case_evidence``:
skip traces and their tasks, the investigation agencies those tasks were given to (with their
signed authorisation letters, the stored files the case relied on), vehicle risk reports and
their exposure assessments."""

from __future__ import annotations

from autocollect.cases.evidence import EvidencePart, model_table, stored_file
from autocollect.cases.models import CollectionCase
from autocollect.hardcases.models import (
    ExposureAssessment,
    InvestigationAgency,
    SkipTask,
    SkipTrace,
    VehicleRiskReport,
)

APP = "hardcases"


def case_evidence(case: CollectionCase) -> EvidencePart:
    traces = list(SkipTrace.objects.filter(case=case).order_by("pk"))
    tasks = list(SkipTask.objects.filter(trace__in=traces).order_by("pk"))
    reports = list(VehicleRiskReport.objects.filter(case=case).order_by("pk"))
    assessments = ExposureAssessment.objects.filter(report__in=reports).order_by("pk")
    part = EvidencePart(
        tables=[
            model_table(APP, SkipTrace, traces),
            model_table(APP, SkipTask, tasks),
            model_table(APP, VehicleRiskReport, reports),
            model_table(APP, ExposureAssessment, assessments),
        ]
    )
    agency_ids = sorted({task.agency_id for task in tasks if task.agency_id is not None})
    if agency_ids:
        agencies = list(InvestigationAgency.objects.filter(pk__in=agency_ids).order_by("pk"))
        part.tables.append(model_table(APP, InvestigationAgency, agencies))
        for agency in agencies:
            stored_file(
                part,
                app_label=APP,
                obj=agency,
                stored_path=agency.stored_path,
                sha256=agency.sha256,
            )
    return part
