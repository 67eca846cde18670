"""Customers get a Do not solicit flag, off for everyone already on the roster (a database default, so adding
it rewrites no rows)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0016_intake_forms_move_to_their_app"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="do_not_solicit",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
    ]
