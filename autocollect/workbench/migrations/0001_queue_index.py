"""The collector's queue reads today's plan items of one agent (``workbench.selectors.agent_queue``).
``PlannedAction`` keeps few indexes on purpose (each costs the planner's bulk write), so this one
is partial: only the queued rows (a day's agent work, a few thousand) are in it. It is created
here, by the app that reads it, in SQL that SQLite and PostgreSQL both accept; the strategy
app's model state does not list it (docs/workbench.md)."""

from django.db import migrations

INDEX = "workbench_plan_agent_queued"


class Migration(migrations.Migration):
    dependencies = [
        ("strategy", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON strategy_plannedaction "
                "(agent_id, as_of) WHERE status = 'queued'"
            ),
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
