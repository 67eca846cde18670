# The customer email field takes the product's one email rule (accounts.emails); no change in the database.

from django.db import migrations

import accounts.emails


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0021_merges"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customer",
            name="email",
            field=accounts.emails.EmailAddressField(blank=True, max_length=254),
        ),
    ]
