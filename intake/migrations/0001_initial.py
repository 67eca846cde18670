"""Intake forms and their pending answers move here from the customers app, tables and data untouched."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0003_audit_event'),
        ('customers', '0015_activity_kinds_and_subjects_from_feature_apps'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables, their row security and same-organization keys stay as the customers app made them.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='IntakeForm',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=120)),
                        ('slug', models.SlugField(help_text="The end of the form's link.", max_length=60)),
                        ('intro', models.TextField(blank=True, help_text='Shown above the form.')),
                        ('fields', models.JSONField(default=list, help_text='[{"name": "email", "required": true}, …] in order.')),
                        ('is_open', models.BooleanField(default=True, verbose_name='accepting submissions')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('organization', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, to='accounts.organization')),
                    ],
                    options={
                        'db_table': 'customers_intakeform',
                    },
                ),
                migrations.CreateModel(
                    name='PendingChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('form_title', models.CharField(help_text="The form's title when it was sent.", max_length=120)),
                        ('field', models.CharField(help_text='Its registry name: phone, cf_7…', max_length=100)),
                        ('before', models.JSONField(help_text='What was on file when the answer came.', null=True)),
                        ('proposed', models.JSONField(help_text='The answer, in the form of jsonable().')),
                        ('status', models.CharField(choices=[('pending', 'Waiting for review'), ('accepted', 'Accepted'), ('rejected', 'Rejected')], default='pending', max_length=10)),
                        ('submitted_at', models.DateTimeField(auto_now_add=True)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pending_changes', to='customers.customer')),
                        ('decided_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('intake', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='intake.intakeform')),
                        ('organization', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, to='accounts.organization')),
                    ],
                    options={
                        'db_table': 'customers_pendingchange',
                    },
                ),
                migrations.AddConstraint(
                    model_name='intakeform',
                    constraint=models.UniqueConstraint(fields=('organization', 'slug'), name='intake_form_slug_unique'),
                ),
                migrations.AddConstraint(
                    model_name='intakeform',
                    constraint=models.UniqueConstraint(fields=('organization', 'id'), name='intake_form_organization_id_unique'),
                ),
                migrations.AddIndex(
                    model_name='pendingchange',
                    index=models.Index(fields=['organization', 'customer', 'status'], name='pending_change_customer_idx'),
                ),
                migrations.AddConstraint(
                    model_name='pendingchange',
                    constraint=models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'accepted', 'rejected'])), name='pending_change_status_valid'),
                ),
            ],
        ),
    ]
