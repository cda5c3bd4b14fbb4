from django.urls import path

from autocollect.legal import views

app_name = "legal"
urlpatterns = [
    path("", views.referral_list, name="list"),
    path("deadlines/", views.deadlines, name="deadlines"),
    path("refer/<int:case_id>/", views.refer, name="refer"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/act/", views.referral_act, name="act"),
]
