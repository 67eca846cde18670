"""Required Customer Fields: for each field and channel, whether a form asks for it (required / optional)
or leaves it out (hidden). Rows exist only where an organization departs from the defaults below, so a
new field, custom fields included, gets its place in the grid without a schema change."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import models


class Channel(models.TextChoices):
    ONLINE_BOOKING = "online_booking", "Online Booking"
    ONLINE_STORE = "online_store", "Online Store"
    STAFF = "staff", "Staff Portal"


ONLINE_CHANNELS = (Channel.ONLINE_BOOKING, Channel.ONLINE_STORE)


class Rule(models.TextChoices):
    REQUIRED = "required", "Required"
    OPTIONAL = "optional", "Optional"
    HIDDEN = "hidden", "Hide"


# Common practice for a new organization: online, ask for who they are and how to reach them.
ONLINE_DEFAULTS = {
    "first_name": Rule.REQUIRED,
    "last_name": Rule.REQUIRED,
    "email": Rule.REQUIRED,
    "phone": Rule.REQUIRED,
    "number": Rule.HIDDEN,
    "emergency_contact_name": Rule.HIDDEN,
    "emergency_contact_phone": Rule.HIDDEN,
}
STAFF_DEFAULTS = {"first_name": Rule.REQUIRED, "last_name": Rule.REQUIRED}


def default_rule(field, channel: str) -> str:
    """`field` is a CustomerField of the registry."""
    if channel in ONLINE_CHANNELS and not field.open_to_customer:
        return Rule.HIDDEN
    defaults = STAFF_DEFAULTS if channel == Channel.STAFF else ONLINE_DEFAULTS
    return defaults.get(field.name, Rule.OPTIONAL)


@dataclass(frozen=True)
class Lock:
    rule: str | None  # the only rule allowed, or None: any rule but `forbidden`
    reason: str
    forbidden: str | None = None


def lock_for(field, channel: str) -> Lock | None:
    """Why a cell cannot be changed (or not to one value), or None when it is free."""
    if channel in ONLINE_CHANNELS and not field.open_to_customer:
        return Lock(Rule.HIDDEN, "Staff-only field (its scope or visibility): never asked online.")
    if field.name in ("first_name", "last_name"):
        return Lock(Rule.REQUIRED, "A name identifies the person: always required.")
    if field.name == "email" and channel in ONLINE_CHANNELS:
        return Lock(Rule.REQUIRED, "The email is the login of an online account: always required online.")
    if field.name == "marketing_opt_in":
        return Lock(None, "Consent to marketing cannot be made compulsory.", forbidden=Rule.REQUIRED)
    return None


def allowed(field, channel: str, rule: str) -> bool:
    lock = lock_for(field, channel)
    if lock is None:
        return True
    return rule == lock.rule if lock.rule else rule != lock.forbidden


CACHE_KEY = "customer-field-rules"  # the cache key function adds the organization


def _saved_rules() -> dict[tuple[str, str], str]:
    from customers.models import FieldRule

    return cache.get_or_set(
        CACHE_KEY, lambda: {(row.field, row.channel): row.rule for row in FieldRule.objects.all()}, 3600
    )


def forget_rules() -> None:
    """After the grid is saved: the next form is built from the new rules."""
    cache.delete(CACHE_KEY)


def grid_rules() -> dict[tuple[str, str], str]:
    """{(field, channel): rule} for every field of the registry in every channel."""
    from customers.fields import customer_fields

    saved = _saved_rules()
    return {
        (field.name, channel): _effective(field, channel, saved.get((field.name, channel)))
        for field in customer_fields()
        for channel in Channel.values
    }


def _effective(field, channel: str, saved: str | None) -> str:
    """The saved rule, unless the field has since become one the cell's lock forbids it for."""
    rule = saved or default_rule(field, channel)
    return rule if allowed(field, channel, rule) else default_rule(field, channel)


def channel_rules(channel: str) -> dict[str, str]:
    """{field: rule} of one channel, which the channel's forms are built from."""
    return {field: rule for (field, rule_channel), rule in grid_rules().items() if rule_channel == channel}
