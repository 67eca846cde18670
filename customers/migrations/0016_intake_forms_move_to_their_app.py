"""Intake forms and their pending answers now belong to the intake app (intake 0001 takes over their tables
as they are): the customers app only forgets them."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0015_activity_kinds_and_subjects_from_feature_apps"),
        ("intake", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="PendingChange"),
                migrations.DeleteModel(name="IntakeForm"),
            ],
        ),
    ]
