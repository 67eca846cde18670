"""Pairs of customers who may be one person (found by customers.duplicates), what staff decided about each,
and the finder's scans; plus the SQL of the match keys the finder joins on, kept by PostgreSQL itself as
generated columns of the customer (so COPY, bulk writes and updates all keep them)."""

from django.conf import settings
from django.db import models

from accounts.tenancy import TenantModel

# Providers whose mailboxes ignore dots in the local part (besides +tags, which every major provider ignores).
DOTLESS_DOMAINS = ("gmail.com", "googlemail.com")

# The SQL of each key over a column placeholder: the generated columns and the finder's unsaved probes (a form
# being filled in, an import row) apply the same text, so both sides of a comparison are normalized alike.
EMAIL_KEY_SQL = (
    "CASE WHEN strpos({email}, '@') = 0 THEN '' "
    "WHEN split_part(lower({email}), '@', 2) IN ('gmail.com', 'googlemail.com') "
    "THEN replace(split_part(split_part(lower({email}), '@', 1), '+', 1), '.', '') || '@gmail.com' "
    "ELSE split_part(split_part(lower({email}), '@', 1), '+', 1) || '@' "
    "|| split_part(lower({email}), '@', 2) END"
)
PHONE_KEY_SQL = "CASE WHEN length({digits}) >= 7 THEN right({digits}, 10) ELSE '' END"
_STREET_WORDS = (
    ("street", "st"),
    ("avenue", "ave"),
    ("road", "rd"),
    ("drive", "dr"),
    ("lane", "ln"),
    ("boulevard", "blvd"),
    ("court", "ct"),
    ("place", "pl"),
    ("apartment", "apt"),
    ("strasse", "str"),
)
_FOLDED = "translate(lower({line1}), 'áàâäãåéèêëíìîïóòôöõúùûüñçß', 'aaaaaaeeeeiiiiooooouuuuncs')"


def _address_sql() -> str:
    line = _FOLDED
    for word, short in _STREET_WORDS:
        line = f"regexp_replace({line}, '\\m{word}\\M', '{short}', 'g')"
    return (
        "CASE WHEN btrim({line1}) = '' THEN '' ELSE "
        f"regexp_replace({line}, '[^a-z0-9]+', '', 'g') || '|' || "
        "regexp_replace(lower({postal}), '[^a-z0-9]+', '', 'g') END"
    )


ADDRESS_KEY_SQL = _address_sql()


class EmailKey(models.Func):
    """The email as the mailbox sees it: lowercased, +tag dropped, dots dropped for Gmail (EMAIL_KEY_SQL)."""

    template = EMAIL_KEY_SQL.format(email="%(expressions)s")
    output_field = models.CharField()


class PhoneKey(models.Func):
    """The phone's last ten digits: one number with or without its country code."""

    template = PHONE_KEY_SQL.format(digits="%(expressions)s")
    output_field = models.CharField()


class AddressKey(models.Func):
    """Address line 1 and postal code, lowercased, accents and punctuation dropped, street words shortened."""

    arity = 2
    output_field = models.CharField()

    def as_sql(self, compiler, connection, **extra):
        line1, line1_params = compiler.compile(self.source_expressions[0])
        postal, postal_params = compiler.compile(self.source_expressions[1])
        assert not line1_params and not postal_params, "columns only"
        return ADDRESS_KEY_SQL.format(line1=line1, postal=postal), []


class DuplicateEvent(models.TextChoices):
    """The Activity Log's kind of event for staff's decision about a possible duplicate."""

    NOT_DUPLICATE = "not_duplicate", "Not a duplicate"


class DuplicateStatus(models.TextChoices):
    OPEN = "open", "Open"
    NOT_DUPLICATE = "not_duplicate", "Not a duplicate"
    MERGED = "merged", "Merged"


class DuplicatePair(TenantModel):
    """Two customers (a < b) the finder scored as possibly one person, with its reasons. A decision (not a
    duplicate, merged) is kept across rescans: a rescan updates only open pairs."""

    customer_a = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list, help_text='Reason keys, e.g. ["email", "nickname"].')
    status = models.CharField(max_length=20, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN)
    found_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "customer_a", "customer_b"], name="duplicate_pair_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(customer_a__lt=models.F("customer_b")), name="duplicate_pair_ordered"
            ),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="duplicate_pair_score_range"),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-score", "id"], name="duplicate_pair_list_idx"),
            models.Index(fields=["organization", "customer_b"], name="duplicate_pair_b_idx"),
        ]

    def __str__(self):
        return f"{self.customer_a_id} ~ {self.customer_b_id} ({self.score})"

    @property
    def level(self) -> str:
        return "likely" if self.score >= 80 else "possible"


class DuplicateScan(TenantModel):
    """One run of the finder over the organization's roster."""

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    steps = models.PositiveSmallIntegerField(default=3)
    steps_done = models.PositiveSmallIntegerField(default=0)
    pairs_found = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["organization", "-started_at"], name="duplicate_scan_recent_idx")]

    def __str__(self):
        return f"scan {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps) if self.steps else 100
