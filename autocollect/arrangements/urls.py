from django.urls import path

from autocollect.arrangements import views

app_name = "arrangements"
urlpatterns = [
    path("", views.awaiting, name="awaiting"),
    path("case/<int:case_id>/", views.case_arrangements, name="case"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("documents/<int:doc_id>/", views.document, name="document"),
]
