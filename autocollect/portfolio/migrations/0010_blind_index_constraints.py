"""One borrower per national ID, one contact point per (borrower, kind, value, owner): now on
the blind indexes (docs/privacy.md); contact points found by number through theirs. Constraints
and indexes in Meta rather than ``unique``/``db_index`` on the fields: on PostgreSQL those add a
pattern-matching index too, useless on a hash and a cost on every import."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("portfolio", "0009_seal_personal_data"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="borrower",
            constraint=models.UniqueConstraint(
                fields=("national_id_index",), name="borrower_unique_national_id"
            ),
        ),
        migrations.AddIndex(
            model_name="contactpoint",
            index=models.Index(fields=["value_index"], name="contact_value_index"),
        ),
        migrations.AddConstraint(
            model_name="contactpoint",
            constraint=models.UniqueConstraint(
                fields=("borrower", "kind", "value_index", "owner"),
                name="contact_unique_per_owner",
            ),
        ),
    ]
