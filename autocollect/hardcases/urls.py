from django.urls import path

from autocollect.hardcases import views

app_name = "hardcases"
urlpatterns = [
    path("traces/", views.trace_list, name="traces"),
    path("case/<int:case_id>/", views.case_panel, name="case"),
    path("case/<int:case_id>/act/", views.case_act, name="act"),
    path("agencies/", views.agency_list, name="agencies"),
    path("agencies/register/", views.agency_register, name="agency_register"),
    path("agencies/<int:agency_id>/letter/", views.agency_letter, name="agency_letter"),
    path("agencies/<int:agency_id>/revoke/", views.agency_revoke, name="agency_revoke"),
]
