# An activity's detail names people, forms, files and permissions: text, not 200 characters (a guardian link
# with every permission outgrew it). varchar → text rewrites nothing in PostgreSQL.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0013_same_organization_keys'),
    ]

    operations = [
        migrations.AlterField(
            model_name='activity',
            name='detail',
            field=models.TextField(blank=True, help_text='Where it came from, e.g. which form.'),
        ),
    ]
