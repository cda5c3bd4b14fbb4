"""Outbox addresses encrypted at rest (docs/privacy.md)."""

import autocollect.privacy.fields
from django.db import migrations

from autocollect.privacy.migration_ops import open_column, seal_column


def seal(apps, schema_editor):
    seal_column(schema_editor, table="channels_outboxmessage", column="to")


def unseal(apps, schema_editor):
    open_column(schema_editor, table="channels_outboxmessage", column="to")


class Migration(migrations.Migration):

    dependencies = [
        ('channels', '0002_outbox_blocked'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outboxmessage',
            name='to',
            field=autocollect.privacy.fields.EncryptedTextField(verbose_name='号码/地址'),
        ),
        migrations.RunPython(seal, unseal),
    ]
