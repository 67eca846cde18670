"""Account invites and the invitation settings move here from the portal app, tables and data untouched."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0004_audit_actions_registered_by_each_app'),
        ('customers', '0017_customer_do_not_solicit'),
        ('portal', '0003_signup_request'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables, their row security, same-organization key and indexes stay as the portal app made them.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ClaimInvite',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(help_text='Where the current link was sent.', max_length=254)),
                        ('token_hash', models.CharField(blank=True, max_length=64)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('expires_at', models.DateTimeField()),
                        ('reminders_sent', models.PositiveSmallIntegerField(default=0)),
                        ('reminded_at', models.DateTimeField(blank=True, null=True)),
                        ('claimed_at', models.DateTimeField(blank=True, null=True)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('failed_at', models.DateTimeField(blank=True, null=True)),
                        ('failure', models.CharField(blank=True, max_length=300)),
                        ('customer', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='claim_invite', to='customers.customer')),
                        ('invited_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('organization', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, to='accounts.organization')),
                    ],
                    options={
                        'db_table': 'portal_claiminvite',
                        'indexes': [models.Index(fields=['organization', 'token_hash'], name='claim_invite_token_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='InviteSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('subject', models.CharField(default='Your account with {{ organization }}', max_length=200)),
                        ('body', models.TextField(default='Hello {{ first_name }},\n\n{{ organization }} has set up an account for you. Claim it to book, buy and manage your family online:\n\n{{ link }}\n\nThe link works once, until {{ expires }}.\n\nSee you soon!\n{{ organization }}')),
                        ('expiry_hours', models.PositiveSmallIntegerField(default=72, help_text='From 1 hour to 14 days (336 hours).', verbose_name='link valid for (hours)')),
                        ('remind_after_days', models.PositiveSmallIntegerField(default=3, verbose_name='remind after (days)')),
                        ('max_reminders', models.PositiveSmallIntegerField(default=2, help_text='0, 1 or 2.', verbose_name='reminders')),
                        ('organization', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, to='accounts.organization')),
                    ],
                    options={
                        'db_table': 'portal_invitesettings',
                        'constraints': [models.UniqueConstraint(fields=('organization',), name='invite_settings_one_per_org'), models.CheckConstraint(condition=models.Q(('expiry_hours__gte', 1), ('expiry_hours__lte', 336)), name='invite_settings_expiry_range'), models.CheckConstraint(condition=models.Q(('max_reminders__lte', 2)), name='invite_settings_reminders_max')],
                    },
                ),
            ],
        ),
    ]
