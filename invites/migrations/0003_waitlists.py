"""Waitlists of packages, their entries, history and offers: each table behind row security, each key to
another tenant table kept within the organization."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from accounts.tenancy import same_organization, tenant_rls


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_audit_actions_registered_by_each_app'),
        ('billing', '0013_spots_released_and_held'),
        ('customers', '0017_customer_do_not_solicit'),
        ('invites', '0002_package_invites'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Waitlist',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('hold_hours', models.PositiveSmallIntegerField(default=24, help_text='From 1 hour to a week (168 hours).', verbose_name='hold an offered spot for (hours)')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('organization', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, to='accounts.organization')),
                ('package', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='waitlist', to='billing.package')),
            ],
        ),
        migrations.CreateModel(
            name='WaitlistEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.BigIntegerField()),
                ('status', models.CharField(choices=[('waiting', 'Waiting'), ('offered', 'Offered a spot'), ('bought', 'Bought'), ('left', 'Left'), ('removed', 'Removed by staff'), ('expired', 'Offer expired')], default='waiting', max_length=10)),
                ('joined_at', models.DateTimeField(auto_now_add=True)),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('customer', models.ForeignKey(help_text='For whom.', on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer')),
                ('joined_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='customers.customer')),
                ('organization', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, to='accounts.organization')),
                ('waitlist', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='entries', to='invites.waitlist')),
            ],
        ),
        migrations.CreateModel(
            name='WaitlistEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('what', models.CharField(choices=[('joined', 'Joined'), ('offered', 'Offered a spot'), ('bought', 'Bought'), ('declined', 'Declined the offer'), ('left', 'Left the waitlist'), ('expired', 'Offer expired'), ('promoted', 'Promoted by staff'), ('removed', 'Skipped by staff'), ('moved_up', 'Moved up'), ('moved_down', 'Moved down')], max_length=12)),
                ('reason', models.CharField(blank=True, max_length=300)),
                ('by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('entry', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='invites.waitlistentry')),
                ('organization', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, to='accounts.organization')),
            ],
        ),
        migrations.CreateModel(
            name='WaitlistOffer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token_hash', models.CharField(blank=True, max_length=64)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('declined_at', models.DateTimeField(blank=True, null=True)),
                ('expired_at', models.DateTimeField(blank=True, null=True)),
                ('entry', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='offers', to='invites.waitlistentry')),
                ('hold', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='waitlist_offer', to='billing.spothold')),
                ('organization', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, to='accounts.organization')),
            ],
        ),
        migrations.AddConstraint(
            model_name='waitlist',
            constraint=models.UniqueConstraint(fields=('organization', 'id'), name='waitlist_organization_id_unique'),
        ),
        migrations.AddConstraint(
            model_name='waitlist',
            constraint=models.UniqueConstraint(fields=('organization', 'package'), name='waitlist_one_per_package'),
        ),
        migrations.AddConstraint(
            model_name='waitlist',
            constraint=models.CheckConstraint(condition=models.Q(('hold_hours__gte', 1), ('hold_hours__lte', 168)), name='waitlist_hold_hours_range'),
        ),
        migrations.AddIndex(
            model_name='waitlistentry',
            index=models.Index(fields=['organization', 'waitlist', 'status', 'position'], name='waitlist_entry_line_idx'),
        ),
        migrations.AddIndex(
            model_name='waitlistentry',
            index=models.Index(fields=['organization', 'customer'], name='waitlist_entry_customer_idx'),
        ),
        migrations.AddIndex(
            model_name='waitlistentry',
            index=models.Index(fields=['organization', 'joined_by'], name='waitlist_entry_joined_by_idx'),
        ),
        migrations.AddConstraint(
            model_name='waitlistentry',
            constraint=models.UniqueConstraint(fields=('organization', 'id'), name='waitlist_entry_organization_id_unique'),
        ),
        migrations.AddConstraint(
            model_name='waitlistentry',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['waiting', 'offered'])), fields=('organization', 'waitlist', 'customer'), name='waitlist_entry_one_live_per_customer'),
        ),
        migrations.AddIndex(
            model_name='waitlistevent',
            index=models.Index(fields=['organization', 'entry', 'at'], name='waitlist_event_entry_idx'),
        ),
        migrations.AddIndex(
            model_name='waitlistoffer',
            index=models.Index(fields=['organization', 'token_hash'], name='waitlist_offer_token_idx'),
        ),
        tenant_rls("invites_waitlist"),
        tenant_rls("invites_waitlistentry"),
        tenant_rls("invites_waitlistevent"),
        tenant_rls("invites_waitlistoffer"),
        same_organization("invites_waitlist", "package_id", "billing_package"),
        same_organization("invites_waitlistentry", "waitlist_id", "invites_waitlist"),
        same_organization("invites_waitlistentry", "customer_id"),
        same_organization("invites_waitlistentry", "joined_by_id", on_delete="SET NULL (joined_by_id)"),
        same_organization("invites_waitlistevent", "entry_id", "invites_waitlistentry"),
        same_organization("invites_waitlistoffer", "entry_id", "invites_waitlistentry"),
        same_organization("invites_waitlistoffer", "hold_id", "billing_spothold"),
    ]
