# An import's issues and records, and a job's mapping template, belong to the job's own organization:
# composite keys as the other tenant tables have. Added unchecked, then checked, so imports keep running.

from django.db import migrations, models

from accounts.tenancy import same_organization


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('imports', '0004_worker_crashes'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='importjob',
            constraint=models.UniqueConstraint(fields=('organization', 'id'), name='import_job_organization_id_unique'),
        ),
        migrations.AddConstraint(
            model_name='importtemplate',
            constraint=models.UniqueConstraint(fields=('organization', 'id'), name='import_template_organization_id_unique'),
        ),
        same_organization('imports_importissue', 'job_id', 'imports_importjob', existing_rows=True),
        same_organization('imports_importrecord', 'job_id', 'imports_importjob', existing_rows=True),
        same_organization(
            'imports_importjob',
            'template_id',
            'imports_importtemplate',
            on_delete='SET NULL (template_id)',
            existing_rows=True,
        ),
    ]
