"""A case's team is the organisation's ``accounts.Team`` (moved from strategy; same table, so
only the migration state changes)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_team_workqueue"),
        ("cases", "0006_caseflag_broken_arrangement"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="collectioncase",
                    name="assigned_team",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="assigned_cases",
                        to="accounts.team",
                        verbose_name="负责团队",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
