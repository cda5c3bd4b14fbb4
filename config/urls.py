from django.contrib import admin
from django.urls import include, path

from config.api import api

# Error pages (autocollect/ui/templates): 403 shows the refusal's message; 404 and 500 are
# Django's own views rendering 404.html and 500.html. Under DEBUG, Django shows its debug pages
# for 404 and 500 instead.
handler403 = "autocollect.ui.views.permission_denied"

urlpatterns = [
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("autocollect.accounts.urls")),
    path("admin/", admin.site.urls),
    path("channels/", include("autocollect.channels.urls")),
    path("scripts/", include("autocollect.scripts.urls")),
    path("conduct/", include("autocollect.conduct.urls")),
    path("legal/", include("autocollect.legal.urls")),
    path("hardcases/", include("autocollect.hardcases.urls")),
    path("evidence/", include("autocollect.evidence.urls")),
    path("arrangements/", include("autocollect.arrangements.urls")),
    path("hardship/", include("autocollect.hardship.urls")),
    path("", include("autocollect.workbench.urls")),
]
