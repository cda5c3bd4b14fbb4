"""The team and work-queue tables take their owner's name (``accounts_team``,
``accounts_team_agents``, ``accounts_workqueue``), and their content types follow them, so that
permissions and admin history given on them are kept."""

from django.db import migrations

MOVED = ("team", "workqueue")


def content_types_follow(apps, schema_editor, *, source="strategy", target="accounts"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if ContentType.objects.filter(app_label=target, model=model).exists():
            continue
        ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_return(apps, schema_editor):
    content_types_follow(apps, schema_editor, source="accounts", target="strategy")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_team_workqueue"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("strategy", "0002_teams_to_organisation"),
    ]

    operations = [
        migrations.AlterModelTable(name="team", table=None),
        migrations.AlterModelTable(name="workqueue", table=None),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
