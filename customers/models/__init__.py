"""The customers app's models, in two rooms: the roster (customers, activity, bulk operations, segments) and
what an organization asks about its customers (field rules, custom fields, intake forms)."""

from customers.models.custom_fields import (
    CHOICE_TYPES,
    STAFF_AUDIENCES,
    TEXT_TYPES,
    Audience,
    CustomField,
    CustomFieldOption,
    CustomFieldValue,
    FieldRule,
    FieldRuleChange,
    FieldType,
    Scope,
)
from customers.models.duplicates import DuplicateEvent, DuplicatePair, DuplicateScan, DuplicateStatus
from customers.models.roster import (
    KEY_COLLATION,
    Activity,
    BulkOperation,
    Customer,
    CustomerAudit,
    CustomerManager,
    Gender,
    Segment,
    Source,
    age_on,
)

__all__ = [
    "CHOICE_TYPES",
    "KEY_COLLATION",
    "STAFF_AUDIENCES",
    "TEXT_TYPES",
    "Activity",
    "Audience",
    "BulkOperation",
    "CustomField",
    "CustomFieldOption",
    "CustomFieldValue",
    "Customer",
    "CustomerAudit",
    "CustomerManager",
    "DuplicateEvent",
    "DuplicatePair",
    "DuplicateScan",
    "DuplicateStatus",
    "FieldRule",
    "FieldRuleChange",
    "FieldType",
    "Gender",
    "Scope",
    "Segment",
    "Source",
    "age_on",
]
