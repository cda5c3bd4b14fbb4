"""Numbers in the record of gate decisions encrypted at rest (docs/privacy.md)."""

import autocollect.privacy.fields
from django.db import migrations

from autocollect.privacy.migration_ops import open_column, seal_column


def seal(apps, schema_editor):
    seal_column(schema_editor, table="compliance_contactdecision", column="number")


def unseal(apps, schema_editor):
    open_column(schema_editor, table="compliance_contactdecision", column="number")


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0002_decision_policy_length'),
    ]

    operations = [
        migrations.AlterField(
            model_name='contactdecision',
            name='number',
            field=autocollect.privacy.fields.EncryptedTextField(),
        ),
        migrations.RunPython(seal, unseal),
    ]
