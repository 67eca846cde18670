import django.db.models.deletion
from django.db import migrations, models

from accounts.tenancy import tenant_rls


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_email_verified_at"),
        ("portal", "0002_same_organization_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="SignupRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("email", models.EmailField(max_length=254)),
                ("channel", models.CharField(max_length=20)),
                ("password", models.CharField(help_text="Hashed, as a login keeps it.", max_length=128)),
                ("details", models.JSONField(default=dict)),
                ("token_hash", models.CharField(blank=True, max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("expires_at", models.DateTimeField()),
                (
                    "organization",
                    models.ForeignKey(
                        editable=False, on_delete=django.db.models.deletion.CASCADE, to="accounts.organization"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["organization", "token_hash"], name="signup_request_token_idx")],
            },
        ),
        tenant_rls("portal_signuprequest"),
    ]
