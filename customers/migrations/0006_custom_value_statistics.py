from django.db import migrations

# The value table holds every field's values in typed columns that are NULL for other fields' rows, so the
# planner, taking field and value as independent, underestimates how many rows a filter keeps (5-6x in
# bench/custom_field_filter.py) and picks hash joins over large sets. Extended statistics tell it better.
STATISTICS = """
CREATE STATISTICS custom_value_option_deps (dependencies)
  ON organization_id, field_id, option_id, flag FROM customers_customfieldvalue;
CREATE STATISTICS custom_value_date_mcv (mcv) ON field_id, date FROM customers_customfieldvalue;
ALTER STATISTICS custom_value_date_mcv SET STATISTICS 10000;
"""


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_invite_activity")]

    operations = [
        migrations.RunSQL(
            STATISTICS,
            "DROP STATISTICS custom_value_option_deps; DROP STATISTICS custom_value_date_mcv;",
        )
    ]
