# Activity, custom field options and values, and pending changes point only at rows of their own organization:
# composite keys as the newer tables have. Added unchecked, then checked, so a live roster keeps being written.

from django.db import migrations, models

from accounts.tenancy import same_organization


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('customers', '0012_pending_change'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='customfield',
            constraint=models.UniqueConstraint(fields=('organization', 'id'), name='custom_field_organization_id_unique'),
        ),
        migrations.AddConstraint(
            model_name='customfieldoption',
            constraint=models.UniqueConstraint(fields=('organization', 'id'), name='custom_field_option_organization_id_unique'),
        ),
        migrations.AddConstraint(
            model_name='intakeform',
            constraint=models.UniqueConstraint(fields=('organization', 'id'), name='intake_form_organization_id_unique'),
        ),
        same_organization('customers_activity', 'customer_id', on_delete='SET NULL (customer_id)', existing_rows=True),
        same_organization('customers_customfieldoption', 'field_id', 'customers_customfield', existing_rows=True),
        same_organization('customers_customfieldvalue', 'customer_id', existing_rows=True),
        same_organization('customers_customfieldvalue', 'field_id', 'customers_customfield', existing_rows=True),
        # Django refuses to delete an option in use (RESTRICT); the database checks at commit, as its own keys do.
        same_organization(
            'customers_customfieldvalue',
            'option_id',
            'customers_customfieldoption',
            on_delete='NO ACTION DEFERRABLE INITIALLY DEFERRED',
            existing_rows=True,
        ),
        same_organization(
            'customers_pendingchange',
            'intake_id',
            'customers_intakeform',
            on_delete='SET NULL (intake_id)',
            existing_rows=True,
        ),
    ]
