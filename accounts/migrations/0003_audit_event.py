import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from accounts.tenancy import tenant_rls


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_email_verified_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "actor_label",
                    models.CharField(
                        blank=True,
                        help_text="Who did it, as they were named then; kept once they are gone.",
                        max_length=300,
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("organization.changed", "Organization details changed"),
                            ("staff.invited", "Staff invited"),
                            ("staff.invitation_revoked", "Staff invitation revoked"),
                            ("staff.joined", "Staff joined"),
                            ("role.changed", "Staff role changed"),
                            ("staff.removed", "Staff removed"),
                            ("api_key.created", "API key created"),
                            ("api_key.revoked", "API key revoked"),
                            ("custom_field.created", "Custom field added"),
                            ("custom_field.changed", "Custom field changed"),
                            ("custom_field.retired", "Custom field retired"),
                            ("custom_field.restored", "Custom field restored"),
                            ("custom_field.reordered", "Custom fields reordered"),
                            ("rules.changed", "Required fields changed"),
                            ("intake_form.created", "Intake form added"),
                            ("intake_form.changed", "Intake form changed"),
                            ("tag.created", "Tag created"),
                            ("tag.changed", "Tag changed"),
                            ("tag.merged", "Tags merged"),
                            ("tag.deleted", "Tag deleted"),
                            ("metric.created", "Metric added"),
                            ("metric.changed", "Metric changed"),
                            ("metric.archived", "Metric archived"),
                            ("metric.restored", "Metric restored"),
                            ("invite_settings.changed", "Account invite settings changed"),
                            ("import.started", "Import started"),
                            ("import.cancelled", "Import cancelled"),
                            ("import.undone", "Import undone"),
                            ("export.downloaded", "Customers exported"),
                        ],
                        max_length=40,
                    ),
                ),
                (
                    "target",
                    models.CharField(
                        blank=True, help_text="What it was done to: a field, tag, key…", max_length=200
                    ),
                ),
                ("detail", models.TextField(blank=True)),
                ("changes", models.JSONField(blank=True, default=dict, help_text="{what: [before, after]}")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="accounts.organization",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["organization", "-created_at", "-id"], name="audit_event_newest_idx"),
                    models.Index(fields=["organization", "action", "-created_at"], name="audit_event_action_idx"),
                    models.Index(fields=["organization", "actor", "-created_at"], name="audit_event_actor_idx"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            (
                                "action__in",
                                [
                                    "organization.changed",
                                    "staff.invited",
                                    "staff.invitation_revoked",
                                    "staff.joined",
                                    "role.changed",
                                    "staff.removed",
                                    "api_key.created",
                                    "api_key.revoked",
                                    "custom_field.created",
                                    "custom_field.changed",
                                    "custom_field.retired",
                                    "custom_field.restored",
                                    "custom_field.reordered",
                                    "rules.changed",
                                    "intake_form.created",
                                    "intake_form.changed",
                                    "tag.created",
                                    "tag.changed",
                                    "tag.merged",
                                    "tag.deleted",
                                    "metric.created",
                                    "metric.changed",
                                    "metric.archived",
                                    "metric.restored",
                                    "invite_settings.changed",
                                    "import.started",
                                    "import.cancelled",
                                    "import.undone",
                                    "export.downloaded",
                                ],
                            )
                        ),
                        name="audit_event_action_valid",
                    ),
                ],
            },
        ),
        tenant_rls("accounts_auditevent"),
    ]
