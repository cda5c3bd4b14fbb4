from django.urls import path

from autocollect.workbench import views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("loans/", views.loan_list, name="loan_list"),
    path("loans/<str:contract_no>/", views.loan_detail, name="loan_detail"),
]
