"""Credit lines follow their customer through a merge (and back on undo): a line's customer may move between a
tombstone and the customer it was merged into, so balances add up on the kept customer; nothing else changes."""

from django.db import migrations

APPEND_ONLY = """
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
BEFORE = """
CREATE OR REPLACE FUNCTION billing_creditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND (NEW.customer_id IS NULL OR NEW.customer_id = OLD.customer_id)
     AND (NEW.by_id IS NULL OR NEW.by_id IS NOT DISTINCT FROM OLD.by_id)
     AND to_jsonb(NEW) - 'customer_id' - 'by_id' = to_jsonb(OLD) - 'customer_id' - 'by_id' THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'The credit ledger is append-only: % of line % refused', TG_OP, OLD.id
    USING ERRCODE = 'restrict_violation';
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0014_booking_deposits"),
        ("customers", "0021_merges"),
    ]

    operations = [migrations.RunSQL(APPEND_ONLY, BEFORE)]
