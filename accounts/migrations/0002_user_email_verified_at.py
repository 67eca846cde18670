from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When its owner proved the address (a link we emailed); empty: no log-in.",
                null=True,
            ),
        ),
        # Logins made before verification existed keep working: they are taken as confirmed when they joined.
        migrations.RunSQL(
            "UPDATE accounts_user SET email_verified_at = date_joined",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
