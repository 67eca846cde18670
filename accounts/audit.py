"""The organization's audit trail: the one writer every service that changes the setup or access calls, in
its own transaction, so the event and the change commit (or roll back) together."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils.text import capfirst

from accounts.models import AuditEvent, User

_ACTIONS: dict[str, str] = {}
# Who acts when no person does: an API call names its key here, for every event written while it runs.
_caller: ContextVar[str] = ContextVar("caller", default="")


@contextmanager
def acting_as(label: str):
    """Name what acts in this block (e.g. 'API key “Website”') on the events written without a user."""
    token = _caller.set(label)
    try:
        yield
    finally:
        _caller.reset(token)


def caller_label() -> str:
    """What acts now without a user ("" for the system): the default of events' actor labels."""
    return _caller.get()


def register_audit_actions(actions: type[models.TextChoices]) -> None:
    """Called from each app's AppConfig.ready() with the actions it records ({value: label})."""
    for value, label in actions.choices:
        if _ACTIONS.setdefault(value, label) != label:
            raise ImproperlyConfigured(f"Two audit actions are named {value!r}.")


def audit_action_label(action: str) -> str:
    return _ACTIONS.get(action, action)


def audit_action_choices() -> list[tuple[str, str]]:
    """Every registered action, by label: the audit log's "What" filter."""
    return sorted(_ACTIONS.items(), key=lambda item: item[1])


def actor_label(user: User | None) -> str:
    """How an event names who did it, kept as text once their login is gone."""
    if user is None:
        return caller_label()
    name = user.display_name
    return name if name == user.email else f"{name} ({user.email})"


@transaction.atomic
def audit_record(
    *, action: str, by: User | None, target: str = "", detail: str = "", changes: dict | None = None
) -> AuditEvent:
    """Record one change to the current organization's setup or access. `by` is None for the system (a
    worker, a call with an API key); `changes` is {what: [before, after]}."""
    return AuditEvent.objects.create(
        action=action,
        actor=by,
        actor_label=actor_label(by),
        target=target[:200],
        detail=detail,
        changes=changes or {},
    )


def _shown(field: models.Field, value):
    """A stored value as the settings pages show it, in a form JSON keeps."""
    if value in (None, "", []):
        return None
    if field.choices and not isinstance(value, list):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, list):
        choices = dict(field.base_field.flatchoices) if hasattr(field, "base_field") else {}
        return ", ".join(str(choices.get(item, item)) for item in value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return value if isinstance(value, int | float | str) else str(value)


def changes_of(instance: models.Model, fields: list[str], *, before: models.Model | None = None) -> dict:
    """{label: [before, after]} of the `fields` an unsaved change to `instance` makes, read against its stored
    row (one query) or `before`; {} for a new row with nothing to compare. Call it before saving."""
    stored = before
    if stored is None and instance.pk is not None:
        stored = type(instance)._default_manager.filter(pk=instance.pk).first()
    if stored is None:
        return {}
    changes = {}
    for name in fields:
        field = instance._meta.get_field(name)
        before, after = field.value_from_object(stored), field.value_from_object(instance)
        if before != after:
            changes[capfirst(field.verbose_name)] = [_shown(field, before), _shown(field, after)]
    return changes
