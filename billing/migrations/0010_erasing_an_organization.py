from django.db import migrations

# The credit ledger stays append-only, except while its whole organization is being erased (the demo's reset
# sets `roster.erasing_organization` for its transaction): an organization's deletion is not a change of its
# books.
ALLOW_ERASURE = """
CREATE OR REPLACE FUNCTION billing_creditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE'
     AND current_setting('roster.erasing_organization', true) = OLD.organization_id::text THEN
    RETURN OLD;
  END IF;
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
APPEND_ONLY = """
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
    dependencies = [("billing", "0009_punch_cards")]

    operations = [migrations.RunSQL(ALLOW_ERASURE, APPEND_ONLY)]
