"""Interaction numbers encrypted at rest, with a blind index (compared by the contact gate)
and a masked copy (docs/privacy.md)."""

import autocollect.privacy.fields
from django.db import migrations

from autocollect.core import crypto
from autocollect.privacy.fields import mask_channel_value
from autocollect.privacy.migration_ops import open_column, seal_column


def seal(apps, schema_editor):
    seal_column(
        schema_editor,
        table="cases_interaction",
        column="number",
        extra=("channel",),
        derive=lambda row, clear: {
            "number_index": crypto.contact_index(clear),
            "number_masked": mask_channel_value(row["channel"], clear)[:64],
        },
    )


def unseal(apps, schema_editor):
    open_column(schema_editor, table="cases_interaction", column="number")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_case_assignment'),
    ]

    operations = [
        migrations.AddField(
            model_name='interaction',
            name='number_index',
            field=autocollect.privacy.fields.BlindIndexField(purpose='contact', source='number'),
        ),
        migrations.AddField(
            model_name='interaction',
            name='number_masked',
            field=autocollect.privacy.fields.MaskedField(masker='channel', source='number', verbose_name='号码/地址（脱敏）'),
        ),
        migrations.AlterField(
            model_name='interaction',
            name='number',
            field=autocollect.privacy.fields.EncryptedTextField(verbose_name='号码/地址'),
        ),
        migrations.RunPython(seal, unseal),
    ]
