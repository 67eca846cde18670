"""Migration 0015 (credit follows a merge) rewrote the ledger's trigger without 0010's exception for a whole
organization being erased, so the demo's reset (`make demo`) was refused. The trigger with both exceptions."""

from django.db import migrations

MERGES_ONLY = """
CREATE OR REPLACE FUNCTION billing_creditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND (NEW.customer_id IS NULL OR NEW.customer_id = OLD.customer_id
          OR customers_merged_pair(OLD.customer_id, NEW.customer_id))
     AND (NEW.by_id IS NULL OR NEW.by_id IS NOT DISTINCT FROM OLD.by_id)
     AND to_jsonb(NEW) - 'customer_id' - 'by_id' = to_jsonb(OLD) - 'customer_id' - 'by_id' THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'The credit ledger is append-only: % of line % refused', TG_OP, OLD.id
    USING ERRCODE = 'restrict_violation';
END $$;
"""

# 0015's trigger, with 0010's first test put back before the others.
BOTH = MERGES_ONLY.replace(
    "BEGIN\n",
    """BEGIN
  IF TG_OP = 'DELETE'
     AND current_setting('roster.erasing_organization', true) = OLD.organization_id::text THEN
    RETURN OLD;
  END IF;
""",
    1,
)


class Migration(migrations.Migration):
    dependencies = [("billing", "0015_credit_follows_a_merge")]

    operations = [migrations.RunSQL(BOTH, MERGES_ONLY)]
