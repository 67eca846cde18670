# Custom values: one partial index per typed column (a value enters only its own type's index, so an import
# writes 3-4 index entries per value instead of 11), the customer and option keys served by those indexes,
# and the key index led by (organization, field) so "contains" reads keys from the index alone. Plain
# CREATE INDEX: it applies to a table with rows, holding writes to it while it builds.
import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_membership_organization_id_unique'),
        ('customers', '0022_customer_email_rule'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='customfieldvalue',
            name='custom_value_option_idx',
        ),
        migrations.RemoveIndex(
            model_name='customfieldvalue',
            name='custom_value_date_idx',
        ),
        migrations.RemoveIndex(
            model_name='customfieldvalue',
            name='custom_value_number_idx',
        ),
        migrations.RemoveIndex(
            model_name='customfieldvalue',
            name='custom_value_flag_idx',
        ),
        migrations.RemoveIndex(
            model_name='customfieldvalue',
            name='custom_value_key_idx',
        ),
        migrations.AlterField(
            model_name='customfieldvalue',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='custom_values', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='customfieldvalue',
            name='option',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='+', to='customers.customfieldoption'),
        ),
        migrations.AddIndex(
            model_name='customfieldvalue',
            index=models.Index(condition=models.Q(('option__isnull', False)), fields=['organization', 'field', 'option', 'customer'], name='custom_value_option_idx'),
        ),
        migrations.AddIndex(
            model_name='customfieldvalue',
            index=models.Index(condition=models.Q(('date__isnull', False)), fields=['organization', 'field', 'date', 'customer'], name='custom_value_date_idx'),
        ),
        migrations.AddIndex(
            model_name='customfieldvalue',
            index=models.Index(condition=models.Q(('number__isnull', False)), fields=['organization', 'field', 'number', 'customer'], name='custom_value_number_idx'),
        ),
        migrations.AddIndex(
            model_name='customfieldvalue',
            index=models.Index(condition=models.Q(('flag__isnull', False)), fields=['organization', 'field', 'flag', 'customer'], name='custom_value_flag_idx'),
        ),
        migrations.AddIndex(
            model_name='customfieldvalue',
            index=models.Index(condition=models.Q(('key', ''), _negated=True), fields=['organization', 'field', 'key', 'customer'], name='custom_value_key_idx'),
        ),
        migrations.AddIndex(
            model_name='customfieldvalue',
            index=models.Index(condition=models.Q(django.db.models.lookups.GreaterThanOrEqual(django.db.models.functions.text.Length('key'), 100)), fields=['organization', 'field', 'customer'], name='custom_value_long_text_idx'),
        ),
        migrations.AddIndex(
            model_name='customfieldvalue',
            index=models.Index(condition=models.Q(('option__isnull', False)), fields=['option'], name='custom_value_option_fk_idx'),
        ),
    ]
