"""Customers can be merged: the merged-away entry stays as a tombstone (merged_into, merged_at) and a Merge
keeps what undoing needs. `customers_merged_pair(a, b)` tells the append-only tables' triggers (signed waivers,
the credit ledger) that moving a row between these two customers is a merge or its undo, not an edit."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from accounts.tenancy import same_organization, tenant_rls

MERGED_PAIR = """
CREATE FUNCTION customers_merged_pair(a bigint, b bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM customers_customer
    WHERE (id = a AND merged_into_id = b) OR (id = b AND merged_into_id = a)
  )
$$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_audit_actions_registered_by_each_app'),
        ('customers', '0020_duplicate_finder'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Merge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('survivor_label', models.CharField(max_length=250)),
                ('merged_label', models.CharField(max_length=250)),
                ('choices', models.JSONField(blank=True, default=dict, help_text='{field: "survivor" | "merged"}')),
                ('before', models.JSONField(default=dict)),
                ('records', models.JSONField(default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('undone_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.AddField(
            model_name='customer',
            name='merged_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='customer',
            name='merged_into',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer'),
        ),
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(condition=models.Q(('merged_into__isnull', False)), fields=['organization', 'merged_into'], name='customer_tombstone_idx'),
        ),
        migrations.AddField(
            model_name='merge',
            name='by',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='merge',
            name='merged',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer'),
        ),
        migrations.AddField(
            model_name='merge',
            name='organization',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, to='accounts.organization'),
        ),
        migrations.AddField(
            model_name='merge',
            name='survivor',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer'),
        ),
        migrations.AddField(
            model_name='merge',
            name='undone_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='merge',
            index=models.Index(fields=['organization', '-created_at'], name='merge_recent_idx'),
        ),
        migrations.AddIndex(
            model_name='merge',
            index=models.Index(fields=['organization', 'survivor'], name='merge_survivor_idx'),
        ),
        migrations.AddIndex(
            model_name='merge',
            index=models.Index(fields=['organization', 'merged'], name='merge_merged_idx'),
        ),
        migrations.AddConstraint(
            model_name='merge',
            constraint=models.CheckConstraint(condition=models.Q(('survivor', models.F('merged')), _negated=True), name='merge_not_self'),
        ),
        tenant_rls("customers_merge"),
        same_organization("customers_merge", "survivor_id"),
        same_organization("customers_merge", "merged_id"),
        same_organization("customers_customer", "merged_into_id"),
        migrations.RunSQL(MERGED_PAIR, "DROP FUNCTION customers_merged_pair(bigint, bigint);"),
    ]
