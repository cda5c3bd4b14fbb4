"""Teams and work queues move from the strategy app to the organisation (accounts), so that
cases can name a team without depending on the planner (docs/architecture.md). Their tables
stay as they are here; ``strategy.0002`` drops them from the strategy app's state and
``0004`` renames the tables after their new owner."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_role_apitoken"),
        ("strategy", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Team",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=100, unique=True, verbose_name="团队名称")),
                        (
                            "minutes_per_agent",
                            models.PositiveIntegerField(default=360, verbose_name="每人每日工作分钟"),
                        ),
                        (
                            "agents",
                            models.ManyToManyField(
                                blank=True,
                                related_name="teams",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="催收员",
                            ),
                        ),
                        (
                            "lead",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="led_teams",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="组长",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "催收团队",
                        "verbose_name_plural": "催收团队",
                        "db_table": "strategy_team",
                    },
                ),
                migrations.CreateModel(
                    name="WorkQueue",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("code", models.SlugField(max_length=40, unique=True, verbose_name="队列代码")),
                        ("name", models.CharField(max_length=100, verbose_name="队列名称")),
                        (
                            "team",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="queues",
                                to="accounts.team",
                                verbose_name="团队",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "工作队列",
                        "verbose_name_plural": "工作队列",
                        "db_table": "strategy_workqueue",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
