from django.db import migrations


class Migration(migrations.Migration):
    """Room on each page of the roster table, so that writing a customer's last activity (every bulk action
    touches thousands) is a heap-only update instead of a new entry in each of its dozen indexes. Pages
    written from now on keep the room; existing ones gain it as they are rewritten."""

    dependencies = [("customers", "0009_activity_note_bulkoperation_params_and_more")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE customers_customer SET (fillfactor = 80)",
            "ALTER TABLE customers_customer RESET (fillfactor)",
        )
    ]
