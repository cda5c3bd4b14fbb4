from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("channels/", include("autocollect.channels.urls")),
    path("", include("autocollect.workbench.urls")),
]
