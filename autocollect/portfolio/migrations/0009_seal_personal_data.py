"""Encrypt the national IDs and contact values already stored, and fill their blind indexes and
masked copies (docs/privacy.md). Needs the keys of the settings; reversible."""

from django.db import migrations

from autocollect.core import crypto
from autocollect.core.masking import mask_national_id
from autocollect.privacy.fields import mask_contact_value
from autocollect.privacy.migration_ops import open_column, seal_column


def seal(apps, schema_editor):
    seal_column(
        schema_editor,
        table="portfolio_borrower",
        column="national_id",
        derive=lambda row, clear: {
            "national_id_index": crypto.national_id_index(clear),
            "national_id_masked": mask_national_id(clear),
        },
    )
    seal_column(
        schema_editor,
        table="portfolio_contactpoint",
        column="value",
        extra=("kind",),
        derive=lambda row, clear: {
            "value_index": crypto.contact_index(clear),
            "masked": mask_contact_value(row["kind"], clear)[:64],
        },
    )


def unseal(apps, schema_editor):
    open_column(schema_editor, table="portfolio_borrower", column="national_id")
    open_column(schema_editor, table="portfolio_contactpoint", column="value")


class Migration(migrations.Migration):

    dependencies = [
        ("portfolio", "0008_encrypt_personal_data"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
