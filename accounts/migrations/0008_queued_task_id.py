# Each queued task keeps one Celery task id, so a task handed over twice runs once (accounts.outbox). Rows
# already queued get one each: PostgreSQL evaluates a volatile default once per existing row.

import django.contrib.postgres.functions
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_queued_task'),
    ]

    operations = [
        migrations.AddField(
            model_name='queuedtask',
            name='task_id',
            field=models.UUIDField(db_default=django.contrib.postgres.functions.RandomUUID()),
        ),
    ]
