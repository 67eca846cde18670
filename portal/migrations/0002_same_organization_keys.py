# A claim invite points only at a customer of its own organization.

from django.db import migrations

from accounts.tenancy import same_organization


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('portal', '0001_initial'),
    ]

    operations = [
        same_organization('portal_claiminvite', 'customer_id', existing_rows=True),
    ]
