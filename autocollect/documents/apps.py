from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    """Stored files: checked, content-addressed (SHA-256), downloaded only through an audited
    check (docs/architecture.md)."""

    name = "autocollect.documents"
    label = "documents"
    verbose_name = _("文件存储")
