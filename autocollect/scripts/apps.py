from typing import Any

from django.apps import AppConfig
from django.apps.registry import Apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_default_scripts(
    sender: AppConfig, using: str = "default", apps: Apps | None = None, **kwargs: Any
) -> None:
    """An empty library gets the shipped scripts after migrate (and after a test's flush), so
    that the demo and a new installation have a script panel at once (docs/scripts.md)."""
    if apps is not None:
        try:
            apps.get_model("scripts", "Script")
        except LookupError:  # migrated back to before the library existed
            return
    from autocollect.scripts.services import scripts_bootstrap

    scripts_bootstrap(using=using)


class ScriptsConfig(AppConfig):
    name = "autocollect.scripts"
    label = "scripts"
    verbose_name = _("话术库")

    def ready(self) -> None:
        post_migrate.connect(ensure_default_scripts, sender=self)

        from autocollect.ui.menu import MenuItem, menu_register, on_app

        menu_register(
            MenuItem(
                key="scripts",
                label=_("话术库"),
                url="scripts:library",
                order=70,
                visible=lambda user: bool(user and user.is_authenticated),
                current=on_app("scripts"),
            )
        )
