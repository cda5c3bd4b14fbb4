from django.urls import path

from autocollect.channels import views

app_name = "channels"
urlpatterns = [
    path("sms/receipts/", views.sms_receipt, name="sms_receipt"),
]
