"""The investigation agency's signed authorisation letter (委托授权书) as a stored document.

The free-text ``authorisation_letter`` becomes ``legacy_letter_ref`` (its values are kept); the
letter itself is stored with its SHA-256 and size (docs/hard-cases.md, "Agencies")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("hardcases", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(
            model_name="investigationagency",
            old_name="authorisation_letter",
            new_name="legacy_letter_ref",
        ),
        migrations.AlterField(
            model_name="investigationagency",
            name="legacy_letter_ref",
            field=models.CharField(blank=True, max_length=500, verbose_name="原授权书文件记录"),
        ),
        migrations.AddField(
            model_name="investigationagency",
            name="letter_name",
            field=models.CharField(blank=True, max_length=255, verbose_name="授权书文件名"),
        ),
        migrations.AddField(
            model_name="investigationagency",
            name="stored_path",
            field=models.CharField(blank=True, max_length=500, verbose_name="授权书存储路径"),
        ),
        migrations.AddField(
            model_name="investigationagency",
            name="sha256",
            field=models.CharField(blank=True, max_length=64, verbose_name="授权书 SHA-256"),
        ),
        migrations.AddField(
            model_name="investigationagency",
            name="size_bytes",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="授权书大小（字节）"
            ),
        ),
        migrations.AddField(
            model_name="investigationagency",
            name="letter_content_type",
            field=models.CharField(blank=True, max_length=100),
        ),
    ]
