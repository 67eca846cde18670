# An affiliation points only at an affiliated organization of its own business (its customer already did).

from django.db import migrations, models

from accounts.tenancy import same_organization


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('families', '0001_initial'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='affiliatedorganization',
            constraint=models.UniqueConstraint(fields=('organization', 'id'), name='affiliated_organization_organization_id_unique'),
        ),
        same_organization('families_affiliation', 'affiliated_id', 'families_affiliatedorganization', existing_rows=True),
    ]
