from django.urls import path

from autocollect.conduct import views

app_name = "conduct"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("report/", views.report, name="report"),
    path("follow/", views.follow, name="follow"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/transition/", views.transition, name="transition"),
    path("<int:pk>/notes/", views.add_note, name="note"),
    path("<int:pk>/messages/", views.message_to_reporter, name="message"),
]
