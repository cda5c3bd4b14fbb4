"""The keyed chain (docs/audit.md): each event names the key that sealed it, the head row the
id of the last event.

Events already in the database keep their scheme: their ``key_id`` is "" (unkeyed SHA-256) and
they are verified as before. Nothing is re-sealed — that would launder whatever tampering they
hold. ``AUTOCOLLECT["AUDIT"]["LEGACY_EVENTS"]`` must then say how many there are (the number
this migration prints), and the first keyed event written after it seals them through its link.
"""

from django.db import migrations, models


def head_last_id(apps, schema_editor):
    Head = apps.get_model("audit", "AuditChainHead")
    Event = apps.get_model("audit", "AuditEvent")
    last = Event.objects.order_by("-id").values_list("id", flat=True).first()
    Head.objects.filter(pk=1).update(last_id=last or 0)
    legacy = Event.objects.count()
    if legacy:
        print(
            f"\n  audit: {legacy} events were written before the keyed chain; set "
            f"AUTOCOLLECT_AUDIT_LEGACY_EVENTS={legacy} (docs/audit.md)."
        )


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="last_id",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.RunPython(head_last_id, migrations.RunPython.noop),
    ]
