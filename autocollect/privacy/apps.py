from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "autocollect.privacy"
    label = "privacy"
    verbose_name = _("个人信息保护")

    def ready(self) -> None:
        from autocollect.core.crypto import check_configuration
        from autocollect.privacy import redaction

        # Refuse to start with keys that cannot encrypt, rather than fail on the first write.
        # (The production settings refuse missing and development keys themselves.)
        check_configuration()
        # No clear ID or phone number in any log line, whatever logged it.
        redaction.install()
