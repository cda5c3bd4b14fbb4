"""National IDs and contact values encrypted at rest, with blind indexes and masked copies
(docs/privacy.md). Three steps, each its own transaction: columns, then the data, then the
constraints that need the data (the unique blind index)."""

import autocollect.privacy.fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("portfolio", "0007_loan_paid_principal"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="contactpoint",
            name="contact_unique_per_owner",
        ),
        # Not unique yet: existing rows get their index in 0009, the constraint in 0010.
        migrations.AddField(
            model_name="borrower",
            name="national_id_index",
            field=autocollect.privacy.fields.BlindIndexField(
                purpose="national_id", source="national_id"
            ),
        ),
        migrations.AddField(
            model_name="borrower",
            name="national_id_masked",
            field=autocollect.privacy.fields.MaskedField(
                masker="national_id", source="national_id", verbose_name="身份证号（脱敏）"
            ),
        ),
        migrations.AddField(
            model_name="contactpoint",
            name="masked",
            field=autocollect.privacy.fields.MaskedField(
                masker="contact", source="value", verbose_name="号码/地址（脱敏）"
            ),
        ),
        migrations.AddField(
            model_name="contactpoint",
            name="value_index",
            field=autocollect.privacy.fields.BlindIndexField(purpose="contact", source="value"),
        ),
        migrations.AlterField(
            model_name="borrower",
            name="national_id",
            field=autocollect.privacy.fields.EncryptedTextField(verbose_name="身份证号"),
        ),
        migrations.AlterField(
            model_name="contactpoint",
            name="value",
            field=autocollect.privacy.fields.EncryptedTextField(verbose_name="号码/地址"),
        ),
    ]
