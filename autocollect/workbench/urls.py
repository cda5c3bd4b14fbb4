from django.urls import path

from autocollect.workbench import case_views, views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("loans/", views.loan_list, name="loan_list"),
    path("loans/<str:contract_no>/", views.loan_detail, name="loan_detail"),
    path(
        "loans/<str:contract_no>/documents/",
        views.loan_document_upload,
        name="loan_document_upload",
    ),
    path(
        "loans/<str:contract_no>/documents/<int:document_id>/",
        views.loan_document,
        name="loan_document",
    ),
    path("queue/", case_views.queue, name="queue"),
    path("cases/<int:case_id>/", case_views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/log/", case_views.case_log, name="case_log"),
    path("cases/<int:case_id>/reveal/", case_views.case_reveal, name="case_reveal"),
    path("cases/<int:case_id>/reassign/", case_views.case_reassign, name="case_reassign"),
    path("team/", case_views.team, name="team"),
    path("team/alerts/<int:alert_id>/", case_views.alert_resolve, name="alert_resolve"),
    path("team/pauses/<int:hold_id>/release/", case_views.pause_release, name="pause_release"),
]
