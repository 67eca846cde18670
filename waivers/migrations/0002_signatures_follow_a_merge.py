"""A signed copy follows its customer through a merge (and back on undo): its customer and signer may move
between a tombstone and the customer it was merged into, and nothing else of it may change.

Relinking through a table instead would make every reader of signatures (the profile, what a booking still
needs, exports, erasure) look through tombstones; what was signed (text, names, signature) stays untouched
either way, and the customers table proves the move is a merge."""

from django.db import migrations

IMMUTABLE = """
CREATE OR REPLACE FUNCTION waivers_signature_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bookkeeping text[] := ARRAY['customer_id', 'signer_id', 'witnessed_by_id', 'reminded_at', 'expiry_recorded_at'];
BEGIN
  IF to_jsonb(NEW) - bookkeeping = to_jsonb(OLD) - bookkeeping
     AND (NEW.customer_id = OLD.customer_id OR customers_merged_pair(OLD.customer_id, NEW.customer_id))
     AND (NEW.signer_id IS NULL OR NEW.signer_id = OLD.signer_id
          OR customers_merged_pair(OLD.signer_id, NEW.signer_id))
     AND (NEW.witnessed_by_id IS NULL OR NEW.witnessed_by_id IS NOT DISTINCT FROM OLD.witnessed_by_id)
     AND (OLD.reminded_at IS NULL OR NEW.reminded_at IS NOT DISTINCT FROM OLD.reminded_at)
     AND (OLD.expiry_recorded_at IS NULL OR NEW.expiry_recorded_at IS NOT DISTINCT FROM OLD.expiry_recorded_at)
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'A signed waiver is never changed: update of signature % refused', OLD.id
    USING ERRCODE = 'restrict_violation';
END $$;
"""
BEFORE = """
CREATE OR REPLACE FUNCTION waivers_signature_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bookkeeping text[] := ARRAY['signer_id', 'witnessed_by_id', 'reminded_at', 'expiry_recorded_at'];
BEGIN
  IF to_jsonb(NEW) - bookkeeping = to_jsonb(OLD) - bookkeeping
     AND (NEW.signer_id IS NULL OR NEW.signer_id = OLD.signer_id)
     AND (NEW.witnessed_by_id IS NULL OR NEW.witnessed_by_id IS NOT DISTINCT FROM OLD.witnessed_by_id)
     AND (OLD.reminded_at IS NULL OR NEW.reminded_at IS NOT DISTINCT FROM OLD.reminded_at)
     AND (OLD.expiry_recorded_at IS NULL OR NEW.expiry_recorded_at IS NOT DISTINCT FROM OLD.expiry_recorded_at)
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'A signed waiver is never changed: update of signature % refused', OLD.id
    USING ERRCODE = 'restrict_violation';
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("waivers", "0001_waivers"),
        ("customers", "0021_merges"),
    ]

    operations = [migrations.RunSQL(IMMUTABLE, BEFORE)]
