"""``django.contrib.admin`` with our admin site (INSTALLED_APPS names this instead)."""

from django.contrib.admin.apps import AdminConfig


class AutocollectAdminConfig(AdminConfig):
    """Administrators only, and their TOTP code when they enrolled a device."""

    default_site = "autocollect.accounts.admin_site.AutocollectAdminSite"
