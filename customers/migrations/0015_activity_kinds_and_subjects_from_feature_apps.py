"""Activity kinds and bulk actions are registered by the feature apps (customers.extend), so their columns
lose the core's fixed choices; an event's note becomes a plain `subject_id`, so the roster no longer points
at the notes app (whose extension hides events of notes a viewer may not read)."""

from django.db import migrations, models

from accounts.tenancy import across_organizations


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_activity_detail_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="subject_id",
            field=models.BigIntegerField(
                blank=True,
                help_text="The feature app's record the event is about (e.g. a note), so that app can hide the "
                "event from staff who may not read that record.",
                null=True,
            ),
        ),
        across_organizations(
            "customers_activity",
            "UPDATE customers_activity SET subject_id = note_id WHERE note_id IS NOT NULL",
            "UPDATE customers_activity SET note_id = subject_id WHERE kind = 'note' AND subject_id IS NOT NULL",
        ),
        migrations.RemoveIndex(model_name="activity", name="activity_note_idx"),
        migrations.RemoveField(model_name="activity", name="note"),  # drops its same-organization key too
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                condition=models.Q(("subject_id__isnull", False)),
                fields=["subject_id"],
                name="activity_subject_idx",
            ),
        ),
        migrations.AlterField(model_name="activity", name="kind", field=models.CharField(max_length=20)),
        migrations.AlterField(
            model_name="bulkoperation",
            name="action",
            field=models.CharField(
                help_text="The key of a registered customers.extend.BulkAction.", max_length=20
            ),
        ),
    ]
