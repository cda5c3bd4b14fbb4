from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from autocollect.accounts.models import User


@admin.register(User)
class AutocollectUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("催收权限", {"fields": ("collection_certified", "collection_authorised")}),
    )
    list_display = (
        "username",
        "first_name",
        "last_name",
        "is_staff",
        "collection_certified",
        "collection_authorised",
    )
