"""The collector's queue index on the plan belongs to the plan's owner. It was created by a
workbench migration in raw SQL as ``workbench_plan_agent_queued`` (that migration is gone);
here it is declared in the model and built as ``plan_agent_queued``, replacing the old one
where a database has it."""

from django.db import migrations, models

CREATE = (
    "CREATE INDEX IF NOT EXISTS plan_agent_queued ON strategy_plannedaction "
    "(agent_id, as_of) WHERE status = 'queued'"
)


class Migration(migrations.Migration):
    dependencies = [
        ("strategy", "0002_teams_to_organisation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="plannedaction",
                    index=models.Index(
                        condition=models.Q(("status", "queued")),
                        fields=["agent", "as_of"],
                        name="plan_agent_queued",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=["DROP INDEX IF EXISTS workbench_plan_agent_queued", CREATE],
                    reverse_sql="DROP INDEX IF EXISTS plan_agent_queued",
                ),
            ],
        ),
    ]
