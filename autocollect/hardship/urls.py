from django.urls import path

from autocollect.hardship import views

app_name = "hardship"
urlpatterns = [
    path("case/<int:case_id>/", views.case_claims, name="case"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/upload/", views.upload, name="upload"),
    path("document/<int:doc_id>/verify/", views.verify, name="verify"),
    path("documents/<int:doc_id>/", views.document, name="document"),
    path("<int:pk>/decide/", views.decide, name="decide"),
]
