"""Teams and work queues now belong to the organisation (``accounts.0003``): the plan's queue
points there, and the strategy app's state forgets the two models. No table changes here."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_team_workqueue"),
        ("cases", "0007_assigned_team_organisation"),
        ("strategy", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="plannedaction",
                    name="queue",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="actions",
                        to="accounts.workqueue",
                        verbose_name="队列",
                    ),
                ),
                migrations.DeleteModel(name="WorkQueue"),
                migrations.DeleteModel(name="Team"),
            ],
            database_operations=[],
        ),
    ]
