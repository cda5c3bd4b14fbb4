from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_default_product(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """The product a loan gets when its import row names none must always exist. Migration
    0002 creates it; this puts it back after a database flush (as tests that commit do)."""
    from autocollect.portfolio.migrations import DEFAULT_PRODUCT
    from autocollect.portfolio.models import Product

    if not Product.objects.using(using).filter(is_default=True).exists():
        Product.objects.using(using).get_or_create(
            code=DEFAULT_PRODUCT["code"], defaults=DEFAULT_PRODUCT
        )


class PortfolioConfig(AppConfig):
    name = "autocollect.portfolio"
    label = "portfolio"
    verbose_name = _("贷款组合")

    def ready(self) -> None:
        from autocollect.documents.storage import document_folder_register
        from autocollect.portfolio.models import LoanDocument
        from autocollect.portfolio.services import LOAN_DOCUMENT_FOLDER

        post_migrate.connect(ensure_default_product, sender=self)
        # The loans' own documents: the document store's sweep keeps the files they name.
        document_folder_register(LOAN_DOCUMENT_FOLDER, LoanDocument)
