"""The duplicate finder: match keys on every customer (generated columns PostgreSQL computes, also for the rows
already there), indexes led by organization_id for its blocking keys, fuzzystrmatch for soundex and
levenshtein, and the tenant tables of found pairs and scans."""

import customers.models.duplicates
import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.operations import CreateExtension
from django.db import migrations, models

from accounts.tenancy import same_organization, tenant_rls


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_audit_actions_registered_by_each_app'),
        ('customers', '0019_customer_report_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        CreateExtension("fuzzystrmatch"),  # soundex() for blocking and levenshtein() for one typo
        migrations.CreateModel(
            name='DuplicatePair',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('score', models.PositiveSmallIntegerField()),
                ('reasons', models.JSONField(default=list, help_text='Reason keys, e.g. ["email", "nickname"].')),
                ('status', models.CharField(choices=[('open', 'Open'), ('not_duplicate', 'Not a duplicate'), ('merged', 'Merged')], default='open', max_length=20)),
                ('found_at', models.DateTimeField()),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='DuplicateScan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started_at', models.DateTimeField(auto_now_add=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('steps', models.PositiveSmallIntegerField(default=3)),
                ('steps_done', models.PositiveSmallIntegerField(default=0)),
                ('pairs_found', models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name='customer',
            name='address_match',
            field=models.GeneratedField(db_persist=True, expression=customers.models.duplicates.AddressKey('address_line1', 'postal_code'), output_field=models.TextField()),
        ),
        migrations.AddField(
            model_name='customer',
            name='email_match',
            field=models.GeneratedField(db_persist=True, expression=customers.models.duplicates.EmailKey('email'), output_field=models.TextField()),
        ),
        migrations.AddField(
            model_name='customer',
            name='phone_match',
            field=models.GeneratedField(db_persist=True, expression=customers.models.duplicates.PhoneKey('phone_digits'), output_field=models.TextField()),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(fields=['organization', 'birthday'], name='customer_birthday_idx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(condition=models.Q(('email_match', ''), _negated=True), fields=['organization', 'email_match'], name='customer_email_match_idx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(condition=models.Q(('phone_match', ''), _negated=True), fields=['organization', 'phone_match'], name='customer_phone_match_idx'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(condition=models.Q(('address_match', ''), _negated=True), fields=['organization', 'address_match'], name='customer_address_match_idx'),
        ),
        migrations.AddField(
            model_name='duplicatepair',
            name='customer_a',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer'),
        ),
        migrations.AddField(
            model_name='duplicatepair',
            name='customer_b',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer'),
        ),
        migrations.AddField(
            model_name='duplicatepair',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='duplicatepair',
            name='organization',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, to='accounts.organization'),
        ),
        migrations.AddField(
            model_name='duplicatescan',
            name='organization',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, to='accounts.organization'),
        ),
        migrations.AddField(
            model_name='duplicatescan',
            name='started_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='duplicatepair',
            index=models.Index(fields=['organization', 'status', '-score', 'id'], name='duplicate_pair_list_idx'),
        ),
        migrations.AddIndex(
            model_name='duplicatepair',
            index=models.Index(fields=['organization', 'customer_b'], name='duplicate_pair_b_idx'),
        ),
        migrations.AddConstraint(
            model_name='duplicatepair',
            constraint=models.UniqueConstraint(fields=('organization', 'customer_a', 'customer_b'), name='duplicate_pair_unique'),
        ),
        migrations.AddConstraint(
            model_name='duplicatepair',
            constraint=models.CheckConstraint(condition=models.Q(('customer_a__lt', models.F('customer_b'))), name='duplicate_pair_ordered'),
        ),
        migrations.AddConstraint(
            model_name='duplicatepair',
            constraint=models.CheckConstraint(condition=models.Q(('score__lte', 100)), name='duplicate_pair_score_range'),
        ),
        migrations.AddIndex(
            model_name='duplicatescan',
            index=models.Index(fields=['organization', '-started_at'], name='duplicate_scan_recent_idx'),
        ),
        tenant_rls("customers_duplicatepair"),
        tenant_rls("customers_duplicatescan"),
        same_organization("customers_duplicatepair", "customer_a_id"),
        same_organization("customers_duplicatepair", "customer_b_id"),
    ]
