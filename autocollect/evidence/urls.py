from django.urls import path

from autocollect.evidence import views

app_name = "evidence"
urlpatterns = [
    path("cases/<int:case_id>/", views.case_evidence, name="case"),
    path("cases/<int:case_id>/export/", views.case_evidence_export, name="export"),
]
