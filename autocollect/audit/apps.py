from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "autocollect.audit"
    label = "audit"
    verbose_name = _("审计")

    def ready(self) -> None:
        from autocollect.audit.checkpoints import checkpoint_after_cycle
        from autocollect.core import hooks

        # After each date of the daily cycle commits, a checkpoint of the audit chain's head
        # is written outside the database (docs/audit.md); the cycle's figures say "audit".
        hooks.cycle_date_judged.register("audit", checkpoint_after_cycle)
